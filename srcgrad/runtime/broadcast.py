"""Adjoints of broadcasting and of reductions' shapes: unbroadcast, unreduce, zeros_like.

Generated code uses plain arithmetic wherever it can; these helpers exist
for the operations that need a shape decision at run time: reducing a
broadcast adjoint (``unbroadcast``), expanding a reduced one (``expand``,
``unreduce``), making zeros of an argument's shape (``zeros_like``); with
their tangents, their adjoints (``rebroadcast``) and batched tangents.

>>> unbroadcast(np.ones((3, 2)), np.ones(2))
array([3., 3.])
>>> unreduce(2.0, np.ones(3))
array([2., 2., 2.])
"""

import numpy as np

from srcgrad.runtime.base import is_record, SCALARS
from srcgrad.runtime.batched import bx, is_number
from srcgrad.runtime.containers import AdjointDict, Adjoints, check_length


def unbroadcast(g, x):
    """Sum the adjoint ``g`` of a broadcast result down to the shape of ``x``.

    ``x`` took part in an operation whose result was broadcast to the shape of
    ``g``; the adjoint of ``x`` is the sum of ``g`` over the broadcast axes.
    A Python scalar ``x`` gets a Python-float-compatible adjoint.
    """
    tg = type(g)
    if tg is float and type(x) is not np.ndarray:
        return g           # a Python scalar adjoint (or the symbolic zero) of a scalar
    if tg is np.float64 and type(x) in SCALARS:
        return float(g)    # (fast: a NumPy number for a number)
    if tg is np.ndarray and type(x) is np.ndarray and g.shape == x.shape:
        return g           # (fast: the common case)
    if isinstance(g, (list, dict)):
        items = _items(g, x, unbroadcast)
        if items is not None:
            return items
    gs = g.shape if type(g) is np.ndarray else np.shape(g)
    xs = x.shape if type(x) is np.ndarray else np.shape(x)
    if gs == xs:
        if type(x) in SCALARS:
            return _number(g)
        return g
    if not xs:
        return _number(np.sum(g)) if type(x) in SCALARS else np.sum(g)
    if not gs:
        # a scalar adjoint for an array argument: the zero adjoint, or a
        # scalar that stands for a constant array
        return np.full(xs, g, dtype=np.result_type(g, float))
    lead = len(gs) - len(xs)
    if lead > 0:
        g = np.sum(g, axis=tuple(range(lead)))
    axes = tuple(i for i, (n, m) in enumerate(zip(xs, np.shape(g))) if n == 1 and m != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def _items(g, x, each):
    """``each`` element by element: ``g`` the adjoints of a container's
    elements (``Adjoints`` add element by element, ``AdjointDict`` key by
    key) and ``x`` the container (or a Python number: the symbolic zero
    ``Adjoints([...]) + 0.0``, of which the sum does not depend); None
    when ``x`` is not one of these."""
    if isinstance(g, list) and isinstance(x, (list, tuple)) and len(g) == len(x):
        return Adjoints(each(a, e) for a, e in zip(g, x))
    if isinstance(g, dict) and (isinstance(x, dict) or is_record(x)):
        return g
    if type(x) is float:
        return 0.0
    return None


def _number(g):
    """``g`` as a Python number: a float, or a complex (whose real part the
    generated code takes for a real argument: docs/complex.md)."""
    if isinstance(g, (complex, np.complexfloating)) or \
            type(g) is np.ndarray and g.dtype.kind == "c":
        return g
    return float(g)


def expand(g, x):
    """The adjoint ``g``, which broadcasts to the shape of ``x`` (the adjoint
    of a sum is its scalar ``g``, standing for ``g`` in every element), as
    an array of exactly that shape; ``g`` itself when it already has it."""
    if type(g) is np.ndarray and type(x) is np.ndarray:
        if g.shape == x.shape:
            return g
        return np.broadcast_to(g, x.shape).astype(np.result_type(g, float))
    if type(g) is float and g == 0.0 and (isinstance(x, (tuple, dict)) or is_record(x)):
        # the zero of a container: one per element (not of a list, which NumPy may have
        # read as an array, np.mean(L): its adjoint is then an array; test_soundness_r7)
        return zeros_like(x)
    try:
        xs = np.shape(x)
    except ValueError:                     # values of several shapes (tangents of several results)
        if isinstance(g, (tuple, list)):
            return g
        parts = [expand(g, e) for e in x]
        return type(x)._make(parts) if hasattr(type(x), "_make") else type(x)(parts)
    if np.shape(g) == xs:
        return _number(g) if type(x) is float else g
    return np.broadcast_to(g, xs).astype(np.result_type(g, float))


def unreduce(g, x, axis=None, keepdims=False):
    """Expand the adjoint ``g`` of a reduction of ``x`` (over ``axis``) back
    to the shape of ``x``: every reduced element receives ``g``."""
    shape = np.shape(x)
    if axis is not None and not keepdims and np.ndim(g) != 0:
        # (a scalar ``g`` may stand for a constant array of the reduced shape:
        # it broadcasts as it is)
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape).copy()


def unreduce_mean(g, x, axis=None, keepdims=False):
    """Expand the adjoint ``g`` of ``np.mean(x, axis)`` back to the shape of
    ``x``: every element receives ``g`` divided by the number averaged."""
    shape = np.shape(x)
    if axis is None:
        count = int(np.prod(shape))
    else:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        count = int(np.prod([shape[a] for a in axes]))
    return unreduce(g, x, axis, keepdims) / count


def unreduce_extreme(g, x, ans, axis=None, keepdims=False):
    """Adjoint of ``x`` in ``max``/``min`` of ``x`` over ``axis``: the adjoint
    goes to the elements equal to the extreme, shared equally among ties."""
    ans = unreduce(ans, x, axis, keepdims)
    hit = x == ans
    count = unreduce(np.sum(hit, axis=axis, keepdims=keepdims), x, axis, keepdims)
    return unreduce(g, x, axis, keepdims) * hit / count


def zeros_like(x):
    """Zeros with the shape of ``x`` and a floating dtype (0.0 for a scalar);
    for a tuple (a function's several results), a list of zeros, one per
    element, so that each element's adjoint can be accumulated."""
    if type(x) is np.ndarray and x.dtype.kind == "f":      # the common case, fast
        return np.zeros(x.shape, x.dtype)
    if type(x) in SCALARS:
        return 0.0
    if isinstance(x, (tuple, list)):
        out = Adjoints(zeros_like(e) for e in x)
        if isinstance(x, tuple) and hasattr(type(x), "_fields"):
            out.fields = type(x)._fields      # a named tuple's: read by attribute too
        return out
    if isinstance(x, dict) or is_record(x):
        return AdjointDict()          # missing keys (attributes) read as 0.0
    x = np.asarray(x)
    dtype = x.dtype if np.issubdtype(x.dtype, np.inexact) else float
    return np.zeros(x.shape, dtype=dtype)


def broadcast_like(t, ans):
    """The tangent ``t`` of an elementwise result, broadcast to the shape of
    the result ``ans`` (when the active arguments were broadcast)."""
    if isinstance(t, (list, dict)):       # the tangent of a container: one per element
        return t
    if np.shape(t) == np.shape(ans):
        return t
    if isinstance(ans, (list, tuple)):    # (a list repeated or concatenated: refused)
        check_length(t, ans)
    return np.broadcast_to(t, np.shape(ans)).copy()


def rebroadcast(g, a):
    """The adjoint of ``a`` in ``unbroadcast(a, x)`` from the adjoint ``g``
    of the result (the shape of ``x``): ``g`` broadcast back to ``a``'s shape."""
    if isinstance(a, (list, dict)):                  # adjoints of a container's elements
        if type(g) is float:
            # the symbolic zero: the zero of the structure, whose elements are read
            return zeros_like(a) if g == 0.0 else g
        items = _items(g, a, rebroadcast) if isinstance(g, (list, dict)) else None
        if items is not None:
            return items
    if np.shape(g) == np.shape(a):
        return _number(g) if type(a) is float else g
    if type(a) is float:
        return _number(g)
    return np.broadcast_to(g, np.shape(a)).copy()


def b_broadcast_like(t, ans, K):
    """:func:`broadcast_like` for a batched tangent."""
    if isinstance(t, (list, dict)):       # the tangent of a container: one per element
        return t
    shape = np.shape(ans) + (K,)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape).copy()


def b_unbroadcast(t, like, K):
    """Batched tangent of ``unbroadcast(a, like)`` and ``fit(a, like)``:
    ``t`` summed (or broadcast) to ``like.shape + (K,)``."""
    if isinstance(t, list) and isinstance(like, (list, tuple)) and len(t) == len(like):
        return Adjoints(b_unbroadcast(a, e, K) for a, e in zip(t, like))   # per element
    if isinstance(t, dict) and (isinstance(like, dict) or is_record(like)):
        return t
    xs = np.shape(like)
    if is_number(t):
        return np.full(xs + (K,), t, dtype=float)
    if isinstance(t, (list, dict)) and type(like) is float:
        return np.zeros(K)          # Adjoints([...]) + 0.0 does not depend on the 0.0
    t = np.asarray(t)
    gs = t.shape[:-1]
    if gs == xs:
        return t
    lead = len(gs) - len(xs)
    if lead > 0:
        t = np.sum(t, axis=tuple(range(lead)))
    axes = tuple(i for i, (n, m) in enumerate(zip(xs, t.shape[:-1])) if n == 1 and m != 1)
    if axes:
        t = np.sum(t, axis=axes, keepdims=True)
    if t.shape[:-1] != xs:
        t = np.broadcast_to(t, xs + t.shape[-1:]).copy()
    return t


def b_unreduce(t, like, axis=None, keepdims=False):
    """Batched tangent of ``unreduce(a, like, axis, keepdims)``."""
    shape = np.shape(like)
    t = np.asarray(t)
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        t = np.expand_dims(t, tuple(int(a) % len(shape) for a in axes))
    return np.broadcast_to(t, shape + t.shape[-1:]).copy()


def b_unreduce_mean(t, like, axis=None, keepdims=False):
    shape = np.shape(like)
    if axis is None:
        count = int(np.prod(shape))
    else:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        count = int(np.prod([shape[a] for a in axes]))
    return b_unreduce(t, like, axis, keepdims) / count


def b_unreduce_extreme(t, like, result, axis=None, keepdims=False):
    share = unreduce_extreme(np.ones(np.shape(result)), like, result, axis, keepdims)
    return b_unreduce(t, like, axis, keepdims) * bx(share)
