"""Adjoints of NumPy's selections and rearrangements: sort, partition,
insert, delete, append, quantiles, diff, ediff1d, convolve, select, the
stacks and splits.

Most of them move elements without changing them.  Their adjoint is found by
running the same NumPy function on *labels*: ``np.insert(arange(n), obj,
-1 - arange(m))`` says which element of ``arr`` (a label >= 0) or of
``values`` (a label < 0) each result element came from; ``gather_dx`` adds
the adjoint back by label and ``gather_t`` (its transpose, the function
applied to a tangent) reads by label.  Every helper here is linear in its
first argument; the others are read for shapes, labels or sort orders.

>>> import numpy as np
>>> labels = insert_labels(np.zeros(3), 1, 7.0, None)
>>> labels.tolist()
[0, -1, 1, 2]
>>> gather_dx(np.array([1.0, 2.0, 3.0, 4.0]), labels, 0.0, 1)
2.0
"""

import numpy as np

from srcgrad.runtime.base import inexact, sorted_axes, unsupported
from srcgrad.runtime.broadcast import unbroadcast, unreduce
from srcgrad.runtime.containers import Adjoints
from srcgrad.runtime.shape import concatenate_dx
from srcgrad.runtime.structure import seq_parts


# -- moving elements: labels ----------------------------------------------------------

def _labels(x, sign=1):
    n = np.size(x)
    lab = np.arange(n) if sign > 0 else -1 - np.arange(n)
    return lab.reshape(np.shape(x))


def insert_labels(arr, obj, values, axis=None):
    """Where each element of ``np.insert(arr, obj, values, axis)`` comes from."""
    return np.insert(_labels(arr), obj, _labels(values, -1), axis=axis)


def delete_labels(arr, obj, axis=None):
    """Where each element of ``np.delete(arr, obj, axis)`` comes from."""
    return np.delete(_labels(arr), obj, axis=axis)


def append_labels(arr, values, axis=None):
    """Where each element of ``np.append(arr, values, axis)`` comes from."""
    return np.append(_labels(arr), _labels(values, -1), axis=axis)


def perm_labels(a, ans, axis=-1):
    """Where each element of ``ans``, a permutation of ``a`` along ``axis``
    (``np.sort``, ``np.partition``; flattened for axis None), comes from."""
    a, ans = np.asarray(a), np.asarray(ans)
    if axis is None:
        a, lab, axis = a.ravel(), np.arange(a.size), -1
    else:
        lab = _labels(a)
    # a[sa] == sorted == ans[sb]: ans[j] = a[sa[inverse of sb][j]]
    sa = np.argsort(a, axis=axis, kind="stable")
    sb = np.argsort(ans, axis=axis, kind="stable")
    perm = np.take_along_axis(sa, np.argsort(sb, axis=axis, kind="stable"), axis=axis)
    return np.take_along_axis(lab, perm, axis=axis)


def gather_dx(a, labels, like, which=0):
    """The adjoint of the elements of ``like`` (``which`` 0: labels >= 0,
    1: labels < 0) given the adjoint ``a`` of the result the labels describe."""
    labels = np.asarray(labels)
    a = np.broadcast_to(np.asarray(a, dtype=float), labels.shape).ravel()
    labels = labels.ravel()
    mine = labels >= 0 if which == 0 else labels < 0
    index = labels[mine] if which == 0 else -1 - labels[mine]
    out = np.bincount(index, weights=a[mine], minlength=np.size(like))
    return out.reshape(np.shape(like)) if np.ndim(like) else float(out[0])


def gather_t(a, labels, like, which=0):
    """The result the labels describe made of ``a`` (the elements of
    ``like``) and zeros elsewhere: the tangent, and ``gather_dx`` transposed."""
    labels = np.asarray(labels)
    a = np.broadcast_to(np.asarray(a, dtype=float), np.shape(like)).ravel()
    mine = labels >= 0 if which == 0 else labels < 0
    index = np.where(mine, labels if which == 0 else -1 - labels, 0)
    return np.where(mine, a[index] if a.size else 0.0, 0.0)


# -- quantiles (linear interpolation between order statistics) ------------------------

def _lanes(a, axis):
    """``a`` with the axes reduced over moved last and merged: (rest..., n)."""
    a = np.asarray(a)
    axes = sorted_axes(axis, a.ndim)
    keep = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, keep + list(axes))
    n = int(np.prod([a.shape[i] for i in axes]))
    return moved.reshape([a.shape[i] for i in keep] + [n]), keep + list(axes)


def _quantile_weights(a, q, axis, method):
    if method != "linear":
        raise unsupported(f"no derivative of a quantile with method={method!r}",
                          "use the default method='linear'")
    lanes, perm = _lanes(a, axis)
    n = lanes.shape[-1]
    order = np.argsort(lanes, axis=-1, kind="stable")
    q = np.asarray(q, dtype=float)
    at = q * (n - 1)
    lo = np.clip(np.floor(at), 0, n - 1)
    hi = np.minimum(lo + 1, n - 1)
    frac = at - lo
    k = np.arange(n)
    extra = (1,) * (lanes.ndim - 1)
    w = (1.0 - frac).reshape(q.shape + extra + (1,)) * (k == lo.reshape(q.shape + extra + (1,))) \
        + frac.reshape(q.shape + extra + (1,)) * (k == hi.reshape(q.shape + extra + (1,)))
    return lanes, perm, order, w


def _quantile_shape(a, q, axis, keepdims):
    a = np.asarray(a)
    axes = sorted_axes(axis, a.ndim)
    rest = [1 if i in axes else s for i, s in enumerate(a.shape)] if keepdims else \
        [s for i, s in enumerate(a.shape) if i not in axes]
    return np.shape(q) + tuple(rest)


def quantile_dx(d, a, q, axis=None, keepdims=False, method="linear"):
    """Adjoint of ``a`` in ``np.quantile(a, q, axis, keepdims=keepdims)``
    (``np.median``: q = 0.5): each quantile's adjoint goes to the one or two
    order statistics it interpolates, through the sort order."""
    lanes, perm, order, w = _quantile_weights(a, q, axis, method)
    d = np.broadcast_to(np.asarray(d, dtype=float), _quantile_shape(a, q, axis, keepdims))
    d = d.reshape(np.shape(q) + lanes.shape[:-1] + (1,))
    sorted_adj = np.sum(d * w, axis=tuple(range(np.ndim(q))))
    out = np.empty(lanes.shape)
    np.put_along_axis(out, order, sorted_adj, axis=-1)
    shape = [np.shape(a)[i] for i in perm]
    return np.transpose(out.reshape(shape), np.argsort(perm))


def quantile_tangent(t, a, q, axis=None, keepdims=False, method="linear"):
    """Tangent of ``np.quantile(a, q, axis)``: the interpolation of the
    tangent's order statistics (``quantile_dx`` transposed)."""
    lanes, perm, order, w = _quantile_weights(a, q, axis, method)
    tl, _ = _lanes(np.broadcast_to(np.asarray(t, dtype=float), np.shape(a)), axis)
    out = np.sum(w * np.take_along_axis(tl, order, axis=-1), axis=-1)
    return out.reshape(_quantile_shape(a, q, axis, keepdims))


# -- differences ----------------------------------------------------------------------

def _diff_slots(a, axis, prepend, append):
    """The shapes of the pieces ``np.diff`` concatenates: prepend, a, append."""
    shape = list(np.shape(a))
    slots = []
    for extra in (prepend, a, append):
        if extra is None:
            slots.append(None)
        elif extra is a or np.ndim(extra):
            slots.append(tuple(np.shape(extra)))
        else:
            s = list(shape)
            s[axis] = 1
            slots.append(tuple(s))
    return slots


def diff_dx(d, a, n=1, axis=-1, prepend=None, append=None, which=0):
    """Adjoint of ``a`` (``which`` 0), ``prepend`` (1) or ``append`` (2) in
    ``np.diff(a, n, axis, prepend, append)``: a difference's adjoint is the
    negated difference of the zero-padded adjoint, ``n`` times."""
    slots = _diff_slots(a, axis, prepend, append)
    if np.ndim(d) == 0:       # (a scalar standing for a constant array)
        shape = list(np.shape(a))
        shape[axis] = sum(s[axis] for s in slots if s is not None) - n
        d = np.full(shape, float(d))
    d = np.asarray(d, dtype=float)
    width = [(0, 0)] * d.ndim
    width[axis] = (1, 1)
    for _ in range(n):
        d = -np.diff(np.pad(d, width), axis=axis)
    start = 0
    for i, slot in enumerate(slots):
        size = 0 if slot is None else slot[axis]
        if i == [1, 0, 2][which]:
            piece = np.take(d, np.arange(start, start + size), axis=axis)
            return unbroadcast(piece, (prepend, a, append)[i])
        start += size


def diff_dx_t(k, a, n=1, axis=-1, prepend=None, append=None, which=0):
    """``np.diff`` of the pieces with ``k`` in the place of ``which`` and
    zeros elsewhere: the tangent, and ``diff_dx`` transposed."""
    slots = _diff_slots(a, axis, prepend, append)
    mine = [1, 0, 2][which]
    pieces = [np.broadcast_to(np.asarray(k, dtype=float), s) if i == mine else np.zeros(s)
              for i, s in enumerate(slots) if s is not None]
    return np.diff(np.concatenate(pieces, axis=axis), n=n, axis=axis)


def _ediff_sizes(ary, to_end, to_begin):
    return (0 if to_begin is None else np.size(to_begin), max(np.size(ary) - 1, 0),
            0 if to_end is None else np.size(to_end))


def ediff1d_dx(d, ary, to_end=None, to_begin=None, which=0):
    """Adjoint of ``ary`` (``which`` 0), ``to_end`` (1) or ``to_begin`` (2) in
    ``np.ediff1d(ary, to_end, to_begin)``."""
    nb, nd, ne = _ediff_sizes(ary, to_end, to_begin)
    d = np.broadcast_to(np.asarray(d, dtype=float), (nb + nd + ne,))
    if which == 0:
        return np.reshape(-np.diff(np.pad(d[nb:nb + nd], 1)), np.shape(ary))
    part = d[nb + nd:] if which == 1 else d[:nb]
    return np.reshape(part, np.shape(to_end if which == 1 else to_begin))


def ediff1d_t(k, ary, to_end=None, to_begin=None, which=0):
    """``np.ediff1d`` with ``k`` in the place of ``which`` and zeros elsewhere."""
    nb, nd, ne = _ediff_sizes(ary, to_end, to_begin)
    k = np.ravel(np.asarray(k, dtype=float))
    parts = [np.zeros(nb), np.zeros(nd), np.zeros(ne)]
    parts[[1, 2, 0][which]] = np.diff(k) if which == 0 else k
    return np.concatenate(parts)


# -- np.convolve and np.correlate (1-D) -----------------------------------------------

def _conv_window(a, v, mode, corr):
    m, n = np.size(a), np.size(v)
    lo = min(m, n)
    if mode == "full":
        return 0, m + n - 1
    if mode == "valid":
        return lo - 1, max(m, n) - lo + 1
    if mode == "same":
        off = (lo - 1) // 2 if not corr or m >= n else m // 2
        return off, max(m, n)
    raise unsupported(f"no derivative of np.convolve/np.correlate with mode={mode!r}",
                      "use mode 'full', 'same' or 'valid'")


def conv_pad(d, a, v, mode="full", corr=False):
    """The adjoint ``d`` of ``np.convolve(a, v, mode)`` (``np.correlate`` when
    ``corr``) placed in the full result, zeros around it."""
    off, size = _conv_window(a, v, mode, corr)
    out = np.zeros(np.size(a) + np.size(v) - 1)
    out[off:off + size] = d
    return out


def conv_unpad(k, a, v, mode="full", corr=False):
    """The part of a full convolution ``mode`` keeps (``conv_pad`` transposed)."""
    off, size = _conv_window(a, v, mode, corr)
    k = np.broadcast_to(np.asarray(k, dtype=float), (np.size(a) + np.size(v) - 1,))
    return k[off:off + size]


# -- np.select ------------------------------------------------------------------------

def _select_masks(condlist):
    taken = False
    masks = []
    for c in condlist:
        masks.append(np.logical_and(c, np.logical_not(taken)))
        taken = np.logical_or(taken, c)
    return masks, np.logical_not(taken)


def select_none(condlist):
    """1.0 where no condition of ``np.select`` holds (the default is taken)."""
    return _select_masks(condlist)[1] * 1.0


def select_dx(d, condlist, choicelist):
    """Adjoints of the choices of ``np.select(condlist, choicelist)``: each
    gets the adjoint where it was the one chosen."""
    masks, _ = _select_masks(condlist)
    return seq_parts([unbroadcast(d * m, c) for m, c in zip(masks, choicelist)], choicelist)


# -- stacks and splits ----------------------------------------------------------------

def dstack_dx(d, tup):
    """Adjoint of the arrays in ``np.dstack(tup)``."""
    pieces = concatenate_dx(d, [np.atleast_3d(a) for a in tup], 2)
    return seq_parts([np.reshape(p, np.shape(a)) for p, a in zip(pieces, tup)], tup)


def _column(a):
    a = np.asarray(a)
    return a if a.ndim >= 2 else np.array(a, ndmin=2).T


def column_stack_dx(d, tup):
    """Adjoint of the arrays in ``np.column_stack(tup)``."""
    pieces = concatenate_dx(d, [_column(a) for a in tup], 1)
    return seq_parts([np.reshape(p, np.shape(a)) for p, a in zip(pieces, tup)], tup)


def split_dx_t(k, pieces, axis=0):
    """``k`` split like ``pieces`` along ``axis`` (``split_dx`` transposed)."""
    sizes = np.cumsum([np.shape(p)[axis] for p in pieces])[:-1]
    return Adjoints(np.split(inexact(k), sizes, axis=axis))


def hsplit_axis(ary):
    """The axis ``np.hsplit`` splits."""
    return 1 if np.ndim(ary) > 1 else 0


def rollaxis_dest(a, axis, start=0):
    """``np.rollaxis(a, axis, start)`` is ``np.moveaxis(a, axis, dest)``."""
    n = np.ndim(a)
    axis = axis % n
    start = start + n if start < 0 else start
    return start - 1 if axis < start else start


def nanvar_dx(d, x, axis=None, ddof=0, keepdims=False, correction=None):
    """Adjoint of ``x`` in ``np.nanvar(x, axis, ddof=ddof)``: the
    ``np.var`` adjoint over the numbers of each lane, 0 at the NaNs."""
    x = np.asarray(x, dtype=float)
    ddof = ddof if correction is None else correction
    ok = ~np.isnan(x)
    x0 = np.where(ok, x, 0.0)
    count = np.sum(ok, axis=axis, keepdims=True)
    mean = np.sum(x0, axis=axis, keepdims=True) / count
    return np.where(ok, 2.0 * (x0 - mean) / (count - ddof), 0.0) * unreduce(d, x, axis, keepdims)


