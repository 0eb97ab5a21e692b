"""The public entry points and the pipeline that connects the stages.

parse → normalise → SSA → analyse → reverse transform → optimise → emit,
each stage in its own module; the result is cached per function and options.
"""

import ast
import builtins
import copy
import dataclasses
import functools
import inspect
import weakref

import gast

from . import emit as emit_stage
from . import generated
from . import runtime
from .analyse import analyse
from .errors import SrcgradError, UnsupportedError
from .names import Injector, Namer, names_in
from .normalise import Normaliser
from . import analyse as analyse_module
from .optimise import (batch_outer_products, eliminate_dead_code, forward_temporaries,
                       hoist_invariants, propagate_constants, propagate_copies)
from .parse import parse
from .reverse import Comment, Reverse
from .ssa import to_ssa

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


def _normalise_wrt(fun, wrt, distinct=False):
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


def front_end(fun, wrt_names, *, scalar_result=True, reverse=False):
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
    fn = Normaliser(parsed, namer).run()
    user_of = to_ssa(fn, namer)
    locals_ = {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}
    locals_ |= {n.id for n in gast.walk(fn) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Store)}
    resolver = analyse_module.Analysis(parsed, fn, wrt_names, locals_).resolve
    fn.body = hoist_invariants(fn.body, resolver)
    an = analyse(parsed, fn, wrt_names, locals_, user_of, scalar_result=scalar_result)
    _refuse_complex(parsed, fn, an)
    injector = Injector(namer, an.resolve_name)
    for name, obj in parsed.extras.items():      # objects inlined code refers to
        injector.objects[name] = obj
        injector.by_id.setdefault(id(obj), name)
    return Front(parsed, fn, an, namer, injector, user_of)


_COMPLEX_DTYPE_NAMES = {"complex", "complex64", "complex128", "complex256", "complex_", "cfloat",
                        "cdouble", "csingle", "clongdouble", "clongfloat", "c8", "c16", "c32",
                        "F", "D", "G"}          # as a dtype= or astype() argument


def _is_complex_object(obj):
    """A complex number, a complex array, or a complex type or dtype."""
    import numpy as np
    if isinstance(obj, (complex, np.complexfloating)):
        return True
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind == "c"
    if isinstance(obj, type):
        return obj is complex or issubclass(obj, np.complexfloating)
    return isinstance(obj, np.dtype) and obj.kind == "c"


def _refuse_complex(parsed, fn, an):
    """Refuse, at transformation time, a complex constant (``1j``, a global
    complex number or array, ``complex``, ``np.complex128``, ``dtype='c16'``)
    that reaches an active operation: complex numbers are not supported
    yet.  Names computed from one carry it on (a fixpoint over the SSA
    assignments); inactive uses (a printed value, an FFT of data) stay."""
    from .analyse import defined_name, iter_ops

    def dtype_string(node):
        return isinstance(node, gast.Constant) and isinstance(node.value, str) and \
            node.value in _COMPLEX_DTYPE_NAMES

    def marked(node):
        """``node`` holds a complex constant, global, type or dtype."""
        for n in gast.walk(node):
            if isinstance(n, gast.Constant):
                if isinstance(n.value, complex):
                    return True
            elif isinstance(n, gast.Call):
                if any(k.arg == "dtype" and dtype_string(k.value) for k in n.keywords) or \
                        isinstance(n.func, gast.Attribute) and n.func.attr == "astype" and \
                        n.args and dtype_string(n.args[0]):
                    return True
            elif isinstance(n, gast.Name):
                if n.id not in an.locals and _is_complex_object(an.resolve(n)):
                    return True
            elif isinstance(n, gast.Attribute) and _is_complex_object(an.resolve(n)):
                return True
        return False

    ops = [s for s in iter_ops(fn.body, an.locals) if isinstance(s, gast.Assign)]
    direct = {id(s) for s in ops if marked(s.value)}
    if not direct:
        return
    reads = {id(s): {n.id for n in gast.walk(s.value) if isinstance(n, gast.Name)} for s in ops}
    complex_names = set()
    changed = True
    while changed:                      # names computed from a complex value are complex
        changed = False
        for s in ops:
            name = defined_name(s)
            if name is not None and name not in complex_names and \
                    (id(s) in direct or reads[id(s)] & complex_names):
                complex_names.add(name)
                changed = True
    for s in ops:
        if defined_name(s) in an.active and (id(s) in direct or reads[id(s)] & complex_names):
            raise parsed.error(s, "complex numbers are not supported yet: this value is "
                                  "complex and the derivative depends on it",
                               construct="complex number",
                               hint="keep the computation real (a complex constant, global or "
                                    "dtype on a differentiated path is not supported yet)")


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
    generic_source = emit_stage.to_source(generic)
    functions = [(name, _with_boundary(generic_source, generic, boundary, (), front))]
    guarded = sorted(an.scalar_candidates())
    if guarded:
        special = generate(an.assuming_scalar(guarded), name)
        special_source = emit_stage.to_source(special)
        if special_source != generic_source:
            generic_name = namer.fresh(name + "_generic")
            generic_source = functions[0][1].replace(f"def {name}(", f"def {generic_name}(", 1)
            checks = guarded + [extra for p, extra in extra_checks if p in guarded]
            special_source = _with_boundary(special_source, special, boundary, set(guarded),
                                            front)
            special_source = _with_guard(special_source, special, checks, generic_name)
            functions = [(generic_name, generic_source), (name, special_source)]
    df = emit_stage.build(functions, signature or front.parsed, front.injector.objects)
    df.srcgrad_source = "\n\n".join(src for _, src in reversed(functions))
    df.srcgrad_injected = dict(front.injector.objects)
    return df


def with_extra_parameters(args, extras, fun):
    """The parameters of a generated function that takes the ``extras``
    (tangents, a cotangent: names) besides the user's parameters ``args``
    (a gast ``arguments``) of ``fun``.

    The user's positional parameters without a default come first, then
    the ``extras``, positionally; parameters with a default become
    keyword-only (after the user's own keyword-only ones), keeping their
    defaults.  So ``def f(x, y, num=5)`` gives ``jvp_f(x, y, d_x, d_y, *,
    num=5)``: a tangent is never taken for ``num``, ``num`` is still
    optional, and a function without defaults is called exactly as before
    (``jvp(f)(x, t)``).  :class:`_Positional` gives the generated function
    the matching default values."""
    n = len(fun.__defaults__ or ())
    positional = list(args.posonlyargs) + list(args.args)
    required = positional[:len(positional) - n]
    defaulted = positional[len(positional) - n:]
    shown = list(args.defaults) if len(args.defaults) == n else \
        [gast.Constant(value=Ellipsis, kind=None)] * n
    extra = [gast.Name(id=e, ctx=gast.Param(), annotation=None, type_comment=None)
             for e in extras]
    posonly = [a for a in required if a in args.posonlyargs]
    return gast.arguments(
        posonlyargs=posonly, args=[a for a in required if a not in posonly] + extra,
        vararg=None, kwonlyargs=list(args.kwonlyargs) + defaulted,
        kw_defaults=list(args.kw_defaults) + shown, kwarg=None, defaults=[])


class _Positional:
    """What :func:`srcgrad.emit.build` reads of the user's function, for a
    generated function with extra positional parameters after the user's
    (:func:`with_extra_parameters`): the defaults of positional parameters
    become keyword-only defaults."""

    def __init__(self, fun, args):
        defaults = fun.__defaults__ or ()
        positional = [a.id for a in list(args.posonlyargs) + list(args.args)]
        self.__defaults__ = None
        kw = dict(zip(positional[len(positional) - len(defaults):], defaults))
        kw.update(fun.__kwdefaults__ or {})
        self.__kwdefaults__ = kw or None
        self.__module__ = fun.__module__
        self.__qualname__ = fun.__qualname__


def transform(fun, wrt_names, *, with_value, as_tuple=None, cotangent=False):
    """Run the reverse-mode pipeline; returns the generated function.

    Two versions may be generated from one analysis: a generic one, correct
    for any mix of scalars and arrays, and, when it differs, one specialised
    for Python-float arguments (no shape bookkeeping at all, as a person
    would write it) that starts with a type check falling back to the
    generic version.  With ``cotangent`` (``vjp``), the generated function
    takes the result's cotangent as a last argument instead of seeding 1."""
    front = front_end(fun, wrt_names, scalar_result=not cotangent, reverse=True)
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

    signature = dataclasses.replace(parsed, fun=_Positional(parsed.fun, parsed.tree.args)) if cotangent else None
    boundary = Boundary(tuple(wrt_names),
                        "value_and_derivatives" if with_value else "derivatives",
                        len(wrt_names) > 1 if as_tuple is None else as_tuple)
    return assemble(front, name, generate, signature=signature, boundary=boundary)


@dataclasses.dataclass
class Boundary:
    """What a generated function returns, for the type checks at its entry
    and exit (``runtime.check_argument``, ``like_argument``, ``like_value``).

    ``wrt``: the arguments differentiated, checked at entry (unless the float
    guard already proved them Python floats).  ``kind``: ``"derivatives"``
    (one derivative per ``wrt`` argument, a tuple when ``as_tuple``:
    ``grad``, ``hvp``), ``"value_and_derivatives"`` (``(value,
    derivatives)``: ``value_and_grad``, ``vjp``) or ``"tangent"`` (``(value,
    tangent)``: ``jvp``)."""
    wrt: tuple
    kind: str
    as_tuple: bool = False


def _with_boundary(source, fn, boundary, floats, front):
    """``source`` of ``fn`` with the type checks of ``boundary``: each
    ``wrt`` argument checked at entry (``check_argument(x, 'x')``), each
    derivative given its argument's type at the return (``like_argument``).
    ``floats``: arguments the float guard proved Python floats: no entry
    check, and at the return only an inline test (a float derivative of a
    float passes; anything else, a complex one say, goes to the helper)."""
    if boundary is None:
        return source
    ret = fn.body[-1] if fn.body else None
    if not isinstance(ret, gast.Return) or ret.value is None:
        ret = gast.Return(value=None)
    name_for = front.injector.name_for
    # with Python floats only, only ``**`` (a negative number to a fractional
    # power) can make a value complex: complex constants are refused when
    # generating, complex arguments at entry
    may_be_complex = any(isinstance(n, gast.BinOp) and isinstance(n.op, gast.Pow) and not (
        isinstance(n.right, gast.Constant) and type(n.right.value) is int)
        or isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id == "pow"
        for n in gast.walk(fn))
    lines = source.rstrip("\n").split("\n")
    pre = []

    def text(node):
        return ast.unparse(gast.gast_to_ast(node))

    def like(node, call, other, extra=()):
        """``node`` (a derivative) passed through the helper ``call``."""
        args = [text(node), other] + list(extra)
        if isinstance(node, gast.Name) and other in floats:
            if not may_be_complex:
                return node.id
            pre.extend([f"    if type({node.id}) is not float:",
                        f"        {node.id} = {call}({', '.join(args)})"])
            return node.id
        return f"{call}({', '.join(args)})"

    def derivatives(node):
        wrt = boundary.wrt
        if not boundary.as_tuple:
            return like(node, name_for(runtime.like_argument, "like_argument"), wrt[0],
                        [repr(wrt[0])])
        if isinstance(node, gast.Tuple) and len(node.elts) == len(wrt):
            helper = name_for(runtime.like_argument, "like_argument")
            comma = "," if len(wrt) == 1 else ""
            return "(" + ", ".join(like(e, helper, p, [repr(p)])
                                   for e, p in zip(node.elts, wrt)) + comma + ")"
        helper = name_for(runtime.like_arguments, "like_arguments")
        comma = "," if len(wrt) == 1 else ""
        return f"{helper}({text(node)}, ({', '.join(wrt)}{comma}), {tuple(wrt)!r})"

    value = ret.value
    pair = isinstance(value, gast.Tuple) and len(value.elts) == 2
    out = None
    if value is None:
        pass                            # no return value to check
    elif boundary.kind == "derivatives":
        out = derivatives(value)
    elif boundary.kind == "value_and_derivatives" and pair:
        out = f"({text(value.elts[0])}, {derivatives(value.elts[1])})"
    elif boundary.kind == "tangent" and pair and isinstance(value.elts[0], gast.Name):
        v, t = value.elts
        helper = name_for(runtime.like_value, "like_value")
        if isinstance(t, gast.Name) and floats and not may_be_complex and \
                set(boundary.wrt) <= floats:
            out = f"({v.id}, {t.id})"
        elif isinstance(t, gast.Name) and floats:
            pre.extend([f"    if type({t.id}) is not float:",
                        f"        {t.id} = {helper}({t.id}, {v.id})"])
            out = f"({v.id}, {t.id})"
        else:
            out = f"({v.id}, {helper}({text(t)}, {v.id}))"
    if out is not None and lines[-1].startswith("    return "):
        lines[-1:] = pre + [f"    return {out}"]
    check = name_for(runtime.check_argument, "check_argument")
    entry = [f"    {check}({p}, {p!r})" for p in boundary.wrt if p not in floats]
    real = [p for p in _active_parameters(front.analysis) if p not in boundary.wrt
            and p not in floats]
    if real:
        check = name_for(runtime.check_real, "check_real")
        entry += [f"    {check}({p}, {p!r})" for p in real]
    lines[1:1] = entry
    return "\n".join(lines) + "\n"


def _active_parameters(an):
    """The parameters read by an active operation (a complex one would make
    the derivative complex), in order."""
    from .analyse import defined_name, iter_ops
    a = an.fn.args
    params = [x.id for x in a.posonlyargs + a.args + a.kwonlyargs]
    read = set()
    for s in iter_ops(an.fn.body, an.locals):
        if isinstance(s, gast.Assign) and defined_name(s) in an.active:
            read |= {n.id for n in gast.walk(s.value) if isinstance(n, gast.Name)}
    return [p for p in params if p in read]


def _with_guard(source, fn, params, fallback):
    """Insert at the top of ``fn``'s source: unless every one of ``params``
    is a Python float, return ``fallback(...)``."""
    a = fn.args
    args = [x.id for x in a.posonlyargs + a.args] + [f"{x.id}={x.id}" for x in a.kwonlyargs]
    test = " or ".join(f"type({p}) is not float" for p in params)
    guard = f"    if {test}:\n        return {fallback}({', '.join(args)})\n"
    head, _, body = source.partition("\n")
    return head + "\n" + guard + body


def _comments_to_nodes(stmts):
    for i, s in enumerate(stmts):
        if isinstance(s, Comment):
            stmts[i] = emit_stage.comment_node(s.text)
        for f in ("body", "orelse"):
            sub = getattr(s, f, None)
            if isinstance(sub, list):
                _comments_to_nodes(sub)


def _cached(fun, wrt, with_value):
    key = (wrt, with_value)
    made = cache_get(fun, key)
    if made is not None:
        return made
    names, single = _normalise_wrt(fun, wrt)
    return cache_put(fun, key, transform(fun, names, with_value=with_value,
                                         as_tuple=not single))


def grad(fun=None, wrt=0):
    """The gradient of ``fun``'s scalar result with respect to argument ``wrt``.

    ``wrt`` is a parameter position or name, or a tuple of them (the gradient
    is then a tuple in that order).  Returns a generated Python function with
    ``fun``'s signature; ``srcgrad.source(df)`` shows its code.  Works as a
    decorator, bare (``@grad``) or with options (``@grad(wrt=(0, 1))``).
    """
    if fun is None:
        return functools.partial(grad, wrt=wrt)
    return _cached(fun, wrt_key(wrt), False)


def value_and_grad(fun=None, wrt=0):
    """Like :func:`grad`, but the generated function returns
    ``(value, gradient)`` from one forward and one reverse sweep (usable as
    ``scipy.optimize.minimize(fun, x0, jac=True)``)."""
    if fun is None:
        return functools.partial(value_and_grad, wrt=wrt)
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
    key = ("vjp", wrt_key(wrt))
    made = cache_get(fun, key)
    if made is not None:
        return made
    names, single = _normalise_wrt(fun, key[1])
    return cache_put(fun, key, transform(fun, names, with_value=True, as_tuple=not single,
                                         cotangent=True))


def source(df, standalone=False):
    """The generated Python source of a function srcgrad made.

    With ``standalone=True`` the text is a complete module that needs only
    NumPy: imports, the few runtime helpers the code calls (copied from
    :mod:`srcgrad.runtime`) and imports of the user's globals it reads."""
    try:
        text = df.srcgrad_source
    except AttributeError:
        raise SrcgradError(f"{df!r} was not generated by srcgrad") from None
    if not standalone:
        return text
    return emit_stage.standalone(text, df.srcgrad_injected, df)
