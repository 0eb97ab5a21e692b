"""Symbolic dimensions: the length of each axis of an array as a symbol
standing for one integer in the whole function -- an int constant, or
``("A", 0)``, the length of axis 0 of an argument ``A`` the function never
rebinds -- so that arrays made by different operations are known to have
one shape (``A @ m`` and ``K @ v`` below: both of length ``A.shape[0]``).
Their adjoints then need no ``unbroadcast``, and values kept only for their
shape are not taped (:func:`srcgrad.compiler.analysis.shapes.compute_shapes`
puts names of equal dimensions in one shape class).

Facts come from the arguments of known rank the version's guard checks are
arrays (``x.ndim == 2``), ``x.shape[k]`` and ``len(x)``, NumPy constructors
(``np.zeros(n)``, ``np.zeros((n, m))``, ``np.eye(n)``, ``np.zeros_like(a)``),
matrix products (``(n, k) @ (k, m)`` is ``(n, m)``), ``.T``, ``np.linalg.inv``,
``np.outer`` of vectors, elementwise operations whose array operands have
equal dimensions, and reads with integers and whole slices (``A[i]``,
``A[:, j]``).  A name is known when every one of its definitions gives the
same dimensions (a least fixpoint, optimistic about values carried around a
loop, checked once it is reached).

>>> from srcgrad.compiler.analysis.show import analysed
>>> an = analysed('''
... def f(A, C, ys):
...     n = A.shape[0]
...     m = np.zeros(n)
...     P = np.eye(n)
...     for t in range(ys.shape[0]):
...         m_2 = A @ m
...         K = P @ C.T
...         m = m_2 + K @ (ys[t] - C @ m_2)
...         P = A @ P @ A.T
...     return np.sum(m)''', wrt="A")
>>> an.array_params = frozenset({"A", "C", "ys"})
>>> an.ranks.update(A=2, C=2, ys=2)
>>> dims = symbolic_dims(an, lambda node: False)
>>> dims["m"], dims["m_2"], dims["P"], dims["K"]
((('A', 0),), (('A', 0),), (('A', 0), ('A', 0)), (('A', 0), ('C', 0)))
"""

import operator

import gast
import numpy as np

from srcgrad.compiler.analysis.ranks import _argument, _structure
from srcgrad.compiler.ir.walk import inner_nodes
from srcgrad.rules.registry import _Default

_UNKNOWN = "?"
_PRODUCTS = {operator.matmul: ("x", "y"), np.matmul: ("x", "y"), np.dot: ("a", "b")}
_MAKERS = {np.zeros, np.ones, np.empty, np.full}
_LIKE = {np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.copy}


def symbolic_dims(an, is_scalar, optimistic=True):
    """``{name: dims}``: the dimensions (a tuple of symbols) every value of
    ``name`` certainly has.  ``is_scalar(node)``: whether an operand is
    certainly a number (it leaves an elementwise result's shape alone)."""
    simple, _, _, eligible, order, _, _ = _structure(an)
    fn = an.fn
    params = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    reshaped = _reshaped(fn)
    fixed = {p for p in params if p not in simple and p not in reshaped and p not in an.kind}
    values = {}            # name -> ("dims", t) | ("int", s) | ("shape", t) | _UNKNOWN
    ints = getattr(an, "ints", ())
    for n, r in an.ranks.items():
        if r == 0 and n not in ints:
            values[n] = _UNKNOWN            # (a number that is not an int: nothing to know)
    for p in fixed:
        r = an.ranks.get(p)
        if p in getattr(an, "array_params", ()) and isinstance(r, int):
            values[p] = ("dims", tuple((p, k) for k in range(r)))

    def value(node):
        if isinstance(node, gast.Constant):
            return ("int", node.value) if type(node.value) is int else _UNKNOWN
        if not isinstance(node, gast.Name):
            return _UNKNOWN
        if node.id in values:
            return values[node.id]
        if node.id in eligible and node.id in simple and optimistic:
            return None                     # not known yet
        return _UNKNOWN

    def dims_of(node):
        """The dimensions of an array operand, ``None`` for an axis of
        unknown length (its rank known: ``analysis/ranks.py``)."""
        v = value(node)
        if v is None:
            return None
        if isinstance(v, tuple) and v[0] == "dims":
            return v[1]
        r = an.ranks.get(node.id) if isinstance(node, gast.Name) else None
        return (None,) * r if isinstance(r, int) else _UNKNOWN

    def evaluate(s):
        op, v = s.srcgrad_op, s.value
        if getattr(s, "srcgrad_unbound", False):
            return None                     # (a placeholder, never read: ssa)
        if op.kind == "const":
            return ("int", v.value) if isinstance(v, gast.Constant) and type(v.value) is int \
                else _UNKNOWN
        if op.kind == "copy":
            return value(op.args["x"])
        if isinstance(v, gast.Attribute) and isinstance(v.value, gast.Name):
            base = dims_of(v.value)
            if v.attr == "shape":
                if v.value.id in fixed:
                    return ("shape", v.value.id)        # (axis k: the symbol (name, k))
                return base if base is None or base == _UNKNOWN else ("shape", base)
            if v.attr == "T":
                return base if base is None or base == _UNKNOWN else ("dims", base[::-1])
            return _UNKNOWN
        if op.kind == "subscript":
            return _subscript(value(op.args["x"]), op.args["index"], an)
        if op.kind == "pack":
            parts = [value(e) for e in op.args.values()]
            if any(p is None for p in parts):
                return None
            if parts and all(isinstance(p, tuple) and p[0] == "int" for p in parts):
                return ("shape", tuple(p[1] for p in parts))
            return _UNKNOWN
        if op.kind != "call" or op.rule is None:
            return _UNKNOWN
        return _call(op, value, dims_of, is_scalar, fixed)

    changed = True
    while changed:
        changed = False
        for name in order:
            if name in fixed or name not in simple or values.get(name) == _UNKNOWN:
                continue
            new = _join_all([evaluate(s) for s in simple[name]], optimistic)
            old = values.get(name)
            if new is None or new == old:
                continue
            new = new if old is None else _UNKNOWN
            if old != new:
                values[name] = new
                changed = True
    if optimistic and any(values.get(name, _UNKNOWN) != _UNKNOWN and
                          _join_all([evaluate(s) for s in simple[name]], False) != values[name]
                          for name in order if name in simple and name not in fixed):
        # a value carried around a loop was assumed and never confirmed
        return symbolic_dims(an, is_scalar, optimistic=False)
    return {n: v[1] for n, v in values.items()
            if isinstance(v, tuple) and v[0] == "dims" and None not in v[1]}


def _call(op, value, dims_of, is_scalar, fixed):
    fun, rule = op.fun, op.rule
    if fun is len:
        x = _argument(op, "obj", 0)
        d = dims_of(x) if x is not None else _UNKNOWN
        if d is None:
            return None
        if d != _UNKNOWN and d:
            return ("int", d[0])
        return ("int", (x.id, 0)) if isinstance(x, gast.Name) and x.id in fixed else _UNKNOWN
    if rule.kind == "elementwise":
        arrays = [a for a in op.args.values()
                  if not isinstance(a, _Default) and
                  not (isinstance(a, gast.Constant) and a.value is None) and not is_scalar(a)]
        ds = [dims_of(a) for a in arrays]
        if any(d is None for d in ds):
            return None
        if not ds or _UNKNOWN in ds:
            return _UNKNOWN
        # broadcast: an axis keeps its length where every operand has it (and
        # only then: a length not known may be 1, or another)
        rank = max(len(d) for d in ds)
        ds = [(None,) * (rank - len(d)) + d for d in ds]
        return ("dims", tuple(axis[0] if None not in axis and len(set(axis)) == 1 else None
                              for axis in zip(*ds)))
    try:
        product = _PRODUCTS.get(fun)
        maker, like = fun in _MAKERS, fun in _LIKE
    except TypeError:
        return _UNKNOWN
    if product is not None:
        x, y = (_argument(op, p, k) for k, p in enumerate(product))
        dx, dy = (dims_of(a) if a is not None else _UNKNOWN for a in (x, y))
        if dx is None or dy is None:
            return None
        if _UNKNOWN in (dx, dy) or len(dx) not in (1, 2) or len(dy) not in (1, 2):
            return _UNKNOWN
        return ("dims", dx[:-1] + dy[1:])     # (n, k) @ (k, m): (n, m); vectors lose the axis
    if fun is np.transpose and _argument(op, "axes", 1) is None:
        d = dims_of(_argument(op, "a", 0))
        return d if d is None or d == _UNKNOWN else ("dims", d[::-1])
    if fun is np.linalg.inv:
        d = dims_of(_argument(op, "a", 0))
        return d if d is None or d == _UNKNOWN else ("dims", d)
    if fun is np.outer:
        da, db = (dims_of(_argument(op, p, k)) for k, p in enumerate(("a", "b")))
        if da is None or db is None:
            return None
        if _UNKNOWN in (da, db) or len(da) != 1 or len(db) != 1:
            return _UNKNOWN
        return ("dims", da + db)
    if fun in (np.eye, np.identity):
        n = value(_argument(op, "N" if fun is np.eye else "n", 0))
        m = _argument(op, "M", 1) if fun is np.eye else None
        m = n if m is None or isinstance(m, gast.Constant) and m.value is None else value(m)
        if n is None or m is None:
            return None
        if isinstance(n, tuple) and isinstance(m, tuple) and n[0] == m[0] == "int":
            return ("dims", (n[1], m[1]))
        return _UNKNOWN
    if maker or like:
        if like:
            if _argument(op, "shape", 4) is not None:
                return _UNKNOWN
            d = dims_of(_argument(op, "a", 0))
            return d if d is None or d == _UNKNOWN else ("dims", d)
        shape = value(_argument(op, "shape", 0))
        if shape is None:
            return None
        if isinstance(shape, tuple) and shape[0] == "int":
            return ("dims", (shape[1],))
        if isinstance(shape, tuple) and shape[0] == "shape" and isinstance(shape[1], tuple):
            return ("dims", shape[1])
    return _UNKNOWN


def _subscript(base, index, an):
    """The value of ``base[index]``: an axis of a shape, or a read of an
    array with integers (an axis less) and whole slices (the axis kept)."""
    if base is None:
        return None
    if not isinstance(base, tuple):
        return _UNKNOWN
    kind, what = base
    if kind == "shape":
        if isinstance(index, gast.Constant) and type(index.value) is int:
            k = index.value
            if isinstance(what, str):                    # x.shape of an argument
                return ("int", (what, k)) if k >= 0 else _UNKNOWN
            return ("int", what[k]) if -len(what) <= k < len(what) and what[k] is not None \
                else _UNKNOWN
        return _UNKNOWN
    if kind != "dims":
        return _UNKNOWN
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    if len(parts) > len(what):
        return _UNKNOWN
    out = []
    ints = getattr(an, "ints", ())
    for k, p in enumerate(parts):
        if isinstance(p, gast.Constant) and type(p.value) is int or \
                isinstance(p, gast.Name) and p.id in ints:
            continue
        if isinstance(p, gast.Slice) and p.lower is None and p.upper is None and p.step is None:
            out.append(what[k])
            continue
        return _UNKNOWN
    return ("dims", tuple(out) + tuple(what[len(parts):]))


def _join_all(vs, optimistic):
    """The value every definition gives (None: some not known yet)."""
    out = None
    for v in vs:
        if v is None:
            if not optimistic:
                return _UNKNOWN
            continue
        if out is None:
            out = v
        elif out != v:
            return _UNKNOWN
    return out


def _reshaped(fn):
    """Names whose shape may change in place (``x.shape = ...``,
    ``x.resize(...)``): no symbol stands for their axes."""
    out = set()
    for n in inner_nodes(fn):
        if isinstance(n, gast.Attribute) and isinstance(n.value, gast.Name) and \
                (isinstance(n.ctx, gast.Store) or n.attr == "resize"):
            out.add(n.value.id)
    return out
