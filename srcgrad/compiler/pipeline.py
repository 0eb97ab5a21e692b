"""The driver: the stages in order, and the cache of generated functions.

parse → normalise (+ inline) → SSA → hoist → analyse → reverse | forward →
optimise → emit.  ``front_end`` runs the stages every mode shares,
``reverse_transform`` and ``forward_transform`` the rest; ``assemble``
compiles the generic version and the one for Python floats.  The public API
(``srcgrad.api``) calls these; no stage imports the API.  A stage that needs
the derivative of another function (``srcgrad.grad(f)`` written inside
differentiated code, a recursive call) asks the :class:`Driver` it is given.
"""

import ast
import builtins
import copy
import dataclasses
import functools
import inspect
import re
import weakref

import gast

from srcgrad import runtime
from srcgrad.compiler import emit as emit_stage
from srcgrad.compiler.analysis import Analysis, analyse
from srcgrad.compiler.analysis.complex_values import refuse_complex
from srcgrad.compiler.boundary import Boundary, with_boundary, with_guard
from srcgrad.compiler.frontend import generated
from srcgrad.compiler.frontend import Normaliser
from srcgrad.compiler.frontend import parse
from srcgrad.compiler.ir.names import Injector, Namer, comment_node, names_in
from srcgrad.compiler.ir.printer import to_source
from srcgrad.compiler.ir.signature import Positional
from srcgrad.compiler.ir.ssa import to_ssa
from srcgrad.compiler.optimise import (batch_outer_products, eliminate_dead_code,
                                                forward_temporaries, hoist_invariants,
                                                propagate_constants, propagate_copies)
from srcgrad.compiler.transforms import BatchedForward, Forward
from srcgrad.compiler.transforms import Comment, Reverse
from srcgrad.errors import SrcgradError, UnsupportedError

class Driver:
    """What a stage may ask of srcgrad as a whole: the public transforms
    (``grad``, ``jvp`` ...), to generate the derivative of another function.

    The public API (``srcgrad.api``) makes the one instance and provides the
    transforms; the pipeline hands it to the stages that need it (the
    inliner, for ``srcgrad.grad(f)`` written inside differentiated code; the
    analysis, for the rule of a recursive call).  So no stage imports the API.
    """

    def __init__(self):
        self.transforms = {}

    def provide(self, **transforms):
        self.transforms.update(transforms)

    @property
    def static_transforms(self):
        """The transforms a call in differentiated code may name, evaluated
        while generating (``srcgrad.grad(f, wrt=0)`` of a known ``f``)."""
        return tuple(self.transforms.values())

    def recursive_vjp(self, fun, i, args, g):
        """The cotangent of argument ``i`` of ``fun(*args)`` given the result's ``g``."""
        return self.transforms["vjp"](fun, wrt=i)(*args, g)[1]

    def recursive_jvp(self, fun, i, args, t):
        """The tangent of ``fun(*args)`` along tangent ``t`` of argument ``i``."""
        return self.transforms["jvp"](fun, wrt=i)(*args, t)[1]


_CACHE = weakref.WeakKeyDictionary()


def clear_cache():
    """Forget every generated function (the next request re-runs the pipeline)."""
    _CACHE.clear()


def cache_get(fun, key):
    """The function generated from ``fun`` under ``key``, or ``None``.  One
    cache for every mode (keys of their own), so ``clear_cache`` forgets all."""
    try:
        per_fun = _CACHE.get(fun)
    except TypeError:          # not weak-referenceable: never cached
        return None
    return None if per_fun is None else per_fun.get(key)


def cache_put(fun, key, made):
    try:
        _CACHE.setdefault(fun, {})[key] = made
    except TypeError:
        pass
    return made


def wrt_key(wrt):
    """``wrt`` as a hashable cache key (a list becomes a tuple)."""
    return tuple(wrt) if isinstance(wrt, list) else wrt


def normalise_wrt(fun, wrt, distinct=False):
    if not (inspect.isfunction(inspect.unwrap(fun)) or inspect.ismethod(fun)
            or isinstance(fun, functools.partial)):
        raise UnsupportedError(f"srcgrad differentiates Python functions defined with 'def', "
                               f"not {type(fun).__name__} objects ({fun!r})",
                               hint="to give a built-in or C function a derivative, register a "
                                    "rule with srcgrad.defvjp")
    params = list(inspect.signature(fun).parameters)
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    if not items:
        raise SrcgradError("wrt must name at least one argument")
    names = []
    for w in items:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise SrcgradError(f"wrt must be an argument position or name, not {w!r}")
        if isinstance(w, int):
            if not -len(params) <= w < len(params):
                raise SrcgradError(f"wrt={w} but {getattr(fun, '__qualname__', fun)} has {len(params)} "
                                   f"parameters {params}")
            names.append(params[w])
        else:
            if w not in params:
                raise SrcgradError(f"wrt={w!r} is not a parameter of {getattr(fun, '__qualname__', fun)} "
                                   f"(parameters: {params})")
            names.append(w)
    if distinct and len(set(names)) != len(names):
        raise SrcgradError(f"wrt names an argument twice: {wrt!r}")
    return tuple(names), single


@dataclasses.dataclass
class Front:
    """What the front of the pipeline (parse → normalise → SSA → analyse)
    produces, shared by every mode."""
    parsed: object
    fn: object
    analysis: object
    namer: object
    injector: object
    user_of: dict


def front_end(fun, wrt_names, driver, *, scalar_result=True, reverse=False):
    """parse → normalise → SSA (and loop-invariant code motion) → analyse.
    ``scalar_result``: the result is known to be a scalar (``grad`` checks
    it), which lets the shape analysis prove more.  ``reverse``: for the
    reverse transform (generated code's tapes stay lists)."""
    # srcgrad's own generated code (higher derivatives): see srcgrad/generated.py
    parsed = parse(generated.generic_version(fun))
    parsed.tree = copy.deepcopy(parsed.tree)
    _portable_defaults(parsed)
    generated.prepare(parsed, reverse=reverse)
    parsed.srcgrad_reverse = reverse      # for generated code the inliner meets
    namer = Namer(names_in(parsed.tree) | set(parsed.closure))
    fn = Normaliser(parsed, namer, driver=driver).run()
    user_of = to_ssa(fn, namer)
    locals_ = {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}
    locals_ |= {n.id for n in gast.walk(fn) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Store)}
    resolver = Analysis(parsed, fn, wrt_names, locals_, driver=driver).resolve
    fn.body = hoist_invariants(fn.body, resolver)
    an = analyse(parsed, fn, wrt_names, locals_, user_of, driver, scalar_result=scalar_result)
    refuse_complex(parsed, fn, an)
    injector = Injector(namer, an.resolve_name)
    for name, obj in parsed.extras.items():      # objects inlined code refers to
        injector.objects[name] = obj
        injector.by_id.setdefault(id(obj), name)
    return Front(parsed, fn, an, namer, injector, user_of)


def _portable_defaults(parsed):
    """Default values in the generated ``def`` line are shown as written when
    they only name globals (``act=np.tanh``); one that reads a variable of an
    enclosing function (``lambda a, key=key: ...``) is shown as ``...``.  The
    generated function gets the real values from the user's function."""
    a = parsed.tree.args
    known = set(parsed.globals) | set(dir(builtins))
    for i, d in enumerate(a.defaults):
        if {n.id for n in gast.walk(d) if isinstance(n, gast.Name)} - known:
            a.defaults[i] = gast.Constant(value=Ellipsis, kind=None)
    for i, d in enumerate(a.kw_defaults):
        if d is not None and {n.id for n in gast.walk(d) if isinstance(n, gast.Name)} - known:
            a.kw_defaults[i] = gast.Constant(value=Ellipsis, kind=None)


def assemble(front, name, generate, *, extra_checks=(), signature=None, boundary=None):
    """Generate the generic version and, when it differs, the one for
    Python floats behind a type guard; compile them into one function.
    ``generate(analysis, name)`` returns a gast FunctionDef.  ``boundary``
    (a :class:`Boundary`) says what the function returns, for the type
    checks at its entry and exit."""
    an, namer = front.analysis, front.namer
    generic = generate(an, name)
    generic_source = to_source(generic)
    functions = [(name, with_boundary(generic_source, generic, boundary, (), front))]
    guarded = sorted(an.scalar_candidates())
    if guarded:
        special = generate(an.assuming_scalar(guarded), name)
        special_source = to_source(special)
        if special_source != generic_source:
            generic_name = namer.fresh(name + "_generic")
            generic_source = functions[0][1].replace(f"def {name}(", f"def {generic_name}(", 1)
            checks = guarded + [extra for p, extra in extra_checks if p in guarded]
            special_source = with_boundary(special_source, special, boundary, set(guarded),
                                            front)
            special_source = with_guard(special_source, special, checks, generic_name)
            functions = [(generic_name, generic_source), (name, special_source)]
    df = emit_stage.build(functions, signature or front.parsed, front.injector.objects)
    df.srcgrad_source = "\n\n".join(src for _, src in reversed(functions))
    df.srcgrad_injected = dict(front.injector.objects)
    return df


def reverse_transform(fun, wrt_names, driver, *, with_value, as_tuple=None, cotangent=False):
    """Run the reverse-mode pipeline; returns the generated function.

    Two versions may be generated from one analysis: a generic one, correct
    for any mix of scalars and arrays, and, when it differs, one specialised
    for Python-float arguments (no shape bookkeeping at all, as a person
    would write it) that starts with a type check falling back to the
    generic version.  With ``cotangent`` (``vjp``), the generated function
    takes the result's cotangent as a last argument instead of seeding 1."""
    front = front_end(fun, wrt_names, driver, scalar_result=not cotangent, reverse=True)
    parsed, namer = front.parsed, front.namer
    if cotangent:
        prefix = "vjp_"
    else:
        prefix = "value_and_d_" if with_value else "d_"
    name = namer.fresh(prefix + parsed.name)
    seed = namer.fresh("cotangent") if cotangent else None

    def generate(analysis, fname):
        rev = Reverse(parsed, copy.deepcopy(front.fn), analysis, copy.deepcopy(namer),
                      front.injector, wrt_names, front.user_of, with_value=with_value,
                      as_tuple=len(wrt_names) > 1 if as_tuple is None else as_tuple, seed=seed)
        out = rev.run()
        _comments_to_nodes(out.body)
        out.name = fname
        temps = getattr(front.fn, "srcgrad_temps", set())
        adjoints_of_temps = {rev.adj_names[t] for t in temps if t in rev.adj_names}
        propagate_copies(out, adjoints_of_temps)
        propagate_constants(out, set(rev.adj_names.values()) - adjoints_of_temps,
                            set(rev.adj_names.values()), getattr(analysis, "floats", ()))
        propagate_copies(out, adjoints_of_temps)      # copies the constants left
        eliminate_dead_code(out)
        forward_temporaries(out, temps | adjoints_of_temps, front.injector.objects)
        batch_outer_products(out, front.injector.objects, rev.namer.fresh,
                             lambda: front.injector.name_for(runtime.matmul_dx_sum,
                                                             "matmul_dx_sum"))
        return out

    signature = dataclasses.replace(parsed, fun=Positional(parsed.fun, parsed.tree.args)) if cotangent else None
    boundary = Boundary(tuple(wrt_names),
                        "value_and_derivatives" if with_value else "derivatives",
                        len(wrt_names) > 1 if as_tuple is None else as_tuple)
    return assemble(front, name, generate, signature=signature, boundary=boundary)


def forward_transform(fun, wrt_names, driver, *, with_value=True, name=None, batched=False,
                      boundary=None):
    """Run the forward-mode pipeline; returns the generated function (a
    generic version and, when it differs, one for Python floats behind a
    type guard, as :func:`reverse_transform` makes).  Without
    ``with_value`` it returns the tangent alone; ``name`` names it (default
    ``jvp_<function>``).  ``batched``: every tangent has a last axis of
    directions (:class:`srcgrad.compiler.transforms.forward.BatchedForward`); only the generic
    version is generated (the tangents are arrays).  ``boundary``: what the
    generated function returns, for its type checks (:class:`srcgrad.compiler.boundary.Boundary`;
    by default ``(value, tangent)``)."""
    if boundary is None:
        boundary = Boundary(tuple(wrt_names), "tangent" if with_value else "derivatives",
                                len(wrt_names) > 1)
    front = front_end(fun, wrt_names, driver, scalar_result=False)
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

    signature = dataclasses.replace(front.parsed, fun=Positional(front.parsed.fun,
                                                                      front.parsed.tree.args))
    if batched:
        out = generate(front.analysis, name)
        text = with_boundary(to_source(out), out, boundary, (), front)
        df = emit_stage.build([(name, text)], signature, front.injector.objects)
        df.srcgrad_source = text
        df.srcgrad_injected = dict(front.injector.objects)
    else:
        df = assemble(front, name, generate, extra_checks=list(tangent_names.items()),
                          signature=signature, boundary=boundary)
    df.srcgrad_tangents = tuple(tangent_names[p] for p in wrt_names)
    # over generated code: the helpers it calls are closure variables of that code
    used = set(re.findall(r"\w+", df.srcgrad_source))
    df.srcgrad_injected.update({n: obj for n, obj in generated.closure_objects(front.parsed).items()
                                if n in used})
    return df


def _comments_to_nodes(stmts):
    for i, s in enumerate(stmts):
        if isinstance(s, Comment):
            stmts[i] = comment_node(s.text)
        for f in ("body", "orelse"):
            sub = getattr(s, f, None)
            if isinstance(sub, list):
                _comments_to_nodes(sub)


