"""Forward mode: ``jvp(f, wrt)`` and the pipeline that generates it.

parse → normalise → SSA → analyse (the same stages as ``grad``) → the
forward transform (:mod:`srcgrad.forward`) → optimise → emit.  The generated
function takes ``f``'s positional parameters without a default, then one
tangent per ``wrt`` argument (``d_<name>``), then the parameters with a
default as keyword-only ones (``api.with_extra_parameters``), and returns
``(value, tangent_out)``: the value of ``f`` and its directional derivative
along the given tangents.  ``jvp_batched`` is the same for a batch of
directions on a last axis of every tangent (used by ``srcgrad.jacobian``).
"""

import copy
import dataclasses
import functools
import re

from . import api, generated
from . import emit as emit_stage
from .forward import BatchedForward, Forward
from .optimise import eliminate_dead_code, propagate_copies


def forward_transform(fun, wrt_names, *, with_value=True, name=None, batched=False,
                      boundary=None):
    """Run the forward-mode pipeline; returns the generated function (a
    generic version and, when it differs, one for Python floats behind a
    type guard, as :func:`srcgrad.api.transform` makes).  Without
    ``with_value`` it returns the tangent alone; ``name`` names it (default
    ``jvp_<function>``).  ``batched``: every tangent has a last axis of
    directions (:class:`srcgrad.forward.BatchedForward`); only the generic
    version is generated (the tangents are arrays).  ``boundary``: what the
    generated function returns, for its type checks (:class:`srcgrad.api.Boundary`;
    by default ``(value, tangent)``)."""
    if boundary is None:
        boundary = api.Boundary(tuple(wrt_names), "tangent" if with_value else "derivatives",
                                len(wrt_names) > 1)
    front = api.front_end(fun, wrt_names, scalar_result=False)
    namer = front.namer
    name = namer.fresh(name or ("jvp_batched_" if batched else "jvp_") + front.parsed.name)
    # over a generated gradient, whose names are d_x already, tangents are t_d_x
    prefix = "t_" if generated.is_generated(front.parsed.fun) else "d_"
    # the tangent arguments are named before either version is generated,
    # so both versions (and the guard) agree on them
    tangent_names = {p: namer.fresh(prefix + p) for p in wrt_names}

    def generate(analysis, fname):
        fwd = (BatchedForward if batched else Forward)(front.parsed, copy.deepcopy(front.fn), analysis, copy.deepcopy(namer),
                      front.injector, wrt_names, front.user_of)
        fwd.prefix = prefix
        fwd.with_value = with_value
        fwd.tan_names.update(tangent_names)
        out = fwd.run()
        out.name = fname
        temps = getattr(front.fn, "srcgrad_temps", set())
        propagate_copies(out, {fwd.tan_names[t] for t in temps if t in fwd.tan_names})
        eliminate_dead_code(out)
        return out

    signature = dataclasses.replace(front.parsed, fun=api._Positional(front.parsed.fun,
                                                                      front.parsed.tree.args))
    if batched:
        out = generate(front.analysis, name)
        text = api._with_boundary(emit_stage.to_source(out), out, boundary, (), front)
        df = emit_stage.build([(name, text)], signature, front.injector.objects)
        df.srcgrad_source = text
        df.srcgrad_injected = dict(front.injector.objects)
    else:
        df = api.assemble(front, name, generate, extra_checks=list(tangent_names.items()),
                          signature=signature, boundary=boundary)
    df.srcgrad_tangents = tuple(tangent_names[p] for p in wrt_names)
    # over generated code: the helpers it calls are closure variables of that code
    used = set(re.findall(r"\w+", df.srcgrad_source))
    df.srcgrad_injected.update({n: obj for n, obj in generated.closure_objects(front.parsed).items()
                                if n in used})
    return df


def _cached(fun, wrt, batched=False):
    # kept in api's cache (under a key of its own), so srcgrad.clear_cache()
    # forgets generated jvps too
    key = ("jvp_batched" if batched else "jvp", wrt)
    made = api.cache_get(fun, key)
    if made is not None:
        return made
    names, _ = api._normalise_wrt(fun, wrt, distinct=True)
    return api.cache_put(fun, key, forward_transform(fun, names, batched=batched))


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
    key = api.wrt_key(wrt)
    return _cached(fun, key)


def jvp_batched(fun, wrt=0):
    """Forward mode for a batch of directions in one pass: like :func:`jvp`,
    but each tangent argument has its argument's shape plus a last axis of
    ``K`` directions, and the tangent returned has the result's shape plus
    that axis (``J V`` for the ``K`` columns of ``V``).  Used by
    ``srcgrad.jacobian``; ``srcgrad.source`` shows the code."""
    key = api.wrt_key(wrt)
    return _cached(fun, key, batched=True)
