"""The rules of srcgrad/rules/numpy_more_rules.py (diff, gradient, trapezoid,
convolve, sort, quantiles, NaN reductions, interp, polyval, insert/delete,
stacks and splits, cross, matrix_power, multi_dot) in every mode: grad, jvp
and hvp against finite differences (tests.modes), with their keyword
variants and broadcasting; the helpers' own rules (reverse over reverse);
and the refusals of what the rules do not cover.

Each function weights the primitive's result ``P`` nonlinearly
(``np.sum(np.sin(P) * P)``) so that a wrong transpose cannot hide and the
hvp exercises the adjoint helpers' own derivatives.
"""

import warnings

import numpy as np
import pytest

from srcgrad.rules.runtime_rules import ARRAY_RUNTIME_RULES
from srcgrad.runtime import (
    column_stack_dx, conv_pad, conv_unpad, cross_da, cross_db, diff_dx, diff_dx_t, dstack_dx,
    ediff1d_dx, ediff1d_t, gather_dx, gather_t, gradient_dx, interp_dfp, interp_dslope,
    interp_dx, matrix_power_dx, multi_dot_dx, nanvar_dx, polyder_c, polyder_t, polyval_dp,
    quantile_dx, select_dx, split_dx, split_dx_t, trapezoid_ddx, trapezoid_dx, trapezoid_dy)
from srcgrad.runtime.forward import quantile_tangent
from tests.modes import assert_sound, check_modes

R = np.random.default_rng(1212)


def u(*shape):
    return R.uniform(-1.0, 1.0, shape) if shape else float(R.uniform(-1.0, 1.0))


def w(P):
    return np.sum(np.sin(P) * P)


XP = np.array([-0.8, -0.3, 0.1, 0.5, 0.9])
NAN23 = np.array([[0.3, np.nan, -0.4], [0.9, 0.2, np.nan]])
NAN34 = np.array([[0.3, np.nan, -0.4, 0.5], [0.9, 0.2, 0.7, -0.6], [0.1, -0.8, np.nan, 0.25]])


# -- differences and calculus ---------------------------------------------------------

def diff1(x):
    P = np.diff(x)
    return np.sum(np.sin(P) * P)


def diff2_axis0(x):
    P = np.diff(x, 2, axis=0)
    return np.sum(np.sin(P) * P)


def diff_prepend_scalar(x, a):
    P = np.diff(x, axis=1, prepend=a, append=x[:, :1])
    return np.sum(np.sin(P) * P)


def diff_prepend_array(x, b):
    P = np.diff(x, n=2, prepend=b)
    return np.sum(np.sin(P) * P)


def ediff(x, e, b):
    P = np.ediff1d(x, to_end=e, to_begin=b)
    return np.sum(np.sin(P) * P)


def ediff_plain(x):
    P = np.ediff1d(x)
    return np.sum(np.sin(P) * P)


def gradient1(x):
    P = np.gradient(x)
    return np.sum(np.sin(P) * P)


def gradient_edge2(x):
    P = np.gradient(x, 0.5, edge_order=2)
    return np.sum(np.sin(P) * P)


def gradient2d(x):
    gx, gy = np.gradient(x, 0.5, 2.0)
    return np.sum(np.sin(gx) * gy)


def gradient2d_one(x):
    P = np.gradient(x, 0.5, 2.0)[1]
    return np.sum(np.sin(P) * P)


def gradient_axis(x):
    P = np.gradient(x, 0.3, axis=1, edge_order=2)
    return np.sum(np.sin(P) * P)


def trap(y):
    P = np.trapezoid(y)
    return np.sum(np.sin(P) * P)


def trap_x(y, x):
    P = np.trapezoid(y, x)
    return np.sum(np.sin(P) * P)


def trap_dx(y, dx):
    P = np.trapezoid(y, dx=dx, axis=0)
    return np.sum(np.sin(P) * P)


def trap_x_nd(y, x):
    P = np.trapezoid(y, x, axis=0)
    return np.sum(np.sin(P) * P)


def conv_full(a, v):
    P = np.convolve(a, v)
    return np.sum(np.sin(P) * P)


def conv_same(a, v):
    P = np.convolve(a, v, "same")
    return np.sum(np.sin(P) * P)


def conv_valid(a, v):
    P = np.convolve(a, v, mode="valid")
    return np.sum(np.sin(P) * P)


def corr_valid(a, v):
    P = np.correlate(a, v)
    return np.sum(np.sin(P) * P)


def corr_same(a, v):
    P = np.correlate(a, v, "same")
    return np.sum(np.sin(P) * P)


def corr_full(a, v):
    P = np.correlate(a, v, mode="full")
    return np.sum(np.sin(P) * P)


def interp(x, fp):
    P = np.interp(x, XP, fp)
    return np.sum(np.sin(P) * P)


def interp_edges(x, fp, left, right):
    P = np.interp(x, XP, fp, left, right=right)
    return np.sum(np.sin(P) * P)


def polyval(p, x):
    P = np.polyval(p, x)
    return np.sum(np.sin(P) * P)


def cross(a, b):
    P = np.cross(a, b)
    return np.sum(np.sin(P) * P)


def cross_axes(a, b):
    P = np.cross(a, b, axisa=0, axisb=1, axisc=0)
    return np.sum(np.sin(P) * P)


def cross_axis(a, b):
    P = np.cross(a, b, axis=0)
    return np.sum(np.sin(P) * P)


CALCULUS = [
    (diff1, (u(6),), 0),
    (diff1, (u(3, 4),), 0),
    (diff2_axis0, (u(5, 3),), 0),
    (diff_prepend_scalar, (u(3, 4), 0.4), (0, 1)),
    (diff_prepend_array, (u(3, 4), u(3, 1)), (0, 1)),
    (ediff, (u(2, 3), u(2), 0.3), (0, 1, 2)),
    (ediff_plain, (u(5),), 0),
    (gradient1, (u(6),), 0),
    (gradient_edge2, (u(6),), 0),
    (gradient2d, (u(4, 5),), 0),
    (gradient2d_one, (u(4, 5),), 0),
    (gradient_axis, (u(2, 5, 3),), 0),
    (trap, (u(6),), 0),
    (trap, (u(3, 5),), 0),
    (trap_x, (u(3, 5), np.sort(u(5))), (0, 1)),
    (trap_x, (u(5), np.sort(u(5))), (0, 1)),
    (trap_dx, (u(4, 3), 0.3), (0, 1)),
    (trap_dx, (u(4, 3), u(3)), (0, 1)),
    (trap_x_nd, (u(4, 3), u(4, 3)), (0, 1)),
    (conv_full, (u(5), u(3)), (0, 1)),
    (conv_full, (u(2), u(5)), (0, 1)),
    (conv_same, (u(5), u(3)), (0, 1)),
    (conv_same, (u(2), u(5)), (0, 1)),
    (conv_same, (u(4), u(4)), (0, 1)),
    (conv_valid, (u(5), u(3)), (0, 1)),
    (conv_valid, (u(3), u(6)), (0, 1)),
    (corr_valid, (u(6), u(3)), (0, 1)),
    (corr_valid, (u(2), u(4)), (0, 1)),
    (corr_same, (u(5), u(2)), (0, 1)),
    (corr_same, (u(2), u(5)), (0, 1)),
    (corr_same, (u(4), u(5)), (0, 1)),
    (corr_full, (u(3), u(4)), (0, 1)),
    (interp, (np.array([-0.95, -0.5, 0.0, 0.33, 0.7, 0.97]), u(5)), (0, 1)),
    (interp, (np.array([[-0.6, 0.2], [0.45, 0.85]]), u(5)), (0, 1)),
    (interp_edges, (np.array([-0.95, -0.5, 0.33, 0.97]), u(5), 0.4, -0.2), (0, 1, 2, 3)),
    (polyval, (u(4), u(3, 2)), (0, 1)),
    (polyval, (u(3), 0.7), (0, 1)),
    (polyval, (u(1), u(3)), (0, 1)),
    (cross, (u(4, 3), u(3)), (0, 1)),
    (cross, (u(3), u(2, 1, 3)), (0, 1)),
    (cross_axes, (u(3, 4), u(4, 3)), (0, 1)),
    (cross_axis, (u(3, 2), u(3, 2)), (0, 1)),
]


#: several results of one call whose adjoints are both used: the hvp of the generated
#: gradient is refused (srcgrad adds the results' adjoints into a list in place, which
#: forward mode does not differentiate yet; np.split has the same limitation)
SEVERAL = {"gradient2d", "array_split", "hsplit", "vsplit", "dsplit"}


def sound(f, args, wrt):
    if f.__name__ in SEVERAL:
        assert_sound(f, args, wrt=wrt, modes=("grad", "jvp"))
        assert_sound(f, args, wrt=wrt, modes=("hvp",), expect="ok-or-refused")
    else:
        assert_sound(f, args, wrt=wrt, modes=("grad", "jvp", "hvp"))


@pytest.mark.parametrize("f, args, wrt", CALCULUS, ids=[c[0].__name__ for c in CALCULUS])
def test_calculus(f, args, wrt):
    sound(f, args, wrt)


# -- order statistics and NaN reductions ----------------------------------------------

def sort_last(x):
    P = np.sort(x)
    return np.sum(np.sin(P) * np.arange(P.shape[-1]) * P)


def sort_axis0(x):
    P = np.sort(x, axis=0, kind="stable")
    return np.sum(np.sin(P[0]) * P[-1])


def sort_flat(x):
    P = np.sort(x, axis=None)
    return np.sum(np.sin(P) * np.arange(P.size) * P)


def partition(x):
    P = np.partition(x, 2)
    return np.sum(np.sin(P[:3]) * P[2])


def partition_axis0(x):
    P = np.partition(x, 1, axis=0)
    return np.sum(np.sin(P[1]) * P[1])


def median(x):
    P = np.median(x)
    return np.sin(P) * P


def median_axis(x):
    P = np.median(x, axis=1, keepdims=True)
    return np.sum(np.sin(P) * P * x)


def quantile(x):
    P = np.quantile(x, 0.3)
    return np.sin(P) * P


def quantile_many(x):
    P = np.quantile(x, [0.1, 0.75], axis=0)
    return np.sum(np.sin(P) * P)


def percentile_axes(x):
    P = np.percentile(x, 40, axis=(0, 2), keepdims=True)
    return np.sum(np.sin(P) * P)


def nanvar_axis(x):
    P = np.nanvar(x, axis=0)
    return np.sum(np.sin(P) * P)


def nanvar_ddof(x):
    P = np.nanvar(x, ddof=1)
    return np.sin(P) * P


def nanstd_keep(x):
    P = np.nanstd(x, axis=1, keepdims=True)
    return np.sum(np.sin(P) * P)


def nanmax_axis(x):
    P = np.nanmax(x, axis=0)
    return np.sum(np.sin(P) * P)


def nanmin_all(x):
    P = np.nanmin(x)
    return np.sin(P) * P


def nanprod_axis(x):
    P = np.nanprod(x, axis=1)
    return np.sum(np.sin(P) * P)


STATISTICS = [
    (sort_last, (u(6),)),
    (sort_last, (u(3, 4),)),
    (sort_axis0, (u(4, 3),)),
    (sort_flat, (u(2, 3),)),
    (partition, (u(6),)),
    (partition_axis0, (u(4, 3),)),
    (median, (u(5),)),
    (median, (u(2, 3),)),
    (median_axis, (u(3, 4),)),
    (quantile, (u(7),)),
    (quantile_many, (u(5, 3),)),
    (percentile_axes, (u(2, 3, 4),)),
    (nanvar_axis, (NAN34,)),
    (nanvar_ddof, (NAN23,)),
    (nanstd_keep, (NAN34,)),
    (nanmax_axis, (NAN34,)),
    (nanmin_all, (NAN23,)),
]


@pytest.mark.parametrize("f, args", STATISTICS, ids=[c[0].__name__ for c in STATISTICS])
def test_statistics(f, args):
    assert_sound(f, args, wrt=0, modes=("grad", "jvp", "hvp"))


def test_nanprod():
    """Every mode; the second derivative goes through the source of
    np.prod's adjoint helper (prod_dx)."""
    assert_sound(nanprod_axis, (NAN34,), wrt=0, modes=("grad", "jvp", "hvp"))


# -- moving elements ------------------------------------------------------------------

def append_flat(a, v):
    P = np.append(a, v)
    return np.sum(np.sin(P) * np.arange(P.size) * P)


def append_axis(a, v):
    P = np.append(a, v, axis=0)
    return np.sum(np.sin(P) * P)


def insert_scalar(a, v):
    P = np.insert(a, 1, v)
    return np.sum(np.sin(P) * np.arange(P.size) * P)


def insert_axis(a, v):
    P = np.insert(a, [0, 2], v, axis=1)
    return np.sum(np.sin(P) * P)


def delete_axis(a):
    P = np.delete(a, [0, 2], axis=1)
    return np.sum(np.sin(P) * P)


def delete_flat(a):
    P = np.delete(a, 3)
    return np.sum(np.sin(P) * np.arange(P.size) * P)


def flips(a):
    P = np.flipud(a) * np.fliplr(a)
    return np.sum(np.sin(P) * a)


def rot90(a):
    P = np.rot90(a) @ a
    return np.sum(np.sin(P) * P)


def rot90_axes(a):
    P = np.rot90(a, -1, axes=(1, 2))
    return np.sum(np.sin(P) * np.arange(P.shape[-1]) * P)


def rollaxis(a):
    P = np.rollaxis(a, 2)
    Q = np.rollaxis(a, -1, 1)
    return np.sum(np.sin(P) * np.arange(P.shape[-1])) + np.sum(Q * Q * np.arange(Q.shape[-1]))


def select(x, y, z):
    P = np.select([x > 0.0, y > 0.5], [x * 2.0, y], default=z)
    return np.sum(np.sin(P) * P)


def select_scalar_default(x, y):
    P = np.select([x > 0.0], [x * y])
    return np.sum(np.sin(P) * P)


def dstack(a, b):
    P = np.dstack([a, b])
    return np.sum(np.sin(P) * np.arange(2) * P)


def column_stack(a, b):
    P = np.column_stack((a, b))
    return np.sum(np.sin(P) * np.arange(3) * P)


def row_stack(a, b):
    P = np.row_stack((a, b))
    return np.sum(np.sin(P) * P)


def array_split(x):
    a, b, c = np.array_split(x, 3)
    return np.sum(np.sin(a)) * np.sum(b * b) + np.sum(c * a[:2])


def array_split_one(x):
    P = np.array_split(x, 3, axis=1)[2]
    return np.sum(np.sin(P) * P)


def hsplit(x):
    a, b = np.hsplit(x, 2)
    return np.sum(np.sin(a) * b)


def vsplit(x):
    a, b = np.vsplit(x, [1])
    return np.sum(np.sin(a) * b[1])


def dsplit(x):
    a, b = np.dsplit(x, 2)
    return np.sum(np.sin(a) * b)


def imag_angle(x):
    return np.sum(np.sin(x) * (1.0 + np.imag(x) + np.angle(x)))


MOVES = [
    (append_flat, (u(2, 2), u(3)), (0, 1)),
    (append_axis, (u(2, 3), u(1, 3)), (0, 1)),
    (insert_scalar, (u(5), 0.3), (0, 1)),
    (insert_scalar, (u(2, 2), u(2)), (0, 1)),
    (insert_axis, (u(3, 4), u(3, 1)), (0, 1)),
    (insert_axis, (u(3, 4), 0.7), (0, 1)),
    (delete_axis, (u(3, 4),), 0),
    (delete_flat, (u(2, 3),), 0),
    (flips, (u(3, 3),), 0),
    (rot90, (u(3, 3),), 0),
    (rot90_axes, (u(2, 3, 4),), 0),
    (rollaxis, (u(2, 3, 4),), 0),
    (select, (u(3, 4), u(3, 4), u(4)), (0, 1, 2)),
    (select_scalar_default, (u(5), u(5)), (0, 1)),
    (dstack, (u(2, 3), u(2, 3)), (0, 1)),
    (dstack, (u(3), u(3)), (0, 1)),
    (column_stack, (u(4), u(4, 2)), (0, 1)),
    (array_split, (u(7),), 0),
    (array_split_one, (u(2, 7),), 0),
    (hsplit, (u(3, 4),), 0),
    (hsplit, (u(6),), 0),
    (vsplit, (u(3, 2),), 0),
    (dsplit, (u(2, 2, 4),), 0),
    (imag_angle, (u(5),), 0),
]


@pytest.mark.parametrize("f, args, wrt", MOVES, ids=[c[0].__name__ for c in MOVES])
def test_moves(f, args, wrt):
    sound(f, args, wrt)


@pytest.mark.skipif(not hasattr(np, "row_stack"), reason="np.row_stack was removed")
def test_row_stack():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert_sound(row_stack, (u(2, 3), u(3)), wrt=(0, 1), modes=("grad", "jvp", "hvp"))


# -- chained products -----------------------------------------------------------------

def matrix_power3(a):
    P = np.linalg.matrix_power(a, 3)
    return np.sum(np.sin(P) * P)


def matrix_power0(a):
    P = np.linalg.matrix_power(a, 0) + a
    return np.sum(np.sin(P) * P)


def matrix_power_inverse(a):
    P = np.linalg.matrix_power(a, -2)
    return np.sum(np.sin(P) * P)


def multi_dot3(a, b, c):
    P = np.linalg.multi_dot([a, b, c])
    return np.sum(np.sin(P) * P)


def multi_dot4(a, b, c, d):
    P = np.linalg.multi_dot([a, b, c, d])
    return np.sum(np.sin(P) * P)


WELL = np.eye(3) * 2.0 + 0.3 * u(3, 3)

PRODUCTS = [
    (matrix_power3, (u(3, 3),), 0),
    (matrix_power3, (u(2, 3, 3),), 0),
    (matrix_power0, (u(2, 2),), 0),
    (matrix_power_inverse, (WELL,), 0),
    (multi_dot3, (u(3), u(3, 4), u(4, 2)), (0, 1, 2)),
    (multi_dot3, (u(2, 3), u(3, 4), u(4)), (0, 1, 2)),
    (multi_dot4, (u(2, 3), u(3, 4), u(4, 2), u(2, 3)), (0, 1, 2, 3)),
]


@pytest.mark.parametrize("f, args, wrt", PRODUCTS, ids=[c[0].__name__ for c in PRODUCTS])
def test_products(f, args, wrt):
    assert_sound(f, args, wrt=wrt, modes=("grad", "jvp", "hvp"))


# -- the helpers' own rules (grad of a gradient: reverse over reverse) ----------------

L34 = np.zeros((3, 4))


def h_gather(d):
    labels = np.array([[0, -1, 1], [2, -2, 3]])
    return w(gather_dx(d, labels, np.zeros(4), 0)) + w(gather_dx(d, labels, np.zeros(2), 1)) + \
        w(gather_t(d[0, :2], labels, np.zeros(2), 1))


def h_quantile(d, x):
    return w(quantile_dx(d, x, [0.2, 0.5], 0, False)) + w(quantile_tangent(x, x, 0.3, 1, True))


def h_diff(d):
    return w(diff_dx(d, L34, 2, 1, 0.0, None, 0)) + w(diff_dx(d, L34, 2, 1, 0.0, None, 1)) + \
        w(diff_dx_t(d[:, :2], np.zeros((3, 2)), 1, 1, np.zeros((3, 1)), None, 0))


def h_ediff(d):
    return w(ediff1d_dx(d, np.zeros((2, 2)), np.zeros(2), 0.0, 0)) + \
        w(ediff1d_dx(d, np.zeros((2, 2)), np.zeros(2), 0.0, 1)) + \
        w(ediff1d_t(np.reshape(d[:4], (2, 2)), np.zeros((2, 2)), np.zeros(2), 0.0, 0))


def h_conv(d):
    return w(conv_pad(d, np.zeros(5), np.zeros(3), "same", True)) + \
        w(conv_unpad(np.concatenate([d, d[:2]]), np.zeros(5), np.zeros(3), "valid"))


def h_select(d):
    return w(select_dx(d, [d > 0.0, d > -0.5], [np.zeros(5), 0.0])[0])


def h_stacks(d):
    return w(dstack_dx(d, [np.zeros((2, 1)), np.zeros((2, 1))])[1]) + \
        w(column_stack_dx(d[:, 0, :], [np.zeros(2), np.zeros((2, 1))])[0])


def h_split(a, b):
    c, e = split_dx_t(split_dx([a, b], np.zeros(5), 0) ** 2, [a, b], 0)
    return w(c) + w(e)


def h_nanvar(d, x):
    return w(nanvar_dx(d, x, 1, 1, False))


def h_gradient(d):
    return w(gradient_dx(d, np.zeros((3, 4)), (0.5,), 1, 2))


def h_trapezoid(d, y, x):
    return w(trapezoid_dy(d, y, x, 1.0, -1)) + w(trapezoid_dx(d, y, x, -1)) + \
        w(trapezoid_dy(x, y, None, d[:2, None], 0)) + w(trapezoid_ddx(x, y, None, d[:2, None], 0))


def h_interp(d, fp):
    x = np.array([-0.9, -0.2, 0.3, 0.95])
    return w(interp_dx(d, x, XP, fp)) + w(interp_dslope(d, x, XP, fp)) + \
        w(interp_dfp(d, x, XP, fp, None, 0.0))


def h_interp_x(d, x):
    return w(interp_dfp(d, x, XP, np.zeros(5), None, None)) + w(interp_dx(d, x, XP, XP * XP))


def h_poly(d, p, x):
    return w(polyval_dp(d, p, x)) + w(polyder_c(p)) + w(polyder_t(p[:-1], p))


def h_cross(d, a, b):
    return w(cross_da(d, a, b)) + w(cross_db(d, a, b))


def h_matrix_power(d, a):
    return w(matrix_power_dx(d, a, 3))


def h_multi_dot(d, a, b):
    da, db = multi_dot_dx(d, [a, b])
    return w(da) + w(db)


HELPERS = [
    (h_gather, (u(2, 3),), 0, (gather_dx, gather_t)),
    (h_quantile, (u(2, 4), u(5, 4)), (0, 1), (quantile_dx, quantile_tangent)),
    (h_diff, (u(3, 3),), 0, (diff_dx, diff_dx_t)),
    (h_ediff, (u(6),), 0, (ediff1d_dx, ediff1d_t)),
    (h_conv, (u(5),), 0, (conv_pad, conv_unpad)),
    (h_select, (u(5),), 0, (select_dx,)),
    (h_stacks, (u(2, 1, 2),), 0, (dstack_dx, column_stack_dx)),
    (h_split, (u(2), u(3)), (0, 1), (split_dx, split_dx_t)),
    (h_nanvar, (u(3), NAN34), (0, 1), (nanvar_dx,)),
    (h_gradient, (u(3, 4),), 0, (gradient_dx,)),
    (h_trapezoid, (u(3), u(3, 4), np.sort(u(4))), (0, 1, 2), (trapezoid_dy, trapezoid_dx, trapezoid_ddx)),
    (h_interp, (u(4), u(5)), (0, 1), (interp_dx, interp_dslope, interp_dfp)),
    (h_interp_x, (u(4), np.array([-0.9, -0.2, 0.3, 0.95])), (0, 1), (interp_dfp, interp_dx)),
    (h_poly, (u(2, 3), u(4), u(2, 3)), (0, 1, 2), (polyval_dp, polyder_c, polyder_t)),
    (h_cross, (u(4, 3), u(4, 3), u(3)), (0, 1, 2), (cross_da, cross_db)),
    (h_matrix_power, (u(3, 3), u(3, 3)), (0, 1), (matrix_power_dx,)),
    (h_multi_dot, (u(2, 4), u(2, 3), u(3, 4)), (0, 1, 2), (multi_dot_dx,)),
]


def test_every_helper_rule_is_tested():
    tested = {h for c in HELPERS for h in c[3]}
    assert set(ARRAY_RUNTIME_RULES) <= tested


@pytest.mark.parametrize("f, args, wrt, helpers", HELPERS, ids=[c[0].__name__ for c in HELPERS])
def test_helper_rules(f, args, wrt, helpers):
    """grad and jvp through the helpers (the second derivative of the NumPy
    functions); their hvp, a third derivative, is right or refused (the
    adjoints of some helpers are helpers without rules of their own)."""
    assert_sound(f, args, wrt=wrt, modes=("grad", "jvp"))
    assert_sound(f, args, wrt=wrt, modes=("hvp",), expect="ok-or-refused")


# -- refusals -------------------------------------------------------------------------

def quantile_nearest(x):
    return np.quantile(x, 0.3, method="nearest")


def quantile_varied_q(x, q):
    return np.quantile(x, q)


def gradient_coordinates(x):
    return np.sum(np.gradient(x, np.cumsum(np.ones(4))) ** 2)


def gradient_varied_spacing(x, h):
    return np.sum(np.gradient(x, h) ** 2)


def gradient_edge3(x):
    return np.sum(np.gradient(x, edge_order=3) ** 2)


def interp_varied_xp(x, xp):
    return np.sum(np.interp(x, xp, XP))


def interp_period(x):
    return np.sum(np.interp(x, XP, XP, period=2.0))


def cross_2d(a, b):
    return np.sum(np.cross(a, b) ** 2)


def nanvar_where(x):
    return np.nanvar(x, where=x > 0)


#: refused only in reverse mode: the tangent (np.gradient of the tangent, the cross
#: product with the tangent) is right for these arguments too
GRAD_ONLY = {gradient_coordinates, cross_2d}

REFUSED = [
    (quantile_nearest, (u(5),), 0, "method"),
    (quantile_varied_q, (u(5), 0.3), (0, 1), "'q'"),
    (gradient_coordinates, (u(4),), 0, "coordinate arrays"),
    (gradient_varied_spacing, (u(4), 0.3), (0, 1), "'varargs'"),
    (gradient_edge3, (u(5),), 0, "edge_order"),
    (interp_varied_xp, (u(3), XP), (0, 1), "'xp'"),
    (interp_period, (u(3),), 0, "period"),
    (cross_2d, (u(4, 2), u(4, 2)), (0, 1), "2-vectors"),
    (nanvar_where, (u(4),), 0, "where"),
]


@pytest.mark.parametrize("f, args, wrt, words", REFUSED, ids=[c[0].__name__ for c in REFUSED])
def test_refused(f, args, wrt, words):
    modes = ("grad",) if f in GRAD_ONLY else ("grad", "jvp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)     # (np.cross of 2-vectors)
        outcomes = check_modes(f, args, wrt, modes=modes)
    assert outcomes and all(o.status == "refused" and words in o.detail for o in outcomes), \
        [str(o) for o in outcomes]


# -- results that may be their argument itself ----------------------------------------

def write_rollaxis(x):
    y = x * 1.0
    z = np.rollaxis(y, 1)
    z[0] = 3.0
    return np.sum(y * y)


def write_diff0(x):
    y = x * 1.0
    z = np.diff(y, 0)
    z[0] = 3.0
    return np.sum(y * y)


def write_matrix_power1(x):
    y = x * 1.0
    z = np.linalg.matrix_power(y, 1)
    z[0] = 3.0
    return np.sum(y * y)


@pytest.mark.parametrize("f", [write_rollaxis, write_diff0, write_matrix_power1],
                         ids=lambda f: f.__name__)
def test_views_written(f):
    """np.rollaxis returns a view, np.diff(a, 0) and matrix_power(a, 1) ``a``
    itself: a write into the result while the argument is used is refused."""
    assert_sound(f, (u(3, 3),), wrt=0, modes=("grad", "jvp"), expect="refused")
