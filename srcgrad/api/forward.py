"""Forward mode: ``jvp(f, wrt)``.

The generated function takes ``f``'s positional parameters without a
default, then one tangent per ``wrt`` argument (``d_<name>``), then the
parameters with a default as keyword-only ones, and returns ``(value,
tangent_out)``: the value of ``f`` and its directional derivative along the
given tangents.  ``jvp_batched`` is the same for a batch of directions on a
last axis of every tangent (used by ``srcgrad.jacobian``).  The pipeline is
``srcgrad.compiler.pipeline.forward_transform``.
"""

import functools

from srcgrad.api.classes import PerClass, base_name, per_class  # noqa: F401
from srcgrad.api.driver import DRIVER
from srcgrad.api.variadic import specialising, takes_varargs
from srcgrad.compiler.pipeline import cache_get, cache_put, forward_transform, normalise_wrt, wrt_key
from srcgrad.errors import ClassesNeeded


def _cached(fun, wrt, batched=False):
    # kept in api's cache (under a key of its own), so srcgrad.clear_cache()
    # forgets generated jvps too
    # under ``wrt`` as given and as names (wrt=0 and wrt="x" share one function)
    key = ("jvp_batched" if batched else "jvp", wrt)
    made = cache_get(fun, key)
    if made is not None:
        return made
    names, single = normalise_wrt(fun, wrt, distinct=True)
    canonical = (key[0], names, single)
    made = cache_get(fun, canonical)
    if made is None:
        def make(classes=None, name=None):
            return forward_transform(fun, names, DRIVER, batched=batched, classes=classes,
                                     name=name)
        try:
            made = make()
        except ClassesNeeded as needed:        # osc.energy(x): a version per class of osc
            made = per_class(fun, needed, make,
                             ("jvp_batched_" if batched else "jvp_") + base_name(fun), False)
        cache_put(fun, canonical, made)
    return cache_put(fun, key, made)


def jvp(fun=None, wrt=0):
    """The Jacobian-vector product of ``fun`` by forward mode.

    ``wrt`` is a parameter position or name, or a tuple of them.  Returns a
    generated function taking ``fun``'s positional parameters without a
    default, then one tangent per ``wrt`` argument (``d_<name>``, of that
    argument's shape); ``fun``'s parameters with a default are keyword-only
    in it, with the same defaults (``def f(x, num=5)`` gives ``jvp_f(x, d_x,
    *, num=5)``; docs/modes.md).  It returns ``(value, tangent_out)``:
    ``fun``'s result and its derivative along the tangents (the shape of the
    result).  One pass, no tape;
    ``srcgrad.source(df)`` shows the code.  Works as a decorator, bare
    (``@jvp``) or with options (``@jvp(wrt=(0, 1))``)."""
    if fun is None:
        return functools.partial(jvp, wrt=wrt)
    if takes_varargs(fun):
        return specialising("jvp", jvp, fun, wrt)
    key = wrt_key(wrt)
    return _cached(fun, key)


def jvp_batched(fun, wrt=0):
    """Forward mode for a batch of directions in one pass: like :func:`jvp`,
    but each tangent argument has its argument's shape plus a last axis of
    ``K`` directions, and the tangent returned has the result's shape plus
    that axis (``J V`` for the ``K`` columns of ``V``).  Used by
    ``srcgrad.jacobian``; ``srcgrad.source`` shows the code."""
    if takes_varargs(fun):
        return specialising("jvp_batched", jvp_batched, fun, wrt)
    key = wrt_key(wrt)
    return _cached(fun, key, batched=True)


DRIVER.provide(jvp=jvp)
