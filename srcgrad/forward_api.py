"""Forward mode: ``jvp(f, wrt)`` and the pipeline that generates it.

parse → normalise → SSA → analyse (the same stages as ``grad``) → the
forward transform (:mod:`srcgrad.forward`) → optimise → emit.  The generated
function takes ``f``'s positional arguments, then one tangent per ``wrt``
argument (``d_<name>``), and returns ``(value, tangent_out)``: the value of
``f`` and its directional derivative along the given tangents.
"""

import copy
import dataclasses
import functools

import gast

from . import api
from . import emit as emit_stage
from . import analyse as analyse_module
from .analyse import analyse
from .forward import Forward
from .names import Injector, Namer, names_in
from .normalise import Normaliser
from .optimise import eliminate_dead_code, hoist_invariants, propagate_copies
from .parse import parse
from .ssa import to_ssa


class _Signature:
    """What :func:`srcgrad.emit.build` reads of the user's function, for a
    generated function whose positional parameters have no defaults (the
    tangents follow them) and whose keyword-only ones keep theirs."""

    def __init__(self, fun):
        self.__defaults__ = None
        self.__kwdefaults__ = fun.__kwdefaults__
        self.__module__ = fun.__module__
        self.__qualname__ = fun.__qualname__


def forward_transform(fun, wrt_names):
    """Run the forward-mode pipeline; returns the generated function.

    Like :func:`srcgrad.api.transform`: a generic version, right for any mix
    of scalars and arrays, and, when it differs, one specialised for Python
    floats that starts with a type check falling back to the generic one."""
    parsed = parse(fun)
    tree = copy.deepcopy(parsed.tree)
    parsed.tree = tree
    namer = Namer(names_in(tree) | set(parsed.closure))
    fn = Normaliser(parsed, namer).run()
    user_of = to_ssa(fn, namer)
    locals_ = {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}
    locals_ |= {n.id for n in gast.walk(fn) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Store)}
    resolver = analyse_module.Analysis(parsed, fn, wrt_names, locals_).resolve
    fn.body = hoist_invariants(fn.body, resolver)
    an = analyse(parsed, fn, wrt_names, locals_)
    injector = Injector(namer, an.resolve_name)
    name = namer.fresh("jvp_" + parsed.name)
    # the tangent arguments are named before either version is generated,
    # so both versions (and the guard) agree on them
    tangent_names = {p: namer.fresh("d_" + p) for p in wrt_names}

    def generate(analysis, fname):
        fwd = Forward(parsed, copy.deepcopy(fn), analysis, copy.deepcopy(namer), injector,
                      wrt_names, user_of)
        fwd.tan_names.update(tangent_names)
        out = fwd.run()
        out.name = fname
        temps = getattr(fn, "srcgrad_temps", set())
        propagate_copies(out, {fwd.tan_names[t] for t in temps if t in fwd.tan_names})
        eliminate_dead_code(out)
        return out

    generic = generate(an, name)
    generic_source = emit_stage.to_source(generic)
    functions = [(name, generic_source)]
    guarded = sorted(an.scalar_candidates())
    if guarded:
        special = generate(an.assuming_scalar(guarded), name)
        special_source = emit_stage.to_source(special)
        if special_source != generic_source:
            generic_name = namer.fresh(name + "_generic")
            generic_source = generic_source.replace(f"def {name}(", f"def {generic_name}(", 1)
            checks = guarded + [tangent_names[p] for p in guarded if p in tangent_names]
            special_source = api._with_guard(special_source, special, checks, generic_name)
            functions = [(generic_name, generic_source), (name, special_source)]
    signature = dataclasses.replace(parsed, fun=_Signature(parsed.fun))
    df = emit_stage.build(functions, signature, injector.objects)
    df.srcgrad_source = "\n\n".join(src for _, src in reversed(functions))
    df.srcgrad_injected = dict(injector.objects)
    df.srcgrad_tangents = tuple(tangent_names[p] for p in wrt_names)
    return df


def _cached(fun, wrt):
    # kept in api's cache (under a key of its own), so srcgrad.clear_cache()
    # forgets generated jvps too
    key = ("jvp", wrt)
    try:
        per_fun = api._CACHE.get(fun)
    except TypeError:
        per_fun = None
    if per_fun is not None and key in per_fun:
        return per_fun[key]
    names, _ = api._normalise_wrt(fun, wrt)
    if len(set(names)) != len(names):
        raise api.SrcgradError(f"wrt names an argument twice: {wrt!r}")
    df = forward_transform(fun, names)
    try:
        api._CACHE.setdefault(fun, {})[key] = df
    except TypeError:
        pass
    return df


def jvp(fun=None, wrt=0):
    """The Jacobian-vector product of ``fun`` by forward mode.

    ``wrt`` is a parameter position or name, or a tuple of them.  Returns a
    generated function taking ``fun``'s positional arguments followed by one
    tangent per ``wrt`` argument (``d_<name>``, of that argument's shape), and
    returning ``(value, tangent_out)``: ``fun``'s result and its derivative
    along the tangents (the shape of the result).  One pass, no tape;
    ``srcgrad.source(df)`` shows the code.  Works as a decorator, bare
    (``@jvp``) or with options (``@jvp(wrt=(0, 1))``)."""
    if fun is None:
        return functools.partial(jvp, wrt=wrt)
    key = tuple(wrt) if isinstance(wrt, list) else wrt
    return _cached(fun, key)
