"""Element and attribute reads and writes of lists, dicts and objects, and their undo.

``add_item`` / ``add_attr`` accumulate into the adjoint of a container (the
element is rebound, never updated in place); ``save_item``,
``restore_item``, ``unpop`` undo writes and pops of lists and dicts when
the reverse pass runs; ``item_adjoint`` reads the adjoint of a written value
out of a list's or an array's adjoint.

>>> add_item(0.0, [1.0, 2.0], 1, 3.0)
[0.0, 3.0]
>>> x = [1.0, 2.0]
>>> saved = save_item(x, 0)
>>> x[0] = 5.0
>>> restore_item(x, 0, saved)
>>> x
[1.0, 2.0]
"""

import numpy as np

from srcgrad.runtime.batched import bzeros, is_number
from srcgrad.runtime.broadcast import rebroadcast, unbroadcast, zeros_like
from srcgrad.runtime.containers import AdjointDict, check_length
from srcgrad.runtime.indexing import add_at, written_adjoint, written_adjoint_t


def add_item(d, x, key, v):
    """``d[key] += v`` for the adjoint ``d`` of the container ``x`` (made
    if ``d`` is the symbolic zero); the element is rebound, never updated in
    place, since element adjoints may be shared.  Arrays go to ``add_at``."""
    if type(d) is float:
        d = zeros_like(x)
    if isinstance(d, (list, dict)):
        old = d[key]
        if type(old) is float and old == 0.0 and isinstance(v, (tuple, list)):
            if isinstance(x, (list, tuple, dict)):
                check_length(v, x[key])
            d[key] = v                 # the zero of an element that holds several values
        else:
            d[key] = old + v
        return d
    return add_at(d, x, key, v)


def add_item_dv(g, key, v):
    """Adjoint of ``v`` in ``add_item(d, x, key, v)`` from the adjoint ``g``
    of its result: the part of ``g`` at ``key``."""
    if isinstance(g, dict):
        return g.get(key, 0.0)
    if isinstance(g, list):
        return g[key]
    if type(g) is float:
        return 0.0
    return unbroadcast(np.asarray(g)[key], v)


def element_t(h, g, i):
    """The transpose of :func:`~srcgrad.runtime.containers.element` in
    ``g``: a zero adjoint of ``g``'s structure with ``h`` at ``i`` (nothing
    for a key a dict does not have, or for the symbolic zero)."""
    if isinstance(g, dict) and i not in g or \
            not isinstance(g, (list, tuple, np.ndarray, dict)):
        return 0.0
    return add_item(zeros_like(g), g, i, h)


def entry_t(h, g, k):
    """The transpose of :func:`~srcgrad.runtime.containers.entry` in ``g``."""
    if isinstance(g, dict) and k in g:
        return add_item(zeros_like(g), g, k, h)
    return 0.0


def add_attr(d, x, name, v):
    """Accumulate ``v`` into the adjoint ``d`` of attribute ``name`` of
    ``x`` (a named tuple's adjoint is positional)."""
    if type(d) is float:
        d = zeros_like(x)
    if isinstance(d, list):
        i = type(x)._fields.index(name)
        d[i] = d[i] + v
    else:
        d[name] = d[name] + v
    return d


def attr_tangent(t, name, x=None):
    """The tangent of ``x.name`` from the tangent ``t`` of ``x`` (an object of
    ``x``'s type, or a dict of attribute tangents).  An attribute without a
    tangent has the zero tangent: 0.0 for a number, zeros of the shape of
    ``x.name`` when ``x`` is given (the attribute may be an array, list or
    record, whose tangent is read by index or attribute next)."""
    if isinstance(t, dict):
        if name in t:
            return t[name]
        if x is not None:
            return zeros_like(getattr(x, name))
        return t[name] if isinstance(t, AdjointDict) else 0.0
    if type(t) is float:
        return 0.0 if x is None else zeros_like(getattr(x, name))
    fields = getattr(t, "fields", None) if isinstance(t, list) else None
    if fields is not None and name in fields:
        return t[fields.index(name)]      # the zeros of a named tuple (zeros_like)
    return getattr(t, name)


def b_attr(t, name, value, K):
    """The batched tangent of ``x.name`` (``value``) from the tangent of ``x``."""
    out = attr_tangent(t, name)
    return bzeros(value, K) if is_number(out) else out


def save_item(x, key):
    """What ``x[key] = ...`` overwrites in a list or dict: ``(True, value)``,
    or ``(False, None)`` when the key is new."""
    if isinstance(x, dict) and key not in x:
        return (False, None)
    return (True, x[key])


def restore_item(x, key, saved):
    """Undo ``x[key] = ...`` on a list or dict (``saved`` from ``save_item``;
    plain code without a sentinel object or ``del``: second derivatives read it)."""
    present, value = saved
    if present:
        x[key] = value
    else:
        x.pop(key)


def _position(n, index):
    """Where ``pop(index)`` took an element from, given the length ``n``
    left after it."""
    if index is None:
        return n
    return index if index >= 0 else n + 1 + index


def unpop(x, index, value):
    """Undo ``x.pop(index)`` (``index`` None: ``x.pop()``)."""
    if isinstance(x, dict):
        x[index] = value
    else:
        x.insert(_position(len(x), index), value)


def unpop_adjoint(d, index):
    """Reverse of ``x.pop(index)`` on the adjoint ``d`` of ``x``: the removed
    element is back, with a zero adjoint (its value's adjoint flowed through
    the read ``x[index]`` that the pop was split into)."""
    if isinstance(d, dict):
        d.pop(index, None)
    else:
        d.insert(_position(len(d), index), 0.0)
    return d


def shallow_copy(x):
    """``x.copy()`` of a list or dict (and what its adjoint and tangent are)."""
    return x.copy()


def item_adjoint(d, key, v):
    """Adjoint of ``v`` in ``x[key] = v`` from the adjoint ``d`` of ``x``
    after the write, ``x`` a list or an array: the list element's adjoint,
    or the written elements' adjoints (a copy, summed down to ``v``'s
    shape where ``v`` was broadcast)."""
    if isinstance(d, np.ndarray):
        return unbroadcast(written_adjoint(d, key), v)
    return d[key]


def item_adjoint_t(g, d, key, v):
    """The transpose of :func:`item_adjoint` in ``d``."""
    if isinstance(d, np.ndarray):
        return written_adjoint_t(rebroadcast(g, written_adjoint(d, key)), d, key)
    return add_item(0.0, d, key, g)
