"""Derivatives of np.linalg.norm: the adjoint, the tangent and second derivatives.

``norm_dx(a, x, n, ...)``, with the norm ``n`` a parameter of its own, is
for vector norms and the Frobenius norm elementwise in ``x`` (a diagonal
Jacobian) and linear in the adjoint ``a``; the 1, inf and 0 norms are
piecewise constant in ``x`` and ``n``: ``norm_dx_x``, ``norm_dx_n`` and
their transposes are the derivatives of ``norm_dx`` itself.

>>> norm_dx(1.0, np.array([3.0, 4.0]), 5.0)
array([0.6, 0.8])
"""

import numpy as np

from srcgrad.runtime.base import keep_reduced, sorted_axes, unsupported
from srcgrad.runtime.broadcast import unbroadcast
from srcgrad.runtime.reductions import reduced, result_ones


def _share_extreme(y, axis):
    """Indicator of the extreme elements of ``y`` along ``axis`` (kept
    dims), ties sharing equally (``y`` is already the quantity maximised)."""
    hit = y == np.max(y, axis=axis, keepdims=True)
    return hit / np.sum(hit, axis=axis, keepdims=True)


def norm_dx(g, x, ans, ord=None, axis=None, keepdims=False):
    """Adjoint of ``x`` in ``np.linalg.norm(x, ord, axis, keepdims)``.

    Vector norms (1-d ``x`` or an integer ``axis``): ``ord`` None, 2, 1,
    ``inf``, ``-inf`` and any other nonzero number ``p``.  Matrix norms (2-d
    ``x`` with ``ord`` given, or a pair of axes): None/'fro', 'nuc', 2, 1,
    ``inf``.  Other orders raise ``UnsupportedError``.  At a kink one
    subgradient is used: a zero element for ``ord=1``, ties for ``inf`` share
    equally, and at the zero vector (or matrix) the gradient of the 2-norm and
    Frobenius norm is 0 (the subgradient of least norm)."""
    x = np.asarray(x)         # (a list of values too)
    x = x.astype(np.result_type(x.dtype, float), copy=False)
    nd = x.ndim
    if axis is None and (ord is None or nd == 1):
        if ord is None or ord == 2 or nd == 1 and ord == "fro":
            axis = tuple(range(nd))
            return keep_reduced(g, x, axis, keepdims) * x / keep_reduced(np.where(ans == 0, 1.0, ans), x, axis, keepdims) \
                if nd else g * np.sign(x)
        axis = 0
    if axis is None:
        axis = (0, 1)
    axes = sorted_axes(axis, nd)
    if np.ndim(axis) == 1 and len(axes) == 2:
        axes = tuple(int(a) % nd for a in axis)     # (row axis, column axis): order matters
    gk = keep_reduced(g, x, axes, keepdims)
    nk = keep_reduced(ans, x, axes, keepdims)
    if len(axes) == 1:
        ax = axes[0]
        if ord is None or ord == 2:
            return gk * x / np.where(nk == 0, 1.0, nk)
        if ord == 1:
            return gk * np.sign(x)
        if ord == np.inf:
            return gk * np.sign(x) * _share_extreme(np.abs(x), ax)
        if ord == -np.inf:
            return gk * np.sign(x) * _share_extreme(-np.abs(x), ax)
        if ord == 0:
            return np.zeros_like(x)
        if isinstance(ord, (int, float, np.number)):
            return gk * np.sign(x) * np.abs(x) ** (ord - 1) / np.where(nk == 0, 1.0, nk) ** (ord - 1)
        raise unsupported(f"no derivative of a vector norm with ord={ord!r}")
    if len(axes) != 2:
        raise unsupported("no derivative of np.linalg.norm over more than two axes")
    m = np.moveaxis(x, axes, (-2, -1))
    gm = np.moveaxis(gk, axes, (-2, -1))
    nm = np.moveaxis(nk, axes, (-2, -1))
    if ord is None or ord == "fro":
        d = gm * m / np.where(nm == 0, 1.0, nm)
    elif ord == "nuc" or ord == 2:
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":
            d = gm * (u @ vt)
        else:
            d = gm * (u[..., :, :1] @ vt[..., :1, :])
    elif ord in (1, np.inf):
        col = -1 if ord == np.inf else -2      # inf: rows summed over columns
        sums = np.sum(np.abs(m), axis=col, keepdims=True)
        d = gm * np.sign(m) * _share_extreme(sums, -2 if col == -1 else -1)
    else:
        raise unsupported(f"no derivative of a matrix norm with ord={ord!r}",
                          hint="use ord None, 'fro', 'nuc', 1, 2 or inf")
    return np.moveaxis(d, (-2, -1), axes)


def norm_tangent(t, x, ans, ord=None, axis=None, keepdims=False):
    """Tangent of ``np.linalg.norm(x, ord, axis, keepdims)`` (the orders the
    adjoint supports)."""
    partial = norm_dx(result_ones(ans), x, ans, ord, axis, keepdims)
    if axis is None and not (ord is None or np.ndim(x) == 1):
        axis = (0, 1)
    return reduced(partial, t, x, axis, keepdims)


def _norm_kind(x, ord, axis):
    """``(x as a float array, reduced axes, kind)``: kind "2" (the 2-norm of
    a vector, Frobenius), "p" (another vector p-norm), "flat" (piecewise
    constant derivative: 1, inf, -inf, 0 and the matrix 1 and inf norms) or
    "svd" (the nuclear and spectral matrix norms), as in :func:`norm_dx`."""
    x = np.asarray(x)
    x = x.astype(np.result_type(x.dtype, float), copy=False)
    nd = x.ndim
    if axis is None and (ord is None or nd == 1):
        if ord is None or ord == 2 or nd == 1 and ord == "fro":
            return x, tuple(range(nd)), "2" if nd else "flat"
        axis = 0
    if axis is None:
        axis = (0, 1)
    axes = sorted_axes(axis, nd)
    if len(axes) == 1:
        if ord is None or ord == 2:
            return x, axes, "2"
        if ord in (1, np.inf, -np.inf, 0):
            return x, axes, "flat"
        return x, axes, "p"
    if ord is None or ord == "fro":
        return x, axes, "2"
    if ord in (1, np.inf):
        return x, axes, "flat"
    return x, axes, "svd"


def _norm_svd_refused():
    return unsupported("no second derivative of the nuclear or spectral matrix norm",
                       hint="use the Frobenius norm, or srcgrad.jacobian of the gradient")


def norm_dx_x(a, x, n, t, ord=None, axis=None, keepdims=False):
    """Derivative of ``norm_dx(a, x, n, ...)`` in ``x`` along ``t`` (also its
    transpose: the Jacobian is diagonal)."""
    x, axes, kind = _norm_kind(x, ord, axis)
    if kind == "flat":
        return np.zeros(np.shape(x))
    if kind == "svd":
        raise _norm_svd_refused()
    ak, nk = keep_reduced(a, x, axes, keepdims), keep_reduced(n, x, axes, keepdims)
    safe = np.where(nk == 0, 1.0, nk)
    if kind == "2":
        return np.where(nk == 0, 0.0, ak * t / safe)
    return np.where(nk == 0, 0.0, ak * (ord - 1) * np.abs(x) ** (ord - 2) * t / safe ** (ord - 1))


def _norm_dn(a, x, n, ord, axis, keepdims):
    """The partial derivative of ``norm_dx(a, x, n, ...)`` in ``n``, per
    element of ``x`` (to be multiplied by the expanded tangent of ``n``)."""
    x, axes, kind = _norm_kind(x, ord, axis)
    if kind == "flat":
        return x, axes, np.zeros(np.shape(x))
    if kind == "svd":
        raise _norm_svd_refused()
    ak, nk = keep_reduced(a, x, axes, keepdims), keep_reduced(n, x, axes, keepdims)
    safe = np.where(nk == 0, 1.0, nk)
    if kind == "2":
        return x, axes, np.where(nk == 0, 0.0, -ak * x / (safe * safe))
    return x, axes, np.where(nk == 0, 0.0, -(ord - 1) * ak * np.sign(x) * np.abs(x) ** (ord - 1)
                             / safe ** ord)


def norm_dx_n(a, x, n, t, ord=None, axis=None, keepdims=False):
    """Derivative of ``norm_dx(a, x, n, ...)`` in ``n`` along ``t`` (the
    shape of ``n``)."""
    x, axes, d = _norm_dn(a, x, n, ord, axis, keepdims)
    return d * keep_reduced(t, x, axes, keepdims)


def norm_dx_n_t(a, x, n, gx, ord=None, axis=None, keepdims=False):
    """Transpose of :func:`norm_dx_n`: ``gx`` (the shape of ``x``) summed
    over the reduced axes, in the shape of ``n``."""
    x, axes, d = _norm_dn(a, x, n, ord, axis, keepdims)
    return unbroadcast(np.sum(gx * d, axis=axes, keepdims=bool(keepdims)), n)


def norm_dx_a_t(gx, x, n, ord=None, axis=None, keepdims=False):
    """Transpose of ``a -> norm_dx(a, x, n, ...)``: ``gx`` (the shape of
    ``x``) times the partial derivatives, summed over the reduced axes."""
    x, axes, kind = _norm_kind(x, ord, axis)
    partial = norm_dx(np.ones(np.shape(n)), x, n, ord, axis, keepdims)
    return np.sum(gx * partial, axis=axes, keepdims=bool(keepdims))
