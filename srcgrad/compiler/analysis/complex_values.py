"""Complex values: which names may hold complex numbers, and whether every
differentiated operation on them has a rule for complex values.

A name may be complex when it is computed from a complex argument (the
parameters the generated version is made for: ``complex_params``), a complex
constant, global, type or dtype (``1j``, ``dtype=complex``), or a function
whose result is complex for real data (``np.fft.fft``); a result a rule
declares real (``np.abs``, ``np.real``, ``np.fft.irfft``), a comparison or a
count is not.  On a differentiated path, each operation reading a complex
value needs a rule that holds for complex values (``holomorphic`` or
``defcomplex`` in :mod:`srcgrad.rules.complex_rules`); the op is given that
version of its rule.  Anything else is an ``UnsupportedError`` at
transformation time naming the line, as is a complex value written into a
real array (NumPy would drop its imaginary part).  The transforms read
``an.complex``: the reverse sweep takes the real part of an adjoint flowing
from a complex value to a real one.

>>> from srcgrad.compiler.analysis.show import analysed, names
>>> an = analysed('''
... def f(x):
...     z = x * 1j
...     w = np.exp(z)
...     return np.abs(w)''', wrt="x")
>>> names(complex_names(an.parsed, an.fn, an, ()))
'w z'
>>> an = analysed('''
... def f(x):
...     z = x * 1j
...     return np.maximum(z, 0.0)''', wrt="x")
>>> try:
...     check_complex(an.parsed, an.fn, an, ())
... except Exception as e:
...     print(str(e).splitlines()[0])
<example>:3: np.maximum is not differentiated for complex values
"""

import gast
import numpy as np

from srcgrad.compiler.analysis.ops import defined_name, iter_ops
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes
from srcgrad.rules.registry import complex_rule
from srcgrad.rules.tables import REAL_RESULTS


_COMPLEX_DTYPE_NAMES = {"complex", "complex64", "complex128", "complex256", "complex_", "cfloat",
                        "cdouble", "csingle", "clongdouble", "clongfloat", "c8", "c16", "c32",
                        "F", "D", "G"}          # as a dtype= or astype() argument


def _is_complex_object(obj):
    """A complex number, a complex array, or a complex type or dtype."""
    if isinstance(obj, (complex, np.complexfloating)):
        return True
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind == "c"
    if isinstance(obj, type):
        return obj is complex or issubclass(obj, np.complexfloating)
    return isinstance(obj, np.dtype) and obj.kind == "c"


def _marked(node, an):
    """``node`` holds a complex constant, global, type or dtype."""
    def dtype_string(n):
        return isinstance(n, gast.Constant) and isinstance(n.value, str) and \
            n.value in _COMPLEX_DTYPE_NAMES

    for n in inner_nodes(node):
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


def _writes_array(s, an):
    """``x[i] = v`` into an array (not a list or dict): NumPy casts ``v``
    to the array's dtype."""
    return isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript) and \
        an.kind.get(defined_name(s)) not in ("list", "tuple", "dict", "record")


def _value_reads(s, an):
    """The names whose complex values make the value ``s`` defines complex."""
    if isinstance(s, gast.Expr):                    # ys.append(v): ys and v
        return {n.id for n in name_nodes(s.value)}
    v = s.value
    if isinstance(v, (gast.Compare, gast.BoolOp)) or \
            isinstance(v, gast.UnaryOp) and isinstance(v.op, gast.Not):
        return set()
    op = getattr(s, "srcgrad_op", None)
    if op is not None and op.kind in ("inactive", "const"):
        return set()
    if op is not None and op.kind == "call" and op.rule is not None:
        if op.rule.complex_result == "never" or op.fun in REAL_RESULTS:
            return set()
    reads = {n.id for n in name_nodes(v)}
    if isinstance(s.targets[0], gast.Subscript) and not _writes_array(s, an):
        reads.add(defined_name(s))                  # a list keeps its other elements
    return reads


def complex_names(parsed, fn, an, complex_params):
    """The names that may hold complex values (a least fixpoint over every
    assignment and in-place change)."""
    ops = [s for s in iter_ops(fn.body, an.locals) if defined_name(s) is not None]
    names = set(complex_params)
    direct = set()
    for s in ops:
        op = getattr(s, "srcgrad_op", None)
        value = s.value
        if _marked(value, an) or op is not None and op.kind == "call" and \
                op.rule is not None and op.rule.complex_result == "always":
            direct.add(id(s))
    reads = {id(s): _value_reads(s, an) for s in ops}
    changed = True
    while changed:
        changed = False
        for s in ops:
            name = defined_name(s)
            if name in names:
                continue
            written = _writes_array(s, an)
            if (id(s) in direct or reads[id(s)] & names) and not written:
                names.add(name)
                changed = True
    return names


def check_complex(parsed, fn, an, complex_params):
    """Find the names that may be complex (``an.complex``); give each
    differentiated operation reading one the complex version of its rule,
    or refuse it (an ``UnsupportedError`` naming the line)."""
    names = complex_names(parsed, fn, an, complex_params)
    an.complex = names
    if not names:
        return names
    for s in iter_ops(fn.body, an.locals):
        name = defined_name(s)
        if name is None or name not in an.active:
            continue
        op = getattr(s, "srcgrad_op", None)
        if op is None:
            continue
        if _writes_array(s, an):
            v = op.args.get("v") if op.kind == "setitem" else None
            if isinstance(v, gast.Name) and v.id in names and name not in names:
                raise parsed.error(s, "a complex value written into a real array: NumPy drops "
                                      "its imaginary part", construct="complex number",
                                   hint="make the array complex (np.zeros(n, dtype=complex)), "
                                        "or write np.real(...) of the value")
            continue
        if op.kind != "call" or op.rule is None or not op.rule.differentiable:
            continue
        operands = {a.id for p, a in op.args.items()
                    if isinstance(a, gast.Name) and p in op.rule.adjoints}
        if not operands & names:
            continue
        rule = complex_rule(op.rule)
        if rule is None:
            raise parsed.error(s, f"{op.display} is not differentiated for complex values",
                               construct="complex number",
                               hint=f"take np.real(...), np.imag(...) or np.abs(...) of the "
                                    f"complex value before {op.display}, or declare its complex "
                                    f"rule (srcgrad.holomorphic or srcgrad.defcomplex; "
                                    f"docs/complex.md)")
        op.rule = rule
    return names
