"""Adjoints and tangents of the builtins over lists and tuples: sum, max, +, *, list.

>>> sum_dx(2.0, [1.0, 3.0])
[2.0, 2.0]
>>> concat_dx([1.0, 2.0, 3.0], [0.0], [0.0, 0.0], 1)
[2.0, 3.0]
>>> seq_repeat_dx([1.0, 2.0, 3.0, 4.0], [0.5, 0.7], 2)     # [a, b] * 2: a twice, b twice
[4.0, 6.0]
"""

import numpy as np

from srcgrad.runtime.base import inexact, unsupported
from srcgrad.runtime.broadcast import rebroadcast, unbroadcast, zeros_like
from srcgrad.runtime.containers import AdjointDict, Adjoints


def sum_dx(g, iterable):
    """Adjoint of the iterable in ``sum(iterable)``: ``g`` for each element
    of a list or tuple (reduced to its shape), ``g`` for each row of an
    array, nothing for the keys of a dict."""
    if isinstance(iterable, (list, tuple)):     # one new adjoint each: never shared
        return Adjoints(_own(unbroadcast(g, e)) for e in iterable)
    if isinstance(iterable, dict):
        return AdjointDict()
    return np.array(np.broadcast_to(g, np.shape(iterable)), dtype=np.result_type(g, float))


def sum_dx_t(h, g, iterable):
    """The transpose of :func:`sum_dx` in ``g``: the adjoints ``h`` of the
    elements summed back (each reduced to ``g``'s shape)."""
    if isinstance(iterable, (list, tuple)):
        total = 0.0
        for hk in h:
            total = total + rebroadcast(hk, g)
        return total
    if isinstance(iterable, dict):
        return zeros_like(g)
    return unbroadcast(h, g)


def _own(g):
    return g.copy() if type(g) is np.ndarray else g


def view_sum_dx(g, view):
    """Adjoint of the dict view in ``sum(d.values())``: ``g`` for each item."""
    return Adjoints(_own(unbroadcast(g, e)) for e in view)


def _extreme_index(iterable, ans):
    for i, e in enumerate(iterable):
        if e is ans or e == ans:
            return i
    return 0


def seq_extreme_dx(g, iterable, ans):
    """Adjoint of the sequence in ``max(seq)`` / ``min(seq)``: ``g`` for the
    element returned (the first extreme one, as Python returns it)."""
    out = Adjoints([0.0] * len(iterable))
    if len(out):
        out[_extreme_index(iterable, ans)] = g
    return out


def seq_extreme_tangent(t, iterable, ans):
    """Tangent of ``max(seq)`` / ``min(seq)``: the tangent of the element
    returned."""
    return t[_extreme_index(iterable, ans)]


def _added(x, y):
    """How ``x + y`` of a list (tuple) ``x`` or ``y`` adds: ``"concat"`` (two
    lists or tuples), ``"items"`` (an ``Adjoints``, which adds element by
    element) or ``"numpy"`` (a list and an array: NumPy's addition)."""
    if isinstance(x, Adjoints) or isinstance(y, Adjoints):
        return "items"
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return "concat"
    return "numpy"


def concat_dx(g, x, y, which):
    """Adjoint of ``x`` (``which`` 0) or ``y`` (1) in ``x + y`` of two lists or
    tuples: its part of ``g``.  (A list plus an array, or an ``Adjoints``,
    adds element by element: the adjoint is ``g`` itself, summed to the
    operand's shape.)"""
    kind = _added(x, y)
    own = x if which == 0 else y
    if kind == "numpy":
        return unbroadcast(inexact(g), own)
    if kind == "items":
        return Adjoints(g) if isinstance(own, (list, tuple)) else 0.0
    n = len(x)
    return Adjoints(g[:n] if which == 0 else g[n:])


def concat_tangent(t, x, y, which):
    """Tangent of ``x + y`` (lists or tuples) from the tangent ``t`` of ``x``
    (``which`` 0) or ``y`` (1); the other part is zero.  (A list plus an
    array, or an ``Adjoints``, adds element by element: the tangent is ``t``
    itself, broadcast to the result.)"""
    kind = _added(x, y)
    if kind == "numpy":
        shape = np.broadcast_shapes(np.shape(x), np.shape(y))
        return np.broadcast_to(inexact(t), shape).copy()
    if kind == "items":
        own, other = (x, y) if which == 0 else (y, x)
        if isinstance(own, (list, tuple)):
            return Adjoints(t)
        return Adjoints(zeros_like(e) for e in other)
    if which == 0:
        return Adjoints(list(t) + [zeros_like(e) for e in y])
    return Adjoints([zeros_like(e) for e in x] + list(t))


def _repeats(x, n):
    """``n`` when ``x * n`` (or ``n * x``) repeats the list or tuple ``x``;
    refused when it is NumPy's product (a list times an array or a number
    that is not an int), which srcgrad does not differentiate here."""
    if isinstance(x, (list, tuple)) and not isinstance(x, Adjoints) and \
            isinstance(n, (int, np.integer)) and not isinstance(n, bool):
        return max(int(n), 0)
    raise unsupported(
        "a list or tuple is multiplied by a value that is not an int: NumPy's elementwise "
        "product, not a repetition of the list",
        "write np.asarray(xs) * v for the product, or make the count an int")


def seq_repeat_dx(g, x, n):
    """Adjoint of the list or tuple ``x`` in ``x * n`` (``n`` an int, a
    repetition): the adjoints of its ``n`` copies of each element, added."""
    k = _repeats(x, n)
    if type(g) is float and g == 0.0:
        return 0.0                       # the symbolic zero stays one
    m = len(x)
    out = []
    for i in range(m):
        total = 0.0
        for c in range(k):
            total = total + g[c * m + i]
        out.append(total)
    return Adjoints(out)


def seq_repeat_n_dx(g, x, n):
    """Adjoint of the count ``n`` in ``x * n``: none for an int (the
    repetition); NumPy's product of a list and an array is refused."""
    _repeats(x, n)
    return 0.0


def seq_repeat_tangent(t, x, n):
    """Tangent of ``x * n`` (a list or tuple repeated ``n`` times): the
    tangents of ``x`` repeated (arrays copied, so that no two elements'
    tangents are one object)."""
    k = _repeats(x, n)
    if type(t) is float and t == 0.0:
        return 0.0
    return Adjoints([e.copy() if type(e) is np.ndarray else e for _ in range(k) for e in t])


def list_dx(g, iterable):
    """Adjoint of the argument of ``list(iterable)`` / ``tuple(iterable)``."""
    if isinstance(iterable, (list, tuple)):
        return Adjoints(g)
    if isinstance(iterable, dict):
        return AdjointDict()        # the keys carry no derivative
    shape = np.shape(iterable)
    return inexact([np.broadcast_to(e, shape[1:]) for e in g]).reshape(shape)


def list_tangent(t, iterable):
    """Tangent of ``list(iterable)`` / ``tuple(iterable)``."""
    if isinstance(iterable, dict):
        return Adjoints([0.0] * len(iterable))
    return Adjoints(t)
