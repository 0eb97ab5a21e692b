"""The type checks at the entry and exit of a generated function, and the
versions it dispatches to (the fast one behind a type guard, those for
complex arguments made when first needed).

Each differentiated argument is checked when the function is called (a
string, an int or a complex number is refused with ``ArgumentTypeError``),
and each derivative gets its argument's type and shape at the return; a
version specialised for Python floats (or arrays of a rank, numbers) starts
with a guard that falls back to the generic version::

    def d_f(x):                          def d_f(x):
        ...                                  if type(x) is not float and type(x) is not float64:
        return d_x            →                  return d_f_generic(x)
                                             ...
                                             return d_x

>>> import gast
>>> text = "def d_f(x, k):\\n    return x * k\\n"
>>> print(with_guard(text, gast.parse(text).body[0], [("x", None)], "d_f_generic"), end="")
def d_f(x, k):
    if type(x) is not float and type(x) is not float64:
        return d_f_generic(x, k)
    return x * k
>>> print(with_guard(text, gast.parse(text).body[0], [("x", 1), ("k", "number")],
...                  "d_f_generic", "ndarray"), end="")
def d_f(x, k):
    if (type(x) is not ndarray or x.ndim != 1 or
            (type(k) is not float and type(k) is not int and type(k) is not float64)):
        return d_f_generic(x, k)
    return x * k
"""

import ast
import dataclasses
import functools
import inspect
import re

import gast
import numpy as np

from srcgrad import runtime
from srcgrad.compiler.analysis import defined_name, iter_ops
from srcgrad.compiler.frontend import generated
from srcgrad.compiler.frontend.variadic import Variadic
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes
from srcgrad.errors import SrcgradError, UnsupportedError


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


def with_boundary(source, fn, boundary, floats, front):
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
    lines = source.rstrip("\n").split("\n")
    pre = []
    complex_found = []          # found when first asked (a walk of the whole function)

    def may_be_complex():
        """With Python floats only, only ``**`` (a negative number to a
        fractional power) or complex values the analysis found can make a
        value complex (complex arguments go to their own version at entry)."""
        if not complex_found:
            complex_found.append(bool(getattr(front.analysis, "complex", ())) or any(
                isinstance(n, gast.BinOp) and isinstance(n.op, gast.Pow) and not (
                    isinstance(n.right, gast.Constant) and type(n.right.value) is int)
                or isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and
                n.func.id == "pow" for n in inner_nodes(fn)))
        return complex_found[0]

    def text(node):
        return ast.unparse(gast.gast_to_ast(node))

    def like(node, call, other, extra=()):
        """``node`` (a derivative) passed through the helper ``call``."""
        args = [text(node), other] + list(extra)
        if isinstance(node, gast.Name) and other in floats:
            if not may_be_complex():
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
        if isinstance(t, gast.Name) and floats and not may_be_complex() and \
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
    calls = [f"{check}({p}, {p!r})" for p in boundary.wrt if p not in floats]
    real = [p for p in _active_parameters(front.analysis) if p not in boundary.wrt
            and p not in floats]
    if real:
        check = name_for(runtime.check_real, "check_real")
        calls += [f"{check}({p}, {p!r})" for p in real]
    dispatch = getattr(front, "complex_dispatch", None)
    if dispatch and calls:
        # complex arguments: the version of this function made for them
        lines[1:1] = _wrapped_test(calls) + [
            f"        return {dispatch}({', '.join(call_arguments(fn))})"]
    else:
        lines[1:1] = [f"    {c}" for c in calls]
    return "\n".join(lines) + "\n"


def _wrapped_test(calls, width=96):
    """``if c1 or c2 ...:`` as lines of at most about ``width`` characters."""
    line = f"    if {' or '.join(calls)}:"
    if len(line) <= width:
        return [line]
    out, current = [], "    if ("
    for i, c in enumerate(calls):
        piece = c + (" or" if i < len(calls) - 1 else "):")
        if len(current) + len(piece) + 1 > width and current.strip() not in ("if (", ""):
            out.append(current.rstrip())
            current = "            "
        current += piece + " "
    out.append(current.rstrip())
    return out


def call_arguments(fn):
    """The arguments that pass ``fn``'s parameters on, as text."""
    a = fn.args
    return [x.id for x in a.posonlyargs + a.args] + [f"{x.id}={x.id}" for x in a.kwonlyargs]


class ComplexVersions:
    """The versions of a generated function made for complex arguments,
    called by its generic version when an argument is complex
    (``check_argument`` returns True): made when first needed, one for each
    set of complex parameters, by ``make(complex_params)``.  ``params``: the
    generated function's parameters in order; ``primal``: those of the
    user's function (tangents and cotangents are not looked at)."""

    def __init__(self, make, params, primal):
        self.make = make
        self.params = tuple(params)
        self.primal = frozenset(primal)
        self.versions = {}

    def __call__(self, *args, **kwargs):
        which = [p for p, v in zip(self.params, args) if p in self.primal and
                 runtime.holds_complex(v)]
        which += [p for p, v in kwargs.items() if p in self.primal and runtime.holds_complex(v)]
        key = frozenset(which)
        made = self.versions.get(key)
        if made is None:
            made = self.versions[key] = self.make(key)
        return made(*args, **kwargs)

    def __repr__(self):
        return f"<versions for complex arguments of {', '.join(sorted(self.primal))}>"


def _active_parameters(an):
    """The parameters read by an active operation (a complex one would make
    the derivative complex), in order."""
    a = an.fn.args
    params = [x.id for x in a.posonlyargs + a.args + a.kwonlyargs]
    read = set()
    for s in iter_ops(an.fn.body, an.locals):
        if isinstance(s, gast.Assign) and defined_name(s) in an.active:
            read |= {n.id for n in name_nodes(s.value)}
    return [p for p in params if p in read]


#: the result's scalar check, which the generic version may have and the one
#: for floats not (two versions differing only by it are the same)
_CHECK_SCALAR = re.compile(r"^ +check_scalar(_\d+)?\(\w+\)\n", re.M)


def unchecked(source):
    """``source`` without the check that the result is a scalar."""
    return _CHECK_SCALAR.sub("", source)


def with_guard(source, fn, checks, fallback, ndarray="ndarray", float64="float64",
               sequence="number_sequence"):
    """Insert at the top of ``fn``'s source: unless every parameter of
    ``checks`` (pairs ``(name, rank)``) is a float (rank None: a Python float
    or a NumPy float64 scalar, ``float64`` the name of ``np.float64`` in the
    generated code), an int or a float (rank ``"number"``), a sequence of
    numbers (rank ``"sequence"``, ``sequence`` the name of
    ``runtime.number_sequence``) or a NumPy array of that rank (``ndarray``:
    the name of ``np.ndarray``), return ``fallback(...)``."""
    args = call_arguments(fn)
    # (``type(x) is not float and type(x) is not float64``: a Python float, the
    # common case, passes after one comparison, half the time of ``not in (...)``)
    floats = {None: ("float", float64), "number": ("float", "int", float64)}
    tests = [" and ".join(f"type({p}) is not {t}" for t in floats[rank]) if rank in floats else
             f"not {sequence}({p})" if rank == "sequence" else
             f"type({p}) is not {ndarray} or {p}.ndim != {rank}"
             for p, rank in checks]
    parts = [f"({t})" if " and " in t and len(tests) > 1 else t for t in tests]
    guard = f"    if {_wrapped(parts)}:\n        return {fallback}({', '.join(args)})\n"
    head, _, body = source.partition("\n")
    return head + "\n" + guard + body


def _wrapped(tests, width=96):
    """``tests`` joined by ``or`` for an ``if`` at indent 4, broken over lines
    in parentheses where one line would pass ``width`` (as the checks of the
    arguments are).

    >>> print(_wrapped(["type(a) is not float", "type(b) is not float"]))
    type(a) is not float or type(b) is not float
    >>> print(_wrapped([f"type(x{i}) is not float" for i in range(5)], width=60))
    (type(x0) is not float or type(x1) is not float or
                type(x2) is not float or type(x3) is not float or
                type(x4) is not float)
    """
    one = " or ".join(tests)
    if len(one) + 8 <= width:
        return one
    lines, line = [], "(" + tests[0]
    for t in tests[1:]:
        indent = 8 if not lines else 12
        if indent + len(line) + len(" or " + t) > width:
            lines.append(line + " or")
            line = t
        else:
            line += " or " + t
    return ("\n" + " " * 12).join(lines + [line + ")"])


def guard_names(injector, checks):
    """The names ``with_guard`` needs for ``checks`` in the generated code
    (``ndarray``, ``float64``, ``sequence``), injected by ``injector``."""
    kinds = {rank for _, rank in checks}
    return (injector.name_for(np.ndarray, "ndarray") if kinds - {None, "number", "sequence"}
            else None,
            injector.name_for(np.float64, "float64") if kinds & {None, "number"} else None,
            injector.name_for(runtime.number_sequence, "number_sequence")
            if "sequence" in kinds else None)


def complex_dispatch(front, fn, make):
    """Let the checks at the entry of the generated ``fn`` call the version
    for complex arguments, ``make(complex_params)`` (:class:`ComplexVersions`);
    ``make`` None: this is that version (no call)."""
    front.complex_dispatch = None
    if make is None:
        return
    a, user = fn.args, front.parsed.tree.args
    primal = [x.id for x in user.posonlyargs + user.args + user.kwonlyargs]
    versions = ComplexVersions(make, [x.id for x in a.posonlyargs + a.args + a.kwonlyargs],
                               primal)
    front.complex_dispatch = front.injector.name_for(versions, fn.name + "_complex")


def _no_complex_jacobians(complex_params):
    """Refuse a Jacobian with respect to complex arguments (``make`` of the batched versions)."""
    raise UnsupportedError("jacobian and hessian with respect to complex arguments are not "
                           "supported yet",
                           hint="use srcgrad.jvp or srcgrad.vjp, or differentiate with respect "
                                "to the real and imaginary parts as separate float arguments "
                                "(docs/complex.md)")


def complex_maker(fun, transform, *args, **options):
    """``make(complex_params)`` for :class:`ComplexVersions`: ``transform``
    (:func:`reverse_transform`, :func:`forward_transform`) of ``fun`` for
    those parameters being complex.  Derivatives of srcgrad's own generated
    code are made for real arguments only: that code is the real version."""
    def make(complex_params):
        target = fun
        if generated.is_generated(fun):
            # the derivative of a gradient at a complex argument: that of its
            # version for complex arguments (docs/complex.md, second order)
            target = complex_version(fun, complex_params)
        return transform(target, *args, complex_params=complex_params, **options)
    return make


def complex_version(fun, complex_params):
    """The version of srcgrad's generated ``fun`` for ``complex_params``
    being complex (made by its :class:`ComplexVersions`), or a refusal when
    it has none."""
    generic = generated.generic_version(fun)
    code = getattr(generic, "__code__", None)
    versions = [c.cell_contents for name, c in zip(code.co_freevars if code else (),
                                                    generic.__closure__ or ())
                if name.endswith("_complex")] if code is not None else []
    versions = [v for v in versions if isinstance(v, ComplexVersions)]
    if len(versions) != 1 or not set(complex_params) <= versions[0].primal:
        raise UnsupportedError(
            "higher derivatives with respect to complex arguments are not supported yet",
            hint="differentiate with respect to the real and imaginary parts as separate "
                 "float arguments (docs/complex.md)")
    key = frozenset(complex_params)
    made = versions[0].versions.get(key)
    if made is None:
        made = versions[0].versions[key] = versions[0].make(key)
    return made


def wrt_key(wrt):
    """``wrt`` as a hashable cache key (a list becomes a tuple)."""
    return tuple(wrt) if isinstance(wrt, list) else wrt


def normalise_wrt(fun, wrt, distinct=False):
    if not (inspect.isfunction(inspect.unwrap(fun)) or inspect.ismethod(fun)
            or isinstance(fun, (functools.partial, Variadic))):
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
