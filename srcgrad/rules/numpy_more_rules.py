"""Rules for more of NumPy: differences and calculus (diff, gradient,
trapezoid, interp, polyval, convolve), order statistics (sort, partition,
median, quantile), the NaN-ignoring reductions, element insertion and
removal, stacks and splits, cross and the chained matrix products,
nan_to_num, real_if_close and the function form of astype.

Functions that only move elements (sort, insert, delete, append) get their
adjoint by label (``srcgrad.runtime.arrays``): the same function applied to
the labels of the elements says where each result element came from.  An
option a rule does not cover is refused: through ``PARAM_LIMITS`` when srcgrad
transforms the function, or by the helper when the values decide.
"""

import numpy as np

from srcgrad.runtime import (  # noqa: F401  (used in templates)
    append_labels, astype_dx, column_stack_dx, conv_pad, cross_da, cross_db, delete_labels, diff_dx,
    diff_dx_t, dstack_dx, ediff1d_dx, ediff1d_t, gather_dx, gather_t, gradient_dx, hsplit_axis,
    insert_labels, interp_dfp, interp_dx, interp_outside, interp_zero, matrix_power_dx,
    multi_dot_dx, nanvar_dx, perm_labels, polyder_c, polyval_dp, prod_dx, quantile_dx,
    rollaxis_dest, select_dx, select_none, split_dx, trapezoid_ddx, trapezoid_dx, trapezoid_dy,
    unbroadcast, unreduce_extreme, vstack_dx, div_or_zero, eig_da, eig_tangent, eigvals_da,
    eigvals_tangent)
from srcgrad.runtime.forward import (  # noqa: F401  (used in templates)
    astype_tangent, broadcast_like, extreme_tangent, matrix_power_tangent, multi_dot_tangent, prod_tangent,
    quantile_tangent, trapezoid_tdx)
from srcgrad.rules.checks import defcheck
from srcgrad.rules.registry import defcomplex, defjvp, defvjp
from srcgrad.rules.tables import PARAM_LIMITS

E = "elementwise"
R = "reduction"

# differences and sums of neighbours
defvjp(np.diff, "a, n=1, axis=-1, prepend=None, append=None",
       "diff_dx(g, a, n, axis, prepend, append, 0)", None, None,
       "diff_dx(g, a, n, axis, prepend, append, 1)", "diff_dx(g, a, n, axis, prepend, append, 2)")
defjvp(np.diff, a="diff_dx_t(t, a, n, axis, prepend, append, 0)",
       prepend="diff_dx_t(t, a, n, axis, prepend, append, 1)",
       append="diff_dx_t(t, a, n, axis, prepend, append, 2)")
defvjp(np.ediff1d, "ary, to_end=None, to_begin=None", "ediff1d_dx(g, ary, to_end, to_begin, 0)",
       "ediff1d_dx(g, ary, to_end, to_begin, 1)", "ediff1d_dx(g, ary, to_end, to_begin, 2)")
defjvp(np.ediff1d, "ediff1d_t(t, ary, to_end, to_begin, 0)", "ediff1d_t(t, ary, to_end, to_begin, 1)",
       "ediff1d_t(t, ary, to_end, to_begin, 2)")
# linear in f; the spacings (scalars) are not differentiated
defvjp(np.gradient, "f, *varargs, axis=None, edge_order=1", "gradient_dx(g, f, varargs, axis, edge_order)")
defjvp(np.gradient, "np.gradient(t, *varargs, axis=axis, edge_order=edge_order)")
# bilinear in y and the spacing (x's differences, or dx when x is None)
for _trapezoid in {getattr(np, n) for n in ("trapezoid", "trapz") if hasattr(np, n)}:
    defvjp(_trapezoid, "y, x=None, dx=1.0, axis=-1", "trapezoid_dy(g, y, x, dx, axis)",
           "trapezoid_dx(g, y, x, axis)", "trapezoid_ddx(g, y, x, dx, axis)")
    defjvp(_trapezoid, "np.trapezoid(t, x, dx, axis)", "np.trapezoid(y, t, axis=axis)",
           "trapezoid_tdx(t, y, x, axis)")
# np.correlate(a, v, m) is np.convolve(a, v[::-1], m) but for where 'same' starts
defvjp(np.convolve, "a, v, mode='full'", "np.correlate(conv_pad(g, a, v, mode, False), v, 'valid')",
       "np.correlate(conv_pad(g, a, v, mode, False), a, 'valid')")
defjvp(np.convolve, "np.convolve(t, v, mode)", "np.convolve(a, t, mode)")
defvjp(np.correlate, "a, v, mode='valid'", "np.convolve(conv_pad(g, a, v, mode, True), v, 'valid')",
       "np.flip(np.correlate(conv_pad(g, a, v, mode, True), a, 'valid'))")
defjvp(np.correlate, "np.correlate(t, v, mode)", "np.correlate(a, t, mode)")
defvjp(np.interp, "x, xp, fp, left=None, right=None, period=None", "interp_dx(g, x, xp, fp)", None,
       "interp_dfp(g, x, xp, fp, left, right)", "unbroadcast(g * interp_outside(x, xp, 0), left)",
       "unbroadcast(g * interp_outside(x, xp, 1), right)")
defjvp(np.interp, x="interp_dx(t, x, xp, fp)",
       fp="np.interp(x, xp, t, interp_zero(left), interp_zero(right))",
       left="broadcast_like(t * interp_outside(x, xp, 0), ans)",
       right="broadcast_like(t * interp_outside(x, xp, 1), ans)")
defvjp(np.polyval, "p, x", "polyval_dp(g, p, x)", "unbroadcast(g * np.polyval(polyder_c(p), x), x)")
defjvp(np.polyval, "np.polyval(t, x)", "t * np.polyval(polyder_c(p), x)")
defvjp(np.cross, "a, b, axisa=-1, axisb=-1, axisc=-1, axis=None",
       "cross_da(g, a, b, axisa, axisb, axisc, axis)", "cross_db(g, a, b, axisa, axisb, axisc, axis)")
defjvp(np.cross, "np.cross(t, b, axisa, axisb, axisc, axis)", "np.cross(a, t, axisa, axisb, axisc, axis)")

# order statistics: the adjoint goes back through the sort order
defvjp(np.sort, "a, axis=-1, kind=None, order=None, *, stable=None",
       "gather_dx(g, perm_labels(a, ans, axis), a, 0)")
defjvp(np.sort, "gather_t(t, perm_labels(a, ans, axis), a, 0)")
defvjp(np.partition, "a, kth, axis=-1, kind='introselect', order=None",
       "gather_dx(g, perm_labels(a, ans, axis), a, 0)")
defjvp(np.partition, "gather_t(t, perm_labels(a, ans, axis), a, 0)")
defvjp(np.median, "a, axis=None, out=None, overwrite_input=False, keepdims=False",
       "quantile_dx(g, a, 0.5, axis, keepdims)", kind=R)
defjvp(np.median, "quantile_tangent(t, a, 0.5, axis, keepdims)")
defvjp(np.quantile, "a, q, axis=None, out=None, overwrite_input=False, method='linear', "
       "keepdims=False, *, weights=None", "quantile_dx(g, a, q, axis, keepdims, method)")
defjvp(np.quantile, "quantile_tangent(t, a, q, axis, keepdims, method)")
defvjp(np.percentile, "a, q, axis=None, out=None, overwrite_input=False, method='linear', "
       "keepdims=False, *, weights=None", "quantile_dx(g, a, np.true_divide(q, 100.0), axis, keepdims, method)")
defjvp(np.percentile, "quantile_tangent(t, a, np.true_divide(q, 100.0), axis, keepdims, method)")

# reductions that ignore NaNs (0 adjoint at the NaNs)
_NANVAR = "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None, correction=None"
defvjp(np.nanvar, _NANVAR, "nanvar_dx(g, a, axis, ddof, keepdims, correction)", kind=R)
defjvp(np.nanvar, "np.sum(nanvar_dx(1.0, a, axis, ddof, True, correction) * np.where(np.isnan(a), 0.0, t), "
       "axis=axis, keepdims=keepdims)")
defvjp(np.nanstd, _NANVAR, "nanvar_dx(div_or_zero(g, 2.0 * ans), a, axis, ddof, keepdims, correction)", kind=R)
defjvp(np.nanstd, "div_or_zero(np.sum(nanvar_dx(1.0, a, axis, ddof, True, correction) * "
       "np.where(np.isnan(a), 0.0, t), axis=axis, keepdims=keepdims), 2.0 * ans)")
for _extreme in (np.nanmax, np.nanmin):
    defvjp(_extreme, "a, axis=None, out=None, keepdims=False, initial=None, where=True",
           "unreduce_extreme(g, a, ans, axis, keepdims)", kind=R)
    defjvp(_extreme, "extreme_tangent(np.where(np.isnan(a), 0.0, t), a, ans, axis, keepdims)")
defvjp(np.nanprod, "a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True",
       "np.where(np.isnan(a), 0.0, prod_dx(g, np.where(np.isnan(a), 1.0, a), axis, keepdims))", kind=R)
defjvp(np.nanprod, "prod_tangent(np.where(np.isnan(a), 0.0, t), np.where(np.isnan(a), 1.0, a), ans, axis, "
       "keepdims)")

# elements moved: adjoints by label
defvjp(np.append, "arr, values, axis=None", "gather_dx(g, append_labels(arr, values, axis), arr, 0)",
       "gather_dx(g, append_labels(arr, values, axis), values, 1)")
defjvp(np.append, "gather_t(t, append_labels(arr, values, axis), arr, 0)",
       "gather_t(t, append_labels(arr, values, axis), values, 1)")
defvjp(np.insert, "arr, obj, values, axis=None", "gather_dx(g, insert_labels(arr, obj, values, axis), arr, 0)",
       None, "gather_dx(g, insert_labels(arr, obj, values, axis), values, 1)")
defjvp(np.insert, arr="gather_t(t, insert_labels(arr, obj, values, axis), arr, 0)",
       values="gather_t(t, insert_labels(arr, obj, values, axis), values, 1)")
defvjp(np.delete, "arr, obj, axis=None", "gather_dx(g, delete_labels(arr, obj, axis), arr, 0)")
defjvp(np.delete, "np.delete(t, obj, axis)")
defvjp(np.flipud, "m", "np.flipud(g)")
defjvp(np.flipud, "np.flipud(t)")
defvjp(np.fliplr, "m", "np.fliplr(g)")
defjvp(np.fliplr, "np.fliplr(t)")
defvjp(np.rot90, "m, k=1, axes=(0, 1)", "np.rot90(g, np.negative(k), axes)")
defjvp(np.rot90, "np.rot90(t, k, axes)")
defvjp(np.rollaxis, "a, axis, start=0", "np.moveaxis(g, rollaxis_dest(a, axis, start), axis)")
defjvp(np.rollaxis, "np.rollaxis(t, axis, start)")
defvjp(np.select, "condlist, choicelist, default=0", None, "select_dx(g, condlist, choicelist)",
       "unbroadcast(g * select_none(condlist), default)")
defjvp(np.select, choicelist="broadcast_like(np.select(condlist, t, 0.0), ans)",
       default="broadcast_like(t * select_none(condlist), ans)")

# stacks and splits (lists of arrays in, or out)
defvjp(np.dstack, "tup", "dstack_dx(g, tup)")
defjvp(np.dstack, "np.dstack(t)")
defvjp(np.column_stack, "tup", "column_stack_dx(g, tup)")
defjvp(np.column_stack, "np.column_stack(t)")
if hasattr(np, "row_stack"):                      # (deprecated in NumPy 2: np.vstack)
    defvjp(np.row_stack, "tup, *, dtype=None, casting='same_kind'", "vstack_dx(g, tup)")
    defjvp(np.row_stack, "np.vstack(t)")
defvjp(np.array_split, "ary, indices_or_sections, axis=0", "split_dx(g, ary, axis)")
defjvp(np.array_split, "np.array_split(t, indices_or_sections, axis)")
defvjp(np.hsplit, "ary, indices_or_sections", "split_dx(g, ary, hsplit_axis(ary))")
defjvp(np.hsplit, "np.hsplit(t, indices_or_sections)")
defvjp(np.vsplit, "ary, indices_or_sections", "split_dx(g, ary, 0)")
defjvp(np.vsplit, "np.vsplit(t, indices_or_sections)")
defvjp(np.dsplit, "ary, indices_or_sections", "split_dx(g, ary, 2)")
defjvp(np.dsplit, "np.dsplit(t, indices_or_sections)")

# real arrays: the imaginary part is 0 and the angle 0 or pi (a complex value is
# refused before these rules are reached)
defvjp(np.imag, "val", "0.0 * g", kind=E)
defvjp(np.angle, "z, deg=False", "0.0 * g", kind=E)
# real_if_close(a) of a real array is ``a`` itself (a complex one is refused before)
defvjp(np.real_if_close, "a, tol=100", "g", kind=E)
# nan_to_num: the replaced elements are the replacement values (nan, posinf, neginf)
defvjp(np.nan_to_num, "x, copy=True, nan=0.0, posinf=None, neginf=None",
       "np.where(np.isfinite(x), g, 0.0)", None, "np.where(np.isnan(x), g, 0.0)",
       "np.where(np.equal(x, np.inf), g, 0.0)", "np.where(np.equal(x, -np.inf), g, 0.0)", kind=E)
# the function form of ndarray.astype (NumPy 2.1): the same rule
if hasattr(np, "astype"):
    defvjp(np.astype, "x, dtype, /, *, copy=True, device=None", "astype_dx(g, x, dtype)")
    defjvp(np.astype, "astype_tangent(t, ans)")

# chained products
defvjp(np.linalg.matrix_power, "a, n", "matrix_power_dx(g, a, n)")
defjvp(np.linalg.matrix_power, "matrix_power_tangent(t, a, n)")
defvjp(np.linalg.multi_dot, "arrays, *, out=None", "multi_dot_dx(g, arrays)")
defjvp(np.linalg.multi_dot, "multi_dot_tangent(t, arrays)")
# eigenvalues and eigenvectors of a general matrix: complex (docs/complex.md); the
# compiler takes the real part of the adjoint of a real matrix
defvjp(np.linalg.eig, "a", "eig_da(g, a, ans)")
defvjp(np.linalg.eigvals, "a", "eigvals_da(g, a, ans)")
defjvp(np.linalg.eig, "eig_tangent(t, a, ans)")
defjvp(np.linalg.eigvals, "eigvals_tangent(t, a, ans)")
defcomplex(np.linalg.eig, result="always")
defcomplex(np.linalg.eigvals, result="always")


def _astype(known):
    dtype = known.get("dtype")
    try:
        kind = np.dtype(dtype).kind if dtype is not None else None
    except TypeError:
        return None
    if kind == "c":
        return ("np.astype to a complex dtype is not differentiated: complex numbers are not "
                "supported yet", "keep the computation real")
    return None


if hasattr(np, "astype"):
    defcheck(np.astype, _astype)

PARAM_LIMITS.update({
    np.gradient: {"varargs": None, "edge_order": (1, 2)},
    np.interp: {"xp": None, "period": (None,)},
    np.sort: {"order": (None,)},
    np.partition: {"order": (None,)},
    np.quantile: {"q": None, "method": ("linear",), "weights": (None,)},
    np.percentile: {"q": None, "method": ("linear",), "weights": (None,)},
    np.nanvar: {"ddof": None, "correction": None, "where": (True,), "mean": (None,)},
    np.nanstd: {"ddof": None, "correction": None, "where": (True,), "mean": (None,)},
    np.nanmax: {"initial": (None,), "where": (True,)},
    np.nanmin: {"initial": (None,), "where": (True,)},
    np.nanprod: {"initial": (None,), "where": (True,)},
    # copy=False changes x in place
    np.nan_to_num: {"copy": (True,)},
})
if hasattr(np, "astype"):
    PARAM_LIMITS[np.astype] = {"copy": (True,)}        # copy=False may return x itself
