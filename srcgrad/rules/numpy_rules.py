"""Rules for NumPy's elementwise functions, reductions and products.

Each rule is one line: the function, its parameters, the adjoint of each
differentiable parameter.  ``kind="elementwise"`` lets the compiler reduce
broadcast adjoints to each argument's shape, and only where shapes may differ.
"""

import operator

import numpy as np

from srcgrad.runtime import (  # noqa: F401  (used in templates)
    method_axes, unreduce_mean, slogdet_da, eigh_da, eigvalsh_da, svd_da, svdvals_da, qr_da,
    lstsq_da, lstsq_db, take_dx, array_dx, concatenate_dx, stack_dx, hstack_dx, vstack_dx,
    split_dx, copy_dx,
    astype_dx, average_da, average_dw, cholesky_da, cumprod_dx, cumsum_dx, det_da, det_inv_da, diag_dx,
    diagonal_dx, dot_dx, dot_dy, einsum_dx, inner_dx, inner_dy, inv_da, kron_dx, kron_dy,
    matmul_dx, matmul_dy, nanmean_dx, norm_dx, pad_dx, pinv_da, prod_dx, repeat_dx, solve_da,
    reshape_dx, solve_db, tensordot_dx, tensordot_dy, tile_dx, trace_dx, transpose_dx, unbroadcast,
    unreduce, unreduce_extreme, var_dx, div_or_zero, pad_values_dx)
from srcgrad.runtime import (  # noqa: F401  (used in templates)
    arange_dx, arange_tangent, bincount_dw, dtype_of, full_dx, full_tangent, item_dx, linspace_dx,
    linspace_tangent)
from srcgrad.rules.faster import defranks, defreuse
from srcgrad.rules.registry import defjvp, defvjp, nondifferentiable

E = "elementwise"
R = "reduction"

# arithmetic ufuncs
defvjp(np.add, "x, y", "g", "g", kind=E)
defvjp(np.subtract, "x, y", "g", "-g", kind=E)
defvjp(np.multiply, "x, y", "g * y", "g * x", kind=E)
defvjp(np.divide, "x, y", "g / y", "-g * x / (y * y)", kind=E)
defvjp(np.true_divide, "x, y", "g / y", "-g * x / (y * y)", kind=E)
# x ** 0 is 1 (derivative 0, also at x = 0); d/dy 0 ** y is 0 (y > 0; the right-hand
# derivative at y = 0): the exponent (only at x == y == 0, so that the derivative of the
# adjoint in y stays right elsewhere) and the logarithm are guarded where they would make
# 0 * inf; for a constant exponent the guard folds away (x ** 2 -> g * 2 * x)
defvjp(np.power, "x, y", "g * y * x ** (y - 1 + (y == 0) * (x == 0))", "g * ans * np.log(x + (x == 0))", kind=E)
defvjp(np.negative, "x", "-g", kind=E)
defvjp(np.positive, "x", "g", kind=E)
defvjp(np.square, "x", "g * 2.0 * x", kind=E)
defvjp(np.sqrt, "x", "g / (2.0 * ans)", kind=E)
defvjp(np.cbrt, "x", "g / (3.0 * ans * ans)", kind=E)
defvjp(np.reciprocal, "x", "-g * ans * ans", kind=E)
defvjp(np.abs, "x", "g * np.sign(x)", kind=E)
defvjp(np.fabs, "x", "g * np.sign(x)", kind=E)
defvjp(np.maximum, "x, y", "g * (x >= y)", "g * (x < y)", kind=E)
defvjp(np.minimum, "x, y", "g * (x <= y)", "g * (x > y)", kind=E)
defvjp(np.fmax, "x, y", "g * (x >= y)", "g * (x < y)", kind=E)
defvjp(np.fmin, "x, y", "g * (x <= y)", "g * (x > y)", kind=E)

# exponentials and logarithms
defvjp(np.exp, "x", "g * ans", kind=E)
defvjp(np.exp2, "x", "g * ans * np.log(2.0)", kind=E)
defvjp(np.expm1, "x", "g * (ans + 1.0)", kind=E)
defvjp(np.log, "x", "g / x", kind=E)
defvjp(np.log2, "x", "g / (x * np.log(2.0))", kind=E)
defvjp(np.log10, "x", "g / (x * np.log(10.0))", kind=E)
defvjp(np.log1p, "x", "g / (1.0 + x)", kind=E)
defvjp(np.logaddexp, "x, y", "g * np.exp(x - ans)", "g * np.exp(y - ans)", kind=E)

# trigonometric and hyperbolic
defvjp(np.sin, "x", "g * np.cos(x)", kind=E)
defvjp(np.cos, "x", "-g * np.sin(x)", kind=E)
defvjp(np.tan, "x", "g / np.cos(x) ** 2", kind=E)
defvjp(np.arcsin, "x", "g / np.sqrt(1.0 - x * x)", kind=E)
defvjp(np.arccos, "x", "-g / np.sqrt(1.0 - x * x)", kind=E)
defvjp(np.arctan, "x", "g / (1.0 + x * x)", kind=E)
defvjp(np.arctan2, "y, x", "g * x / (x * x + y * y)", "-g * y / (x * x + y * y)", kind=E)
defvjp(np.hypot, "x, y", "div_or_zero(g * x, ans)", "div_or_zero(g * y, ans)", kind=E)  # 0 at (0, 0)
defvjp(np.sinh, "x", "g * np.cosh(x)", kind=E)
defvjp(np.cosh, "x", "g * np.sinh(x)", kind=E)
defvjp(np.tanh, "x", "g * (1.0 - ans * ans)", kind=E)
defvjp(np.arcsinh, "x", "g / np.sqrt(x * x + 1.0)", kind=E)
defvjp(np.arccosh, "x", "g / np.sqrt(x * x - 1.0)", kind=E)
defvjp(np.arctanh, "x", "g / (1.0 - x * x)", kind=E)

# selection
defvjp(np.where, "condition, x, y", None, "np.where(condition, g, 0.0)", "np.where(condition, 0.0, g)", kind=E)
# the bound that ``ans`` equals gets the adjoint where ``a`` is outside (a_max where a_min
# and a_max are both exceeded, as np.clip returns a_max when a_min > a_max)
defvjp(np.clip, "a, a_min, a_max", "g * (ans == a)", "g * ((ans != a) & (ans == a_min) & (ans != a_max))",
       "g * ((ans != a) & (ans == a_max))", kind=E)

# reductions
defvjp(np.sum, "a, axis=None, dtype=None, out=None, keepdims=False", "unreduce(g, a, axis, keepdims)",
       kind=R, shapes=("a",))
defvjp(np.mean, "a, axis=None, dtype=None, out=None, keepdims=False",
       "unreduce_mean(g, a, axis, keepdims)", kind=R, shapes=("a",))
# the sum or mean of a number is that number (the only axis it takes is none)
defranks(np.sum, (0,), "g")
defranks(np.mean, (0,), "g")
for _extreme in (np.max, np.min, np.amax, np.amin):
    defvjp(_extreme, "a, axis=None, out=None, keepdims=False",
           "unreduce_extreme(g, a, ans, axis, keepdims)", kind=R)

# products
defvjp(np.dot, "a, b", "dot_dx(g, a, b)", "dot_dy(g, a, b)")
defvjp(np.matmul, "x, y", "matmul_dx(g, x, y)", "matmul_dy(g, x, y)")
# products of vectors and matrices of known ranks (``x @ y`` included): plain products
for _product in (np.matmul, operator.matmul):
    defranks(_product, (2, 2), "g @ y.T", "x.T @ g")
    defranks(_product, (2, 1), "np.outer(g, y)", "x.T @ g")
    defranks(_product, (1, 2), "y @ g", "np.outer(x, g)")
    defranks(_product, (1, 1), "g * y", "g * x")

nondifferentiable(np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.floor_divide,
                  np.argmax, np.argmin, np.argsort, np.isnan, np.isinf, np.isfinite,
                  np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty,
                  np.zeros_like, np.ones_like, np.empty_like, np.greater, np.less, np.equal,
                  np.greater_equal, np.less_equal, np.not_equal, np.logical_and, np.logical_or,
                  np.logical_not, np.all, np.any, np.count_nonzero)

# more elementwise functions
defvjp(np.logaddexp2, "x, y", "g * np.exp2(x - ans)", "g * np.exp2(y - ans)", kind=E)
defvjp(np.float_power, "x, y", "g * y * np.float_power(x, y - 1 + (y == 0) * (x == 0))", "g * ans * np.log(x + (x == 0))", kind=E)
defvjp(np.fmod, "x, y", "g", "-g * np.trunc(x / y)", kind=E)
defvjp(np.remainder, "x, y", "g", "-g * np.floor_divide(x, y)", kind=E)       # also np.mod
defvjp(np.copysign, "x, y", "g * np.sign(x) * np.sign(y)", kind=E)
defvjp(np.sinc, "x", "g * np.where(x == 0, 0.0, (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x))", kind=E)
defvjp(np.deg2rad, "x", "g * (np.pi / 180.0)", kind=E)
defvjp(np.radians, "x", "g * (np.pi / 180.0)", kind=E)
defvjp(np.rad2deg, "x", "g * (180.0 / np.pi)", kind=E)
defvjp(np.degrees, "x", "g * (180.0 / np.pi)", kind=E)
defvjp(np.real, "val", "g", kind=E)            # real arrays: the identity
defvjp(np.conjugate, "x", "g", kind=E)         # also np.conj

# more reductions and scans
defvjp(np.prod, "a, axis=None, dtype=None, out=None, keepdims=False", "prod_dx(g, a, axis, keepdims)", kind=R)
defvjp(np.var, "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None",
       "var_dx(g, a, axis, ddof, keepdims, correction)", kind=R)
defvjp(np.std, "a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None",
       "var_dx(div_or_zero(g, 2.0 * ans), a, axis, ddof, keepdims, correction)", kind=R)   # 0 where std is 0
defvjp(np.average, "a, axis=None, weights=None, returned=False, *, keepdims=False",
       "average_da(g, a, axis, weights, keepdims)", None, "average_dw(g, a, ans, axis, weights, keepdims)", kind=R)
defvjp(np.nansum, "a, axis=None, dtype=None, out=None, keepdims=False",
       "np.where(np.isnan(a), 0.0, unreduce(g, a, axis, keepdims))", kind=R)
defvjp(np.nanmean, "a, axis=None, dtype=None, out=None, keepdims=False", "nanmean_dx(g, a, axis, keepdims)", kind=R)
defvjp(np.linalg.norm, "x, ord=None, axis=None, keepdims=False", "norm_dx(g, x, ans, ord, axis, keepdims)", kind=R)
defvjp(np.cumsum, "a, axis=None, dtype=None, out=None", "cumsum_dx(g, a, axis)")
defvjp(np.cumprod, "a, axis=None, dtype=None, out=None", "cumprod_dx(g, a, ans, axis)")

# shape and construction (kind None: each template has exactly the argument's shape)
# a.reshape(2, 3) binds shape=2, order=3 (reshape_dx ignores an order that is no string);
# the rest of the dimensions go to *dims
defvjp(np.reshape, "a, shape=None, order='C', *dims, newshape=None, copy=None", "reshape_dx(g, a, order)")
defvjp(np.ravel, "a, order='C'", "reshape_dx(g, a, order)")
defvjp(np.transpose, "a, axes=None", "transpose_dx(g, axes)")
defvjp(np.ndarray.transpose, "self, *axes", "transpose_dx(g, method_axes(axes))")
defvjp(np.ndarray.reshape, "self, *shape, order='C'", "reshape_dx(g, self, order)")
defvjp(np.swapaxes, "a, axis1, axis2", "np.swapaxes(g, axis1, axis2)")
defvjp(np.moveaxis, "a, source, destination", "np.moveaxis(g, destination, source)")
defvjp(np.expand_dims, "a, axis", "np.reshape(g, np.shape(a))")
defvjp(np.squeeze, "a, axis=None", "np.reshape(g, np.shape(a))")
defvjp(np.atleast_1d, "a", "np.reshape(g, np.shape(a))")      # one array (several give a list)
defvjp(np.atleast_2d, "a", "np.reshape(g, np.shape(a))")
defvjp(np.atleast_3d, "a", "np.reshape(g, np.shape(a))")
defvjp(np.broadcast_to, "array, shape, subok=False", "unbroadcast(g, array)")
defvjp(np.tile, "A, reps", "tile_dx(g, A, reps)")
defvjp(np.repeat, "a, repeats, axis=None", "repeat_dx(g, a, repeats, axis)")
defvjp(np.flip, "m, axis=None", "np.flip(g, axis)")
defvjp(np.roll, "a, shift, axis=None", "np.roll(g, np.negative(shift), axis)")
defvjp(np.diag, "v, k=0", "diag_dx(g, v, k)")
defvjp(np.diagonal, "a, offset=0, axis1=0, axis2=1", "diagonal_dx(g, a, offset, axis1, axis2)")
defvjp(np.trace, "a, offset=0, axis1=0, axis2=1, dtype=None, out=None", "trace_dx(g, a, offset, axis1, axis2)")
defvjp(np.triu, "m, k=0", "np.triu(g, k)")
defvjp(np.tril, "m, k=0", "np.tril(g, k)")
defvjp(np.pad, "array, pad_width, mode='constant', *, stat_length=None, constant_values=0, "
              "end_values=0, reflect_type='even'",
       "pad_dx(g, array, pad_width, mode, stat_length, reflect_type)", None, None, None,
       "pad_values_dx(g, array, pad_width, constant_values)")
defvjp(np.copy, "a, order='K', subok=False", "copy_dx(g, a)")
defvjp(np.array, "object, dtype=None, *, copy=True, order='K', subok=False, ndmin=0, ndmax=0, like=None",
       "array_dx(g, object, dtype)")                # of an array, or of a (nested) list of values
defvjp(np.asarray, "a, dtype=None, order=None, *, device=None, copy=None, like=None", "array_dx(g, a, dtype)")
defvjp(np.asanyarray, "a, dtype=None, order=None, *, device=None, copy=None, like=None", "array_dx(g, a, dtype)")
defvjp(np.ascontiguousarray, "a, dtype=None, *, like=None", "astype_dx(g, a, dtype)")
defvjp(np.ndarray.astype, "a, dtype, order='K', casting='unsafe', subok=True, copy=True", "astype_dx(g, a, dtype)")

# products and linear algebra
defvjp(np.vdot, "a, b", "np.reshape(g * np.ravel(b), np.shape(a))", "np.reshape(g * np.ravel(a), np.shape(b))")
defvjp(np.inner, "a, b", "inner_dx(g, a, b)", "inner_dy(g, a, b)")
defvjp(np.outer, "a, b, out=None", "np.reshape(np.dot(g, np.ravel(b)), np.shape(a))",
       "np.reshape(np.dot(np.ravel(a), g), np.shape(b))")
defvjp(np.tensordot, "a, b, axes=2", "tensordot_dx(g, a, b, axes)", "tensordot_dy(g, a, b, axes)")
# up to three operands, each its own parameter (srcgrad differentiates named parameters only)
defvjp(np.einsum, "subscripts, a, b=None, c=None, *, out=None, optimize=False, dtype=None, order='K', casting='safe'",
       None, "einsum_dx(g, subscripts, 0, a, b, c)", "einsum_dx(g, subscripts, 1, a, b, c)",
       "einsum_dx(g, subscripts, 2, a, b, c)")
defvjp(np.kron, "a, b", "kron_dx(g, a, b)", "kron_dy(g, a, b)")
defvjp(np.linalg.solve, "a, b", "solve_da(g, a, b, ans)", "solve_db(g, a, b)")
defvjp(np.linalg.inv, "a", "inv_da(g, ans)")
defvjp(np.linalg.det, "a", "det_da(g, a, ans)")
defreuse(np.linalg.det, np.linalg.inv, "det_inv_da(g, ans, other)")   # log-likelihoods
defvjp(np.linalg.cholesky, "a, *, upper=False", "cholesky_da(g, a, ans, upper)")
defvjp(np.take, "a, indices, axis=None, out=None, mode='raise'", "take_dx(g, a, indices, axis)",
       shapes=("a",))

# lists of arrays in, or out (g is then a list of adjoints)
defvjp(np.concatenate, "arrays, axis=0, out=None, *, dtype=None, casting='same_kind'",
       "concatenate_dx(g, arrays, axis)")
defvjp(np.stack, "arrays, axis=0, out=None, *, dtype=None, casting='same_kind'",
       "stack_dx(g, arrays, axis)")
defvjp(np.hstack, "tup, *, dtype=None, casting='same_kind'", "hstack_dx(g, tup)")
defvjp(np.vstack, "tup, *, dtype=None, casting='same_kind'", "vstack_dx(g, tup)")
defvjp(np.split, "ary, indices_or_sections, axis=0", "split_dx(g, ary, axis)")

# several results: g is a list of their adjoints
defvjp(np.linalg.slogdet, "a", "slogdet_da(g, a)")
defvjp(np.linalg.eigh, "a, UPLO='L'", "eigh_da(g, a, ans, UPLO)")           # distinct eigenvalues
defvjp(np.linalg.eigvalsh, "a, UPLO='L'", "eigvalsh_da(g, a, UPLO)")
defvjp(np.linalg.svd, "a, full_matrices=True, compute_uv=True, hermitian=False",
       "svd_da(g, a, ans, full_matrices, compute_uv, hermitian)")         # distinct values
if hasattr(np.linalg, "svdvals"):                                       # NumPy 2
    defvjp(np.linalg.svdvals, "x", "svdvals_da(g, x)")
defvjp(np.linalg.qr, "a, mode='reduced'", "qr_da(g, a, ans)")             # tall, full rank
defvjp(np.linalg.lstsq, "a, b, rcond=None", "lstsq_da(g, a, b, ans)", "lstsq_db(g, a, b, ans)")
defvjp(np.linalg.pinv, "a, rcond=None, hermitian=False, *, rtol=None", "pinv_da(g, a, ans)")   # full rank

nondifferentiable(np.nonzero, np.signbit, np.isclose, np.allclose, np.array_equal,
                  np.eye, np.identity, np.tri, np.searchsorted, np.argwhere,
                  np.flatnonzero, np.around, np.fix, np.nanargmax, np.nanargmin, np.logical_xor,
                  np.isreal, np.iscomplex, np.digitize, np.diag_indices, np.tril_indices,
                  np.triu_indices, np.indices)

# constructions differentiable in their values (audited: tests/test_soundness_activity.py);
# a result of an integer dtype has the derivative zero
defvjp(np.heaviside, "x1, x2", None, "g * (x1 == 0)", kind=E)      # x2 is the value at 0
defvjp(np.linspace, "start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, "
       "device=None", "linspace_dx(g, start, stop, num, endpoint, dtype, axis, 0)",
       "linspace_dx(g, start, stop, num, endpoint, dtype, axis, 1)")
defjvp(np.linspace, "linspace_tangent(t, start, stop, num, endpoint, dtype, axis, 0, ans)",
       "linspace_tangent(t, start, stop, num, endpoint, dtype, axis, 1, ans)")
# np.arange(stop) binds the stop to ``start`` (arange_dx knows: stop is None)
defvjp(np.arange, "start, /, stop=None, step=1, dtype=None, *, device=None, like=None",
       "arange_dx(g, start, stop, step, dtype, 0)", None, "arange_dx(g, start, stop, step, dtype, 2)")
defjvp(np.arange, start="arange_tangent(t, start, stop, step, 0, ans)",
       step="arange_tangent(t, start, stop, step, 2, ans)")
defvjp(np.full, "shape, fill_value, dtype=None, order='C', *, device=None, like=None", None,
       "full_dx(g, fill_value, None, dtype)")
defjvp(np.full, fill_value="full_tangent(t, ans)")
defvjp(np.full_like, "a, fill_value, dtype=None, order='K', subok=True, shape=None, *, device=None",
       None, "full_dx(g, fill_value, dtype_of(a), dtype)")
defjvp(np.full_like, fill_value="full_tangent(t, ans)")
defvjp(np.bincount, "x, /, weights=None, minlength=0", None, "bincount_dw(g, x, weights)")
defjvp(np.bincount, weights="np.bincount(x, t, minlength)")

# x.item(), x.item(i), x.item(i, j): one element as a Python number
defvjp(np.ndarray.item, "self, *args", "item_dx(g, self, args)")
defjvp(np.ndarray.item, "np.asarray(t).item(*args)")
