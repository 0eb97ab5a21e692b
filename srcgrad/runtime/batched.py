"""The machinery of batched forward mode (``srcgrad.jacobian``, ``srcgrad.hessian``).

A batched tangent carries one more, *last*, axis than its primal: the K
directions pushed through one pass (tangent shape = primal shape + (K,)).
Elementwise tangents broadcast once every primal operand is given a trailing
axis of 1 (``bx``); the families' modules hold the batched versions of the
other rules (``b_*``), and ``per_direction`` is the fallback for every rule
without one: it applies the rule's ordinary tangent to each direction and
stacks the results.

>>> bzeros(np.ones(3), 4).shape
(3, 4)
>>> per_direction(lambda t: 2 * t, np.ones((3, 2)), 2).shape
(3, 2)
"""

import copy

import numpy as np

from srcgrad.errors import SrcgradError
from srcgrad.runtime.base import is_record
from srcgrad.runtime.containers import AdjointDict, Adjoints, FieldAdjoints


def n_directions(t):
    """The number of directions ``K`` of a batched tangent argument (the
    last axis of its first array, for a container)."""
    if isinstance(t, np.ndarray):
        return t.shape[-1]
    parts = list(t.values()) if isinstance(t, dict) else list(t) if isinstance(t, (list, tuple)) \
        else list(vars(t).values()) if is_record(t) else []
    for part in parts:
        if isinstance(part, (np.ndarray, list, tuple, dict)) or is_record(part):
            try:
                return n_directions(part)
            except SrcgradError:
                pass
    raise SrcgradError("srcgrad: a batched tangent needs an array with a last axis of "
                       "directions")


def bx(x):
    """A primal operand of an elementwise tangent template, given a trailing
    axis of size 1 so that it broadcasts against batched tangents (a Python
    or NumPy scalar broadcasts as it is)."""
    if isinstance(x, np.ndarray):
        return x[..., None]
    if isinstance(x, (list, tuple)):
        return np.asarray(x)[..., None]
    return x


def bzeros(x, K):
    """The zero batched tangent of ``x``: zeros of shape ``x.shape + (K,)``
    (a list of them for a tuple or list, an empty dict of tangents for a
    dict or record)."""
    if isinstance(x, (tuple, list)):
        return Adjoints(bzeros(e, K) for e in x)
    if isinstance(x, dict) or is_record(x):
        return AdjointDict()
    x = np.asarray(x)
    dtype = x.dtype if np.issubdtype(x.dtype, np.inexact) else float
    return np.zeros(x.shape + (K,), dtype=dtype)


def is_number(t):
    return isinstance(t, (int, float)) and not isinstance(t, bool) or \
        isinstance(t, np.ndarray) and t.ndim == 0


def b_out(t, value, K):
    """The batched tangent of the result ``value``: exactly of shape
    ``value.shape + (K,)`` (a zero without the direction axis is expanded)."""
    if isinstance(value, (int, float, complex, np.ndarray, np.generic)) and \
            np.shape(t) != np.shape(value) + (K,):
        return np.broadcast_to(t, np.shape(value) + (K,)).copy()
    return t


def _direction(t, k):
    """Direction ``k`` of a batched tangent (of any structure)."""
    if isinstance(t, np.ndarray):
        return t[..., k] if t.ndim else t
    if isinstance(t, (list, tuple)):
        parts = [_direction(e, k) for e in t]
        if isinstance(t, FieldAdjoints):
            return FieldAdjoints(parts, t.fields)
        return type(t)._make(parts) if hasattr(type(t), "_make") else type(t)(parts)
    if isinstance(t, dict):
        return type(t)((key, _direction(v, k)) for key, v in t.items())
    if is_record(t):
        out = copy.copy(t)
        for key, v in vars(t).items():
            object.__setattr__(out, key, _direction(v, k))
        return out
    return t                           # a number: a zero without the direction axis


def _stack(cols):
    """The batched tangent made of one unbatched tangent per direction."""
    first = cols[0]
    if isinstance(first, (list, tuple)):
        parts = [_stack([c[i] for c in cols]) for i in range(len(first))]
        if isinstance(first, FieldAdjoints):
            return FieldAdjoints(parts, first.fields)
        return type(first)._make(parts) if hasattr(type(first), "_make") else type(first)(parts)
    if isinstance(first, dict):
        keys = set().union(*(c.keys() for c in cols))
        return type(first)((key, _stack([c[key] if key in c else 0.0 for c in cols]))
                           for key in keys)
    if is_record(first):
        out = copy.copy(first)
        for key in vars(first):
            object.__setattr__(out, key, _stack([getattr(c, key) for c in cols]))
        return out
    arrays = [np.asarray(c) for c in cols]
    if len({a.shape for a in arrays}) > 1:
        arrays = np.broadcast_arrays(*arrays)
    return np.stack(arrays, axis=-1)


def per_direction(tangent, t, K):
    """The generic batched tangent: ``tangent`` (a rule's ordinary tangent, as
    a function of one direction's tangent) applied to each of the ``K``
    directions of ``t``, the results stacked on a last axis."""
    return _stack([tangent(_direction(t, k)) for k in range(K)])
