"""Adjoints and tangents of reductions: prod, var, cumsum, cumprod, average, max.

Reductions whose result element depends only on its own slice of the input
get their tangent from their adjoint helper: with ``g = 1`` the adjoint is
the partial derivative of each result element with respect to the elements
of its slice, so ``sum(partial * t)`` over the reduced axes (``reduced``) is
the tangent.  ``np.cumprod`` of an array with zeros uses the exact partial
derivatives (O(n^2) per line, only then).

>>> prod_dx(1.0, np.array([2.0, 0.0, 3.0]))
array([0., 6., 0.])
"""

import numpy as np

from srcgrad.runtime.base import keep_reduced, sorted_axes
from srcgrad.runtime.batched import bx, is_number
from srcgrad.runtime.broadcast import unreduce, unreduce_extreme


def prod_dx(g, a, axis=None, keepdims=False):
    """Adjoint of ``a`` in ``np.prod(a, axis)``: ``g`` times the product of
    the *other* reduced elements (exclusive products from both sides, so
    zeros in ``a`` are handled exactly, without dividing by ``a``)."""
    a = np.asarray(a, dtype=np.result_type(a, float))
    if a.ndim == 0:
        return unreduce(g, a, axis, keepdims)
    axes = sorted_axes(axis, a.ndim)
    k = len(axes)
    moved = np.moveaxis(a, axes, tuple(range(a.ndim - k, a.ndim)))
    flat = moved.reshape(moved.shape[:a.ndim - k] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = np.moveaxis((left * right).reshape(moved.shape),
                         tuple(range(a.ndim - k, a.ndim)), axes)
    return unreduce(g, a, axis, keepdims) * others


def var_dx(g, a, axis=None, ddof=0, keepdims=False, correction=None):
    """Adjoint of ``a`` in ``np.var(a, axis, ddof=ddof)``:
    ``2 (a - mean) / (N - ddof)`` times the expanded ``g``."""
    ddof = ddof if correction is None else correction
    n = np.size(a) / max(np.size(np.mean(a, axis=axis)), 1)
    mean = np.mean(a, axis=axis, keepdims=True)
    return unreduce(g, a, axis, keepdims) * (2.0 / (n - ddof)) * (a - mean)


def var_dx_da(gv, x, axis=None, ddof=0, keepdims=False, correction=None):
    """``var_dx(a, x, ...)`` is linear in ``a``: the transposed map applied to
    ``gv`` (a cotangent of ``x``'s shape), reduced to the shape of ``a``."""
    return np.sum(gv * var_dx(1.0, x, axis, ddof, keepdims, correction),
                  axis=None if axis is None else sorted_axes(axis, np.ndim(x)), keepdims=bool(keepdims))


def cumsum_dx(g, a, axis=None):
    """Adjoint of ``a`` in ``np.cumsum(a, axis)``: the reversed cumulative
    sum of ``g`` (over the flattened array when ``axis`` is None)."""
    if axis is None:
        return np.reshape(np.cumsum(np.ravel(g)[::-1])[::-1], np.shape(a))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def cumprod_dx(g, a, ans, axis=None):
    """Adjoint of ``a`` in ``np.cumprod(a, axis)``: ``cumsum_dx(g * ans) / a``
    for ``a`` without zeros, the exact products otherwise."""
    if not np.all(np.asarray(a) != 0):
        return cumprod_exact_dx(g, a, axis)
    if axis is None:
        return np.reshape(cumsum_dx(g * ans, np.ravel(a), 0) / np.ravel(a), np.shape(a))
    return cumsum_dx(g * ans, a, axis) / a


def _cumprod_partials(a):
    """For ``a`` of shape (..., n): ``C[..., k, i] = prod(a[..., j] for j <= i,
    j != k)`` where ``k <= i`` (0 elsewhere): the derivative of the i-th
    cumulative product in ``a[..., k]``, exact with zeros in ``a``."""
    n = a.shape[-1]
    rep = np.repeat(a[..., None, :], n, axis=-2)          # [..., k, j] = a[..., j]
    idx = np.arange(n)
    rep[..., idx, idx] = 1.0                               # ... with a[k] left out
    C = np.cumprod(rep, axis=-1)
    return np.where(idx[None, :] >= idx[:, None], C, 0.0)


def cumprod_exact_dx(g, a, axis=None):
    """Adjoint of ``a`` in ``np.cumprod(a, axis)``, exact also where ``a``
    has zeros (O(n^2) per line: used only then)."""
    a = np.asarray(a, dtype=np.result_type(a, float))
    shape = a.shape
    if axis is None:
        a, g, ax = a.reshape(-1), np.reshape(g, -1), 0
    else:
        ax = int(axis) % a.ndim
    am = np.moveaxis(a, ax, -1)
    gm = np.moveaxis(np.broadcast_to(g, a.shape), ax, -1)
    d = np.einsum("...ki,...i->...k", _cumprod_partials(am), gm)
    return np.moveaxis(d, -1, ax).reshape(shape)


def cumprod_tangent(t, a, ans, axis=None):
    """Tangent of ``np.cumprod(a, axis)``: ``ans * cumsum(t / a)`` where
    ``a`` has no zeros, else the exact sum of the partial derivatives."""
    a = np.asarray(a, dtype=np.result_type(a, float))
    if np.all(a != 0):
        if axis is None:
            return ans * np.cumsum(np.ravel(t / a))
        return ans * np.cumsum(t / a, axis=axis)
    if axis is None:
        a, t, ax = a.reshape(-1), np.reshape(np.broadcast_to(t, a.shape), -1), 0
    else:
        ax = int(axis) % a.ndim
        t = np.broadcast_to(t, a.shape)
    am, tm = np.moveaxis(a, ax, -1), np.moveaxis(t, ax, -1)
    return np.moveaxis(np.einsum("...ki,...k->...i", _cumprod_partials(am), tm), -1, ax)


def _average_weights(a, weights, axis):
    """The weights of ``np.average`` broadcast to the shape of ``a``."""
    if weights is None:
        return np.ones(np.shape(a))
    w = np.asarray(weights, dtype=float)
    if w.shape != np.shape(a):        # 1-d weights along one axis
        shape = [1] * np.ndim(a)
        shape[int(axis) % np.ndim(a)] = w.shape[0]
        w = w.reshape(shape)
    return np.broadcast_to(w, np.shape(a))


def average_da(g, a, axis=None, weights=None, keepdims=False):
    """Adjoint of ``a`` in ``np.average(a, axis, weights)``."""
    w = _average_weights(a, weights, axis)
    total = np.sum(w, axis=sorted_axes(axis, np.ndim(a)), keepdims=True)
    return unreduce(g, a, axis, keepdims) * w / total


def average_dw(g, a, ans, axis=None, weights=None, keepdims=False):
    """Adjoint of ``weights`` in ``np.average(a, axis, weights)``:
    ``g (a - average) / sum(weights)``, summed back to the weights' shape."""
    w = _average_weights(a, weights, axis)
    total = np.sum(w, axis=sorted_axes(axis, np.ndim(a)), keepdims=True)
    full = unreduce(g, a, axis, keepdims) * (a - keep_reduced(ans, a, axis, keepdims)) / total
    if np.shape(weights) == np.shape(a):
        return full
    other = tuple(i for i in range(np.ndim(a)) if i != int(axis) % np.ndim(a))
    return np.sum(full, axis=other)


def average_tangent_w(t, a, ans, axis=None, weights=None, keepdims=False):
    """Tangent of ``np.average(a, axis, weights)`` with respect to the
    weights: ``sum((a - average) t) / sum(weights)``."""
    w = _average_weights(a, weights, axis)
    tw = _average_weights(a, t, axis)
    axes = sorted_axes(axis, np.ndim(a))
    total = np.sum(w, axis=axes, keepdims=True)
    d = np.sum((a - keep_reduced(ans, a, axis, keepdims)) * tw / total, axis=axes, keepdims=True)
    return d if keepdims else np.reshape(d, np.shape(ans))


def nanmean_dx(g, a, axis=None, keepdims=False):
    """Adjoint of ``a`` in ``np.nanmean(a, axis)``: ``g / count`` on the
    non-NaN elements, zero on the NaNs."""
    ok = ~np.isnan(a)
    count = np.sum(ok, axis=sorted_axes(axis, np.ndim(a)), keepdims=True)
    return np.where(ok, unreduce(g, a, axis, keepdims) / count, 0.0)


def div_or_zero(num, den):
    """``num / den``, 0 where ``den`` is 0.  The derivative of ``np.std`` is
    ``g / (2 std)`` times that of ``np.var``: where all elements reduced are
    equal (one element, or a constant slice) std has its minimum, a kink for
    several elements (a constant for one), and srcgrad takes the subgradient
    0 there (NumPy-based tracers give nan)."""
    if type(den) is float or type(den) is int:
        return num / den if den != 0 else 0.0 * num
    zero = np.equal(den, 0)
    return np.where(zero, 0.0, np.divide(num, np.where(zero, 1.0, den)))


def reduced(partial, t, a, axis, keepdims):
    """``sum(partial * t)`` over the axes of ``a`` reduced by ``axis``."""
    full = partial * t
    if np.ndim(a) == 0:
        return full
    axes = sorted_axes(axis, np.ndim(a))
    return np.sum(full, axis=axes, keepdims=bool(keepdims))


def result_ones(ans):
    """Ones of the shape of the result ``ans``: the ``g`` that makes an
    adjoint helper give the partial derivatives (see :func:`reduced`)."""
    return np.ones(np.shape(ans))


def extreme_tangent(t, a, ans, axis=None, keepdims=False):
    """Tangent of ``np.max``/``np.min``: the tangent at the extreme element
    (the mean of the tangents of tied elements, matching the adjoint)."""
    share = unreduce_extreme(result_ones(ans), a, ans, axis, keepdims)
    return reduced(share, t, a, axis, keepdims)


def prod_tangent(t, a, ans, axis=None, keepdims=False):
    """Tangent of ``np.prod(a, axis)`` (exact with zeros in ``a``)."""
    return reduced(prod_dx(result_ones(ans), a, axis, keepdims), t, a, axis, keepdims)


def var_tangent(t, a, ans, axis=None, ddof=0, keepdims=False, correction=None):
    """Tangent of ``np.var(a, axis, ddof=ddof)``."""
    partial = var_dx(result_ones(ans), a, axis, ddof, keepdims, correction)
    return reduced(partial, t, a, axis, keepdims)


def _primal_axes(axis, nd):
    """``axis`` of a primal of ``nd`` dimensions as non-negative axes (all
    of them for None), which address the same axes of the batched tangent."""
    if axis is None:
        return tuple(range(nd))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % nd for a in axes) if nd else ()


def b_sum(t, axis=None, keepdims=False):
    if is_number(t):
        return t
    t = np.asarray(t)
    return np.sum(t, axis=_primal_axes(axis, t.ndim - 1), keepdims=bool(keepdims))


def b_mean(t, axis=None, keepdims=False):
    if is_number(t):
        return t
    t = np.asarray(t)
    return np.mean(t, axis=_primal_axes(axis, t.ndim - 1), keepdims=bool(keepdims))


def _b_reduced(partial, t, a, axis, keepdims):
    """Batched :func:`reduced`: ``sum(partial * t)`` over the reduced axes."""
    full = bx(partial) * t
    if np.ndim(a) == 0:
        return full
    return np.sum(full, axis=_primal_axes(axis, np.ndim(a)), keepdims=bool(keepdims))


def b_extreme(t, a, ans, axis=None, keepdims=False):
    share = unreduce_extreme(result_ones(ans), a, ans, axis, keepdims)
    return _b_reduced(share, t, a, axis, keepdims)


def b_prod(t, a, ans, axis=None, keepdims=False):
    return _b_reduced(prod_dx(result_ones(ans), a, axis, keepdims), t, a, axis, keepdims)


def b_var(t, a, ans, axis=None, ddof=0, keepdims=False, correction=None):
    return _b_reduced(var_dx(result_ones(ans), a, axis, ddof, keepdims, correction), t, a,
                      axis, keepdims)


def b_cumsum(t, axis=None):
    t = np.asarray(t)
    if axis is None:
        return np.cumsum(np.reshape(t, (-1,) + t.shape[-1:]), axis=0)
    return np.cumsum(t, axis=int(axis) % (t.ndim - 1))
