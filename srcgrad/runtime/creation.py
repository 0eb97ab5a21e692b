"""Array constructions differentiable in their values: linspace, arange, full, full_like, bincount.

A result of an integer dtype is piecewise constant: its derivative is zero.

>>> full_dx(np.ones((2, 3)), 1.0)
6.0
>>> arange_tangent(1.0, 0.0, 3.0, 1.0, which=2, ans=np.arange(0.0, 3.0, 1.0))
array([0., 1., 2.])
"""

import operator

import numpy as np

from srcgrad.runtime.broadcast import unbroadcast, zeros_like


def _float_result(dtype, default=float):
    dt = np.dtype(default if dtype is None else dtype)
    return np.issubdtype(dt, np.inexact)


def operator_index(n):
    return operator.index(n)


def _linspace_weights(num, endpoint):
    """``linspace(a, b, num)`` is ``a + (b - a) * w``: the weights ``w``."""
    num = operator_index(num)
    if num <= 1:
        return np.zeros(max(num, 0))
    return np.arange(num) / (num - 1 if endpoint else num)


def linspace_dx(g, start, stop, num=50, endpoint=True, dtype=None, axis=0, which=0):
    """Adjoint of ``start`` (``which`` 0) or ``stop`` (1) in
    ``np.linspace(start, stop, num, endpoint, axis=axis)``."""
    x = start if which == 0 else stop
    if not _float_result(dtype, np.result_type(start, stop, float)) or type(g) is float:
        return zeros_like(x) if type(g) is not float else 0.0
    w = _linspace_weights(num, endpoint)
    if which == 0:
        w = 1.0 - w
    gm = np.moveaxis(np.asarray(g), axis, 0)
    return unbroadcast(np.tensordot(w, gm, axes=(0, 0)), x)


def linspace_tangent(t, start, stop, num=50, endpoint=True, dtype=None, axis=0, which=0,
                     ans=None):
    """Tangent of ``np.linspace(start, stop, ...)`` from the tangent ``t`` of
    ``start`` (``which`` 0) or ``stop`` (1)."""
    if not np.issubdtype(np.asarray(ans).dtype, np.inexact):
        return zeros_like(ans)
    w = _linspace_weights(num, endpoint)
    if which == 0:
        w = 1.0 - w
    rest = np.moveaxis(ans, axis, 0).shape[1:]
    out = w.reshape((-1,) + (1,) * len(rest)) * np.broadcast_to(t, rest)
    return np.moveaxis(out, 0, axis).astype(ans.dtype, copy=False)


def arange_dx(g, start, stop=None, step=1, dtype=None, which=0):
    """Adjoint of ``start`` (``which`` 0) or ``step`` (2) in
    ``np.arange(start, stop, step)``: the number of values is piecewise
    constant, value ``k`` is ``start + k * step``."""
    x = start if which == 0 else step
    if type(g) is float or which == 0 and stop is None or \
            not _float_result(dtype, np.result_type(start, stop if stop is not None else 0,
                                                    step)):
        return zeros_like(x)
    g = np.asarray(g)
    d = np.sum(g) if which == 0 else np.sum(g * np.arange(g.shape[0]))
    return unbroadcast(d, x)


def arange_tangent(t, start, stop=None, step=1, which=0, ans=None):
    """Tangent of ``np.arange(start, stop, step)`` from the tangent ``t`` of
    ``start`` (``which`` 0) or ``step`` (2)."""
    if which == 0 and stop is None or not np.issubdtype(ans.dtype, np.inexact):
        return zeros_like(ans)
    k = np.ones(ans.shape) if which == 0 else np.arange(ans.shape[0], dtype=float)
    return (k * t).astype(ans.dtype, copy=False)


def full_dx(g, fill_value, like_dtype=None, dtype=None):
    """Adjoint of ``fill_value`` in ``np.full(shape, fill_value)`` /
    ``np.full_like(a, fill_value)`` (``like_dtype``: the dtype of ``a``)."""
    default = like_dtype if like_dtype is not None else np.result_type(fill_value)
    if type(g) is float:
        return 0.0 if np.ndim(fill_value) == 0 else zeros_like(fill_value)
    if not _float_result(dtype, default):
        return zeros_like(fill_value)
    return unbroadcast(g, fill_value)


def full_tangent(t, ans):
    """Tangent of ``np.full(shape, fill_value)`` / ``np.full_like(a, fill_value)``
    from the tangent ``t`` of ``fill_value``."""
    if not np.issubdtype(ans.dtype, np.inexact):
        return zeros_like(ans)
    return np.array(np.broadcast_to(t, ans.shape), dtype=ans.dtype)


def dtype_of(a):
    """The dtype of ``a`` (an array or a number)."""
    return np.asarray(a).dtype


def bincount_dw(g, x, weights):
    """Adjoint of ``weights`` in ``np.bincount(x, weights)``."""
    if type(g) is float:
        return zeros_like(weights)
    return unbroadcast(np.asarray(g)[np.asarray(x)], weights)
