"""Adjoints of NumPy's numerical calculus and of a few products: gradient,
trapezoid, interp, polyval, cross, matrix_power, multi_dot.

Each adjoint is linear in its first argument (the adjoint of the result);
those that are bilinear (trapezoid in ``y`` and the spacing, interp in the
values ``fp``, cross, the products) are linear in the other factor too, so
their own derivatives are the same helpers with the factors exchanged
(see ``srcgrad/rules/runtime_rules.py``).

>>> import numpy as np
>>> gradient_dx(np.ones(3), np.zeros(3), (), None, 1).tolist()
[-1.5, 0.0, 1.5]
>>> polyder_c(np.array([1.0, 2.0, 3.0])).tolist()
[2.0, 2.0]
"""

import numpy as np

from srcgrad.runtime.base import mT, unsupported
from srcgrad.runtime.broadcast import unbroadcast
from srcgrad.runtime.containers import Adjoints


# -- np.gradient (uniform spacing) ----------------------------------------------------

def _gradient_axes(f, varargs, axis):
    nd = np.ndim(f)
    axes = tuple(range(nd)) if axis is None else \
        tuple(a % nd for a in ((axis,) if np.ndim(axis) == 0 else axis))
    if any(np.ndim(h) for h in varargs) or len(varargs) not in (0, 1, len(axes)):
        raise unsupported("no derivative of np.gradient with coordinate arrays",
                          "pass one scalar spacing per axis")
    spacing = [1.0] * len(axes) if not varargs else \
        list(varargs) * len(axes) if len(varargs) == 1 else list(varargs)
    return axes, spacing


def _gradient_axis_t(k, axis, h, edge_order):
    """The transpose of ``np.gradient(., h, axis=axis, edge_order=edge_order)``."""
    k = np.moveaxis(np.asarray(k, dtype=float), axis, 0)
    out = np.zeros(k.shape)
    out[2:] += k[1:-1] / (2.0 * h)
    out[:-2] -= k[1:-1] / (2.0 * h)
    if edge_order == 1:
        first, last = (-1.0, 1.0), (-1.0, 1.0)
    elif edge_order == 2:
        first, last = (-1.5, 2.0, -0.5), (0.5, -2.0, 1.5)
    else:
        raise unsupported(f"no derivative of np.gradient with edge_order={edge_order!r}")
    for i, c in enumerate(first):
        out[i] += c * k[0] / h
    for i, c in enumerate(last):
        out[len(out) - len(last) + i] += c * k[-1] / h
    return np.moveaxis(out, 0, axis)


def gradient_dx(d, f, varargs=(), axis=None, edge_order=1):
    """Adjoint of ``f`` in ``np.gradient(f, *varargs, axis=axis,
    edge_order=edge_order)`` (``d``: one adjoint per axis, or one array)."""
    axes, spacing = _gradient_axes(f, varargs, axis)
    ds = [d] if len(axes) == 1 else list(d)
    out = np.zeros(np.shape(f))
    for di, ax, h in zip(ds, axes, spacing):
        di = np.broadcast_to(np.asarray(di, dtype=float), np.shape(f))
        out = out + _gradient_axis_t(di, ax, h, edge_order)
    return out


# -- np.trapezoid ---------------------------------------------------------------------

def _trapezoid_parts(y, x, dx, axis):
    """The spacing ``d`` and the midpoints of ``y`` as np.trapezoid forms them."""
    y = np.asarray(y, dtype=float)
    nd = y.ndim
    if x is None:
        d = np.asarray(dx, dtype=float)
    else:
        x = np.asarray(x, dtype=float)
        if x.ndim == 1:
            shape = [1] * nd
            shape[axis] = x.shape[0] - 1
            d = np.diff(x).reshape(shape)
        else:
            d = np.diff(x, axis=axis)
    if d.ndim > nd:
        raise unsupported("no derivative of np.trapezoid with a spacing of more dimensions "
                          "than y")
    hi = [slice(None)] * nd
    lo = [slice(None)] * nd
    hi[axis], lo[axis] = slice(1, None), slice(None, -1)
    return d, (y[tuple(hi)] + y[tuple(lo)]) / 2.0


def _expanded(d, axis, nd):
    """The adjoint ``d`` of a sum over ``axis`` with that axis put back."""
    d = np.asarray(d, dtype=float)
    return np.expand_dims(d, axis if axis < 0 else axis - nd)


def trapezoid_dy(d, y, x=None, dx=1.0, axis=-1, dx_part=False):
    """Adjoint of ``y`` in ``np.trapezoid(y, x, dx, axis)``; with
    ``dx_part``, zero unless ``x`` is None (the part that goes through dx)."""
    if dx_part and x is not None:
        return np.zeros(np.shape(y))
    nd = np.ndim(y)
    spacing, mid = _trapezoid_parts(y, x, dx, axis)
    w = _expanded(d, axis, nd) * spacing
    w = np.broadcast_to(w, np.broadcast_shapes(w.shape, mid.shape))
    width = [(0, 0)] * w.ndim
    width[axis] = (1, 0)
    before = list(width)
    before[axis] = (0, 1)
    return unbroadcast((np.pad(w, width) + np.pad(w, before)) / 2.0, y)


def trapezoid_dx(d, y, x, axis=-1):
    """Adjoint of the sample points ``x`` in ``np.trapezoid(y, x, axis=axis)``."""
    x = np.asarray(x, dtype=float)
    nd = np.ndim(y)
    _, mid = _trapezoid_parts(y, x, 1.0, axis)
    w = _expanded(d, axis, nd) * mid
    if x.ndim == 1:
        w = np.sum(np.moveaxis(w, axis, -1).reshape(-1, w.shape[axis]), axis=0)
        return -np.diff(np.pad(w, 1))
    w = unbroadcast(w, np.diff(x, axis=axis))
    width = [(0, 0)] * w.ndim
    width[axis] = (1, 1)
    return -np.diff(np.pad(w, width), axis=axis)


def trapezoid_ddx(d, y, x=None, dx=1.0, axis=-1):
    """Adjoint of the spacing ``dx`` in ``np.trapezoid(y, dx=dx, axis=axis)``
    (zero when sample points ``x`` are given: ``dx`` is then not used)."""
    if x is not None:
        return 0.0 if np.ndim(dx) == 0 and not isinstance(dx, np.ndarray) else np.zeros(np.shape(dx))
    _, mid = _trapezoid_parts(y, None, dx, axis)
    return unbroadcast(_expanded(d, axis, np.ndim(y)) * mid, dx)


def trapezoid_tdx(t, y, x=None, axis=-1):
    """Tangent of ``np.trapezoid(y, x, dx, axis)`` from that of ``dx``."""
    ans = np.trapezoid(y, dx=t, axis=axis)
    return ans * 0.0 if x is not None else ans


# -- np.interp (differentiable in x, fp, left and right) ------------------------------

def _interp_segments(x, xp):
    xp = np.asarray(xp, dtype=float)
    if xp.ndim != 1 or xp.size < 2:
        raise unsupported("no derivative of np.interp with fewer than two points xp")
    x = np.asarray(x, dtype=float)
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, xp.size - 2)
    inside = (x >= xp[0]) & (x <= xp[-1])
    return x, xp, j, inside


def interp_dx(d, x, xp, fp):
    """``d`` times the slope of ``np.interp(x, xp, fp)`` (0 outside ``xp``)."""
    x, xp, j, inside = _interp_segments(x, xp)
    fp = np.asarray(fp, dtype=float)
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    return d * np.where(inside, slope, 0.0)


def interp_dslope(d, x, xp, fp):
    """The adjoint of ``fp`` through the slopes in ``interp_dx``
    (``interp_dx(1.0, x, xp, fp) * d`` summed, as a function of fp)."""
    x, xp, j, inside = _interp_segments(x, xp)
    w = np.where(inside, np.broadcast_to(d, x.shape) / (xp[j + 1] - xp[j]), 0.0).ravel()
    j = j.ravel()
    n = xp.size
    return np.bincount(j + 1, w, minlength=n) - np.bincount(j, w, minlength=n)


def interp_dfp(d, x, xp, fp, left=None, right=None):
    """Adjoint of the values ``fp`` in ``np.interp(x, xp, fp, left, right)``:
    each ``d`` goes to the two values its point interpolates."""
    x, xp, j, inside = _interp_segments(x, xp)
    d = np.broadcast_to(np.asarray(d, dtype=float), x.shape)
    n = xp.size
    w = np.where(inside, (x - xp[j]) / (xp[j + 1] - xp[j]), 0.0)
    out = np.bincount(j.ravel(), (d * (1.0 - w) * inside).ravel(), minlength=n) + \
        np.bincount(j.ravel() + 1, (d * w * inside).ravel(), minlength=n)
    if left is None:
        out[0] += np.sum(d * (x < xp[0]))
    if right is None:
        out[-1] += np.sum(d * (x > xp[-1]))
    return out


def interp_outside(x, xp, side=0):
    """1.0 where ``np.interp`` returns ``left`` (side 0) or ``right`` (1)."""
    xp = np.asarray(xp)
    return (np.asarray(x) < xp[0]) * 1.0 if side == 0 else (np.asarray(x) > xp[-1]) * 1.0


def interp_zero(value):
    """None for None (np.interp's default), else 0.0."""
    return None if value is None else 0.0


# -- np.polyval -----------------------------------------------------------------------

def _coefficients(p):
    p = np.asarray(p, dtype=float)
    if p.ndim != 1:
        raise unsupported("no derivative of np.polyval with coefficients of more than one "
                          "dimension")
    return p


def polyder_c(p):
    """The coefficients of the derivative of the polynomial ``p``."""
    p = _coefficients(p)
    return p[:-1] * np.arange(p.size - 1, 0, -1)


def polyder_t(k, p):
    """``polyder_c`` transposed: ``k`` (one shorter than ``p``) back."""
    p = _coefficients(p)
    return np.concatenate([np.asarray(k, dtype=float) * np.arange(p.size - 1, 0, -1), [0.0]])


def polyval_dp(d, p, x):
    """Adjoint of the coefficients ``p`` in ``np.polyval(p, x)``: the sum of
    ``d`` times each power of ``x``."""
    p = _coefficients(p)
    x = np.asarray(x, dtype=float)
    d = np.broadcast_to(np.asarray(d, dtype=float), x.shape)
    if p.size == 0:
        return np.zeros(0)
    powers = x[..., None] ** np.arange(p.size - 1, -1, -1)
    return np.sum((d[..., None] * powers).reshape(-1, p.size), axis=0)


# -- np.cross (3-vectors) -------------------------------------------------------------

def _cross_moved(a, b, axisa, axisb, axis):
    if axis is not None:
        axisa = axisb = axis
    am, bm = np.moveaxis(np.asarray(a), axisa, -1), np.moveaxis(np.asarray(b), axisb, -1)
    if am.shape[-1] != 3 or bm.shape[-1] != 3:
        raise unsupported("no derivative of np.cross of 2-vectors (deprecated in NumPy 2)",
                          "give the vectors a third component 0")
    return am, bm, axisa, axisb


def cross_da(d, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Adjoint of ``a`` in ``np.cross(a, b, ...)``: b × d, summed to a's shape."""
    am, bm, axisa, _ = _cross_moved(a, b, axisa, axisb, axis)
    dm = np.moveaxis(np.asarray(d, dtype=float), axisc if axis is None else axis, -1)
    return np.moveaxis(unbroadcast(np.cross(bm, dm), am), -1, axisa)


def cross_db(d, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Adjoint of ``b`` in ``np.cross(a, b, ...)``: d × a, summed to b's shape."""
    am, bm, _, axisb = _cross_moved(a, b, axisa, axisb, axis)
    dm = np.moveaxis(np.asarray(d, dtype=float), axisc if axis is None else axis, -1)
    return np.moveaxis(unbroadcast(np.cross(dm, am), bm), -1, axisb)


# -- np.linalg.matrix_power: block matrices carry the derivatives ---------------------

def _blocks(rows):
    return np.concatenate([np.concatenate(r, axis=-1) for r in rows], axis=-2)


def matrix_power_tangent(t, a, n):
    """Tangent of ``np.linalg.matrix_power(a, n)``: the corner block of
    ``[[a, t], [0, a]] ** n``."""
    a = np.asarray(a, dtype=float)
    t = np.broadcast_to(np.asarray(t, dtype=float), a.shape)
    z, m = np.zeros(a.shape), a.shape[-1]
    return np.linalg.matrix_power(_blocks([[a, t], [z, a]]), n)[..., :m, m:]


def matrix_power_dx(d, a, n):
    """Adjoint of ``a`` in ``np.linalg.matrix_power(a, n)``: the tangent at
    the transpose (sum of (a^T)^k d (a^T)^(n-1-k))."""
    return matrix_power_tangent(d, mT(np.asarray(a, dtype=float)), n)


def matrix_power_dx2(d, a, k, n):
    """The derivative of ``matrix_power_dx(d, a, n)`` along ``k`` (a
    second derivative of the power: a corner of a 4x4 block matrix)."""
    b = mT(np.asarray(a, dtype=float))
    e = np.broadcast_to(mT(np.asarray(k, dtype=float)), b.shape)
    d = np.broadcast_to(np.asarray(d, dtype=float), b.shape)
    z, m = np.zeros(b.shape), b.shape[-1]
    big = _blocks([[b, e, d, z], [z, b, z, d], [z, z, b, e], [z, z, z, b]])
    return np.linalg.matrix_power(big, n)[..., :m, 3 * m:]


# -- np.linalg.multi_dot --------------------------------------------------------------

def _chain(arrays):
    mats = [np.asarray(x, dtype=float) for x in arrays]
    if mats[0].ndim == 1:
        mats[0] = mats[0][None, :]
    if mats[-1].ndim == 1:
        mats[-1] = mats[-1][:, None]
    return mats


def _product(mats, size):
    out = np.eye(size)
    for x in mats:
        out = out @ x
    return out


def _result_shape(arrays):
    first, last = np.shape(arrays[0]), np.shape(arrays[-1])
    return first[:-1] + last[1:]


def _pieces(k, arrays):
    return [np.broadcast_to(np.asarray(p, dtype=float), np.shape(x)) for p, x in zip(k, arrays)]


def multi_dot_tangent(k, arrays):
    """Tangent of ``np.linalg.multi_dot(arrays)``: the sum over the factors
    of the product with that factor replaced by its tangent."""
    mats = _chain(arrays)
    ks = _chain(_pieces(k, arrays))
    total = 0.0
    for i in range(len(mats)):
        total = total + _product(mats[:i] + [ks[i]] + mats[i + 1:], mats[0].shape[0])
    return np.reshape(total, _result_shape(arrays))


def _dx_with(d, mats, arrays, i, left, right):
    g2 = np.reshape(np.asarray(d, dtype=float), (mats[0].shape[0], mats[-1].shape[1]))
    out = left.T @ g2 @ right.T
    return np.reshape(out, np.shape(arrays[i]))


def multi_dot_dx(d, arrays):
    """Adjoints of the factors of ``np.linalg.multi_dot(arrays)``."""
    mats = _chain(arrays)
    d = np.broadcast_to(np.asarray(d, dtype=float), _result_shape(arrays))
    out = []
    for i in range(len(mats)):
        left = _product(mats[:i], mats[0].shape[0])
        right = _product(mats[i + 1:], mats[i].shape[1])
        out.append(_dx_with(d, mats, arrays, i, left, right))
    return Adjoints(out)


def multi_dot_dx2(d, arrays, k):
    """The derivative of ``multi_dot_dx(d, arrays)`` along ``k`` (a list of
    directions, one per factor)."""
    mats = _chain(arrays)
    ks = _chain(_pieces(k, arrays))
    d = np.broadcast_to(np.asarray(d, dtype=float), _result_shape(arrays))
    out = []
    for i in range(len(mats)):
        total = np.zeros(np.shape(arrays[i]))
        for j in range(len(mats)):
            if j == i:
                continue
            swapped = mats[:j] + [ks[j]] + mats[j + 1:]
            left = _product(swapped[:i], mats[0].shape[0])
            right = _product(swapped[i + 1:], mats[i].shape[1])
            total = total + _dx_with(d, mats, arrays, i, left, right)
        out.append(total)
    return Adjoints(out)
