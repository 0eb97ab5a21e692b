"""Iterators and dict views as containers: enumerate, zip, reversed, sorted, dict views.

The adjoint (tangent) of an iterator is the list of the adjoints (tangents)
of the items it yields; the helpers never iterate an iterator argument (it
is consumed by the primal), they read the argument only for its type,
length and shape.

>>> enumerate_dx([(0.0, 1.0), (0.0, 2.0)], [5.0, 6.0])
[1.0, 2.0]
>>> sorted_dx([1.0, 2.0], [3.0, 1.0])
[2.0, 1.0]
"""

from collections.abc import Iterator, Mapping

import numpy as np

from srcgrad.runtime.base import unsupported
from srcgrad.runtime.broadcast import zeros_like
from srcgrad.runtime.containers import AdjointDict, Adjoints, element, elements, entry


def _sized(x):
    return hasattr(x, "__len__") and not isinstance(x, Iterator)


def seq_adjoint(parts, like):
    """The adjoint of the sequence ``like`` whose items have the adjoints
    ``parts`` (a list, possibly shorter than ``like``: missing items are
    zeros): an array for an array, one adjoint per item for a list or tuple,
    nothing for the keys of a dict, the list itself for an iterator."""
    parts = list(parts)
    if isinstance(like, Mapping):
        return AdjointDict()                # the keys carry no derivative
    if isinstance(like, np.ndarray):
        out = zeros_like(like)
        if out.ndim == 0:
            raise TypeError("srcgrad: iteration over a 0-d array")
        for i, p in enumerate(parts[:len(out)]):
            if not (type(p) is float and p == 0.0):
                out[i] += p
        return out
    if _sized(like):
        parts = parts[:len(like)] + [0.0] * (len(like) - len(parts))
    return Adjoints(parts)


def seq_items(t, like):
    """The tangents of the items of the sequence ``like`` from its tangent
    ``t`` (an array, a list of tangents, or the zero 0.0)."""
    if isinstance(like, Mapping):
        return [0.0] * len(like)
    if type(t) is float and t == 0.0:
        return [0.0] * len(like) if _sized(like) else []
    return list(t)


def iter_list_dx(g, iterable):
    """Adjoint of the argument of ``list(iterable)`` / ``tuple(iterable)``."""
    return seq_adjoint(elements(g), iterable)


def iter_list_tangent(t, iterable, ans):
    """Tangent of ``list(iterable)`` / ``tuple(iterable)``: one per item of
    the result ``ans``."""
    return Adjoints(seq_items(t, iterable)[:len(ans)])


def enumerate_dx(g, iterable):
    """Adjoint of the iterable in ``enumerate(iterable)``: the second part of
    each pair's adjoint."""
    return seq_adjoint([element(p, 1) for p in elements(g)], iterable)


def enumerate_tangent(t, iterable):
    """Tangent of ``enumerate(iterable)``: pairs (0.0, tangent of the item)."""
    return Adjoints(Adjoints([0.0, e]) for e in seq_items(t, iterable))


def zip_dx(g, which, *iterables):
    """Adjoint of iterable number ``which`` in ``zip(*iterables)``: that part
    of each tuple's adjoint."""
    return seq_adjoint([element(p, which) for p in elements(g)], iterables[which])


def zip_tangent(t, which, *iterables):
    """Tangent of ``zip(*iterables)`` from the tangent ``t`` of iterable
    ``which``: tuples of zeros with that item's tangent in place ``which``."""
    items = seq_items(t, iterables[which])
    n = min([len(items)] + [len(x) for x in iterables if _sized(x)])
    return Adjoints(Adjoints([0.0] * which + [e] + [0.0] * (len(iterables) - which - 1))
                    for e in items[:n])


def reversed_dx(g, seq):
    """Adjoint of the sequence in ``reversed(seq)``."""
    return seq_adjoint(elements(g)[::-1], seq)


def reversed_tangent(t, seq):
    """Tangent of ``reversed(seq)``."""
    return Adjoints(seq_items(t, seq)[::-1])


def _mapping(x, what):
    if not isinstance(x, Mapping):
        raise unsupported(f"{what} was differentiated as the method of a dict, but it was "
                          f"called on a {type(x).__name__}",
                          hint="srcgrad knows the methods of dicts and lists only")


def get_dx(g, x, key):
    """Adjoint of the dict ``x`` in ``x.get(key, default)``."""
    _mapping(x, ".get")
    out = AdjointDict()
    if key in x:
        out[key] = g
    return out


def get_default_dx(g, x, key, default):
    """Adjoint of ``default`` in ``x.get(key, default)``."""
    _mapping(x, ".get")
    return zeros_like(default) if key in x else g


def get_tangent(t, x, key, ans):
    """Tangent of ``x.get(key, default)`` from the tangent ``t`` of ``x``."""
    _mapping(x, ".get")
    if key not in x or type(t) is float:
        return zeros_like(ans)
    if isinstance(t, AdjointDict) or key in t:
        return t[key]
    return zeros_like(ans)


def get_default_tangent(t, x, key, ans):
    """Tangent of ``x.get(key, default)`` from the tangent ``t`` of ``default``."""
    _mapping(x, ".get")
    return zeros_like(ans) if key in x else t


def values_dx(g, x):
    """Adjoint of the dict ``x`` in ``x.values()``."""
    _mapping(x, ".values")
    return AdjointDict(zip(x, elements(g)))


def values_tangent(t, x):
    """Tangent of ``x.values()`` from the tangent ``t`` of the dict ``x``."""
    _mapping(x, ".values")
    return Adjoints(entry(t, k) if type(t) is not float else 0.0 for k in x)


def items_dx(g, x):
    """Adjoint of the dict ``x`` in ``x.items()``."""
    _mapping(x, ".items")
    return AdjointDict(zip(x, (element(p, 1) for p in elements(g))))


def items_tangent(t, x):
    """Tangent of ``x.items()`` from the tangent ``t`` of the dict ``x``."""
    _mapping(x, ".items")
    return Adjoints(Adjoints([0.0, entry(t, k) if type(t) is not float else 0.0]) for k in x)


def _sorted_order(iterable, key=None, reverse=False):
    """The positions of the items of ``iterable`` in ``sorted(iterable, key=key,
    reverse=reverse)`` order (Python's sort is stable, and so is this)."""
    if isinstance(iterable, Iterator) or not _sized(iterable):
        raise unsupported("sorted(...) of an iterator is not differentiated",
                          hint="sort a list or an array: sorted(list(...))")
    items = list(iterable)
    k = (lambda i: items[i]) if key is None else (lambda i: key(items[i]))
    return sorted(range(len(items)), key=k, reverse=reverse)


def sorted_dx(g, iterable, key=None, reverse=False):
    """Adjoint of the iterable in ``sorted(iterable, key=..., reverse=...)``:
    each item's adjoint goes back to where the item came from."""
    order = _sorted_order(iterable, key, reverse)
    parts = elements(g)
    back = [0.0] * len(order)
    for j, i in enumerate(order):
        if j < len(parts):
            back[i] = parts[j]
    return seq_adjoint(back, iterable)


def sorted_tangent(t, iterable, key=None, reverse=False):
    """Tangent of ``sorted(iterable, ...)``: the items' tangents in sorted order."""
    order = _sorted_order(iterable, key, reverse)
    items = seq_items(t, iterable)
    return Adjoints(items[i] for i in order)
