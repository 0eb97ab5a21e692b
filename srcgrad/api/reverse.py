"""Reverse mode: ``grad``, ``value_and_grad`` and ``vjp``, and ``source``.

Each generated function is made once per function and options (the cache is
``srcgrad.compiler.pipeline``'s); the pipeline is
``srcgrad.compiler.pipeline.reverse_transform``.
"""

import functools

from srcgrad.api import export
from srcgrad.api.classes import base_name, generate_for, per_class
from srcgrad.api.driver import DRIVER
from srcgrad.api.variadic import Specialising, specialising, takes_varargs
from srcgrad.compiler import diskcache
from srcgrad.compiler.lazy import finish
from srcgrad.compiler.pipeline import (cache_get, cache_put, clear_cache, complex_maker, generate_cached,
                                       normalise_wrt, reverse_transform, wrt_key)
from srcgrad.errors import ClassesNeeded, SrcgradError

__all__ = ["grad", "value_and_grad", "vjp", "source", "clear_cache", "disk_cache"]


def disk_cache(enabled=None, directory=None):
    """Turn the disk cache of generated code on or off, or move it, for this
    process (over ``SRCGRAD_CACHE=0`` and ``SRCGRAD_CACHE_DIR``); returns
    ``(enabled, directory)``.  ``srcgrad.clear_cache(disk=True)`` empties it.
    See :mod:`srcgrad.compiler.diskcache`."""
    return diskcache.settings(enabled=enabled, directory=directory)


def _cached(fun, wrt, with_value):
    # ``wrt`` as given, then as parameter names (wrt=0 and wrt="x" share one
    # function); the disk cache keeps grad and value_and_grad
    key = (wrt, with_value)
    made = cache_get(fun, key)
    if made is not None:
        return made
    names, single = normalise_wrt(fun, wrt)
    canonical = ("grad", names, single, with_value)
    made = cache_get(fun, canonical)
    if made is None:
        request = [canonical[0], list(names), single, with_value]

        def make(classes=None, name=None):
            options = dict(with_value=with_value, as_tuple=not single, classes=classes,
                           name=name)
            return generate_for(fun, request, classes,
                                lambda: reverse_transform(fun, names, DRIVER, **options),
                                complex_maker(fun, reverse_transform, names, DRIVER, **options))
        try:
            made = make()
        except ClassesNeeded as needed:        # osc.energy(x): a version per class of osc
            made = per_class(fun, needed, make,
                             ("value_and_d_" if with_value else "d_") + base_name(fun), True)
        cache_put(fun, canonical, made)
    return cache_put(fun, key, made)


def grad(fun=None, wrt=0):
    """The gradient of ``fun``'s scalar result with respect to argument ``wrt``.

    ``wrt`` is a parameter position or name, or a tuple of them (the gradient
    is then a tuple in that order).  Returns a generated Python function with
    ``fun``'s signature; ``srcgrad.source(df)`` shows its code.  Works as a
    decorator, bare (``@grad``) or with options (``@grad(wrt=(0, 1))``).
    """
    if fun is None:
        return functools.partial(grad, wrt=wrt)
    if takes_varargs(fun):
        return specialising("grad", grad, fun, wrt)
    return _cached(fun, wrt_key(wrt), False)


def value_and_grad(fun=None, wrt=0):
    """Like :func:`grad`, but the generated function returns
    ``(value, gradient)`` from one forward and one reverse sweep (usable as
    ``scipy.optimize.minimize(fun, x0, jac=True)``)."""
    if fun is None:
        return functools.partial(value_and_grad, wrt=wrt)
    if takes_varargs(fun):
        return specialising("value_and_grad", value_and_grad, fun, wrt)
    return _cached(fun, wrt_key(wrt), True)


def vjp(fun=None, wrt=0):
    """The vector-Jacobian product of ``fun`` by reverse mode, for results of
    any shape.

    Returns a generated function taking ``fun``'s positional parameters
    without a default, then the cotangent (an array of the result's shape);
    ``fun``'s parameters with a default are keyword-only in it, with the same
    defaults (``def f(x, num=5)`` gives ``vjp_f(x, cotangent, *, num=5)``;
    docs/modes.md).  It returns ``(value, cotangent_in)``: ``fun``'s result
    and the cotangent pulled back to argument ``wrt`` (a tuple for a tuple
    ``wrt``).  Decorator forms work as for :func:`grad`."""
    if fun is None:
        return functools.partial(vjp, wrt=wrt)
    if takes_varargs(fun):
        return specialising("vjp", vjp, fun, wrt)
    key = ("vjp", wrt_key(wrt))
    made = cache_get(fun, key)
    if made is not None:
        return made
    names, single = normalise_wrt(fun, key[1])
    canonical = ("vjp", names, single)
    made = cache_get(fun, canonical)
    if made is None:
        def make(classes=None, name=None):
            return reverse_transform(fun, names, DRIVER, with_value=True, as_tuple=not single,
                                     cotangent=True, classes=classes, name=name)
        try:
            made = make()
        except ClassesNeeded as needed:        # osc.energy(x): a version per class of osc
            made = per_class(fun, needed, make, "vjp_" + base_name(fun), False)
        cache_put(fun, canonical, made)
    return cache_put(fun, key, made)


def source(df, standalone=False):
    """The generated Python source of a function srcgrad made.

    With ``standalone=True`` the text is a complete module that needs no
    srcgrad and never imports the user's module: imports of public libraries,
    the runtime helpers the code calls (copied from :mod:`srcgrad.runtime`),
    the user's constants written in, and other globals as keyword-only
    parameters (:mod:`srcgrad.api.export`)."""
    if standalone:
        # (a PerClass: its versions and the dispatcher; *args: the version of
        # the last call and a function with the signature of the user's)
        return export.module_text([df])
    if isinstance(df, Specialising):
        df = df.generated()            # (*args: the version of the last call)
    try:
        text = finish(df).srcgrad_source
    except AttributeError:
        raise SrcgradError(f"{df!r} was not generated by srcgrad") from None
    # the adjoint functions of the helpers it calls (frontend/inline/joint.py)
    return "\n\n".join([text] + [part.srcgrad_source for part in export.joint_parts(df)])


DRIVER.provide(grad=grad, value_and_grad=value_and_grad, vjp=vjp)
