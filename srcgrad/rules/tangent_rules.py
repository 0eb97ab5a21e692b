"""Forward-mode (tangent) rules for the primitives that are not elementwise.

Elementwise and scalar rules need none: their tangents are derived from the
adjoints (see :func:`srcgrad.rules.registry.tangent_template`).  Each template
here is an expression in the parameters, ``ans`` and ``t`` (the tangent of
that parameter) with exactly the shape of ``ans``; the tangent of the result
is the sum over the parameters that carry a tangent.  Linear functions apply
themselves to ``t``; bilinear ones are applied to ``(t, b)`` and ``(a, t)``.
"""

import builtins
import operator

import numpy as np

from ..runtime_forward import (  # noqa: F401  (used in templates)
    slogdet_tangent, eigh_tangent, eigvalsh_tangent, svd_tangent, svdvals_tangent, qr_tangent,
    lstsq_tangent_a, lstsq_tangent_b,
    astype_tangent, average_tangent_w, broadcast_like, cholesky_tangent, det_tangent,
    einsum_tangent, extreme_tangent, norm_tangent, pad_tangent, pinv_tangent, prod_tangent,
    reshape_tangent, solve_tangent_a, var_tangent)
from .registry import defjvp, lookup


def _jvp(fun, *tangents, **by_name):
    """``defjvp`` for a function whose adjoint rule exists (the library may
    be loaded without some of them)."""
    rule = lookup(fun)
    if rule is not None and rule.differentiable:
        defjvp(fun, *tangents, namespace=globals(), **by_name)


# products
_jvp(operator.matmul, "t @ y", "x @ t")
_jvp(np.matmul, "np.matmul(t, y)", "np.matmul(x, t)")
_jvp(np.dot, "np.dot(t, b)", "np.dot(a, t)")
_jvp(np.vdot, "np.vdot(t, b)", "np.vdot(a, t)")
_jvp(np.inner, "np.inner(t, b)", "np.inner(a, t)")
_jvp(np.outer, "np.outer(t, b)", "np.outer(a, t)")
_jvp(np.tensordot, "np.tensordot(t, b, axes=axes)", "np.tensordot(a, t, axes=axes)")
_jvp(np.kron, "np.kron(t, b)", "np.kron(a, t)")
_jvp(np.einsum, None, "einsum_tangent(subscripts, 0, t, a, b, c)",
     "einsum_tangent(subscripts, 1, t, a, b, c)", "einsum_tangent(subscripts, 2, t, a, b, c)")

# reductions
_jvp(np.sum, "np.sum(t, axis=axis, keepdims=keepdims)")
_jvp(np.mean, "np.mean(t, axis=axis, keepdims=keepdims)")
for _extreme in (np.max, np.min, np.amax, np.amin):
    _jvp(_extreme, "extreme_tangent(t, a, ans, axis, keepdims)")
_jvp(np.prod, "prod_tangent(t, a, ans, axis, keepdims)")
_jvp(np.var, "var_tangent(t, a, ans, axis, ddof, keepdims, correction)")
_jvp(np.std, "var_tangent(t, a, ans, axis, ddof, keepdims, correction) / (2.0 * ans)")
_jvp(np.average, "np.average(t, axis=axis, weights=weights, keepdims=keepdims)", None,
     "average_tangent_w(t, a, ans, axis, weights, keepdims)")
_jvp(np.nansum, "np.sum(np.where(np.isnan(a), 0.0, t), axis=axis, keepdims=keepdims)")
_jvp(np.nanmean, "np.nanmean(np.where(np.isnan(a), np.nan, t), axis=axis, keepdims=keepdims)")
_jvp(np.linalg.norm, "norm_tangent(t, x, ans, ord, axis, keepdims)")
_jvp(np.cumsum, "np.cumsum(t, axis=axis)")
_jvp(np.cumprod, "ans * np.cumsum(t / a, axis=axis)")          # a without zeros, like the adjoint
# sum(x) of an array adds up its rows
_jvp(builtins.sum, "sum(t)", "broadcast_like(t, ans)")

# shape and construction: linear, the same function applied to the tangent
_jvp(np.reshape, "reshape_tangent(t, ans, order)")
_jvp(np.ndarray.reshape, "reshape_tangent(t, ans, order)")
_jvp(np.ravel, "np.ravel(t, order=order)")
_jvp(np.transpose, "np.transpose(t, axes=axes)")
_jvp(np.ndarray.transpose, "np.asarray(t).transpose(*axes)")
_jvp(np.swapaxes, "np.swapaxes(t, axis1, axis2)")
_jvp(np.moveaxis, "np.moveaxis(t, source, destination)")
_jvp(np.expand_dims, "np.expand_dims(t, axis)")
_jvp(np.squeeze, "np.squeeze(t, axis=axis)")
_jvp(np.atleast_1d, "np.atleast_1d(t)")
_jvp(np.atleast_2d, "np.atleast_2d(t)")
_jvp(np.atleast_3d, "np.atleast_3d(t)")
_jvp(np.broadcast_to, "np.broadcast_to(t, shape)")
_jvp(np.tile, "np.tile(t, reps)")
_jvp(np.repeat, "np.repeat(t, repeats, axis=axis)")
_jvp(np.flip, "np.flip(t, axis=axis)")
_jvp(np.roll, "np.roll(t, shift, axis=axis)")
_jvp(np.diag, "np.diag(t, k=k)")
_jvp(np.diagonal, "np.diagonal(t, offset=offset, axis1=axis1, axis2=axis2)")
_jvp(np.trace, "np.trace(t, offset=offset, axis1=axis1, axis2=axis2)")
_jvp(np.triu, "np.triu(t, k=k)")
_jvp(np.tril, "np.tril(t, k=k)")
_jvp(np.pad, "pad_tangent(t, pad_width, mode)")
_jvp(np.copy, "np.copy(t)")
_jvp(np.array, "astype_tangent(t, ans)")
_jvp(np.asarray, "astype_tangent(t, ans)")
_jvp(np.asanyarray, "astype_tangent(t, ans)")
_jvp(np.ascontiguousarray, "astype_tangent(t, ans)")
_jvp(np.ndarray.astype, "astype_tangent(t, ans)")

# linear algebra
_jvp(np.linalg.solve, "solve_tangent_a(t, a, b, ans)", "np.linalg.solve(a, t)")
_jvp(np.linalg.inv, "-(ans @ t @ ans)")
_jvp(np.take, "np.take(t, indices, axis=axis)")
_jvp(np.concatenate, "np.concatenate(t, axis=axis)")
_jvp(np.stack, "np.stack(t, axis=axis)")
_jvp(np.hstack, "np.hstack(t)")
_jvp(np.vstack, "np.vstack(t)")
_jvp(np.split, "np.split(t, indices_or_sections, axis=axis)")
_jvp(np.linalg.slogdet, "slogdet_tangent(t, a)")
_jvp(np.linalg.eigh, "eigh_tangent(t, a, ans, UPLO)")
_jvp(np.linalg.eigvalsh, "eigvalsh_tangent(t, a, UPLO)")
_jvp(np.linalg.svd, "svd_tangent(t, a, full_matrices, compute_uv, hermitian)")
if hasattr(np.linalg, "svdvals"):
    _jvp(np.linalg.svdvals, "svdvals_tangent(t, x)")
_jvp(np.linalg.qr, "qr_tangent(t, a, ans)")
_jvp(np.linalg.lstsq, "lstsq_tangent_a(t, a, b, ans)", "lstsq_tangent_b(t, a, b, ans)")
_jvp(np.linalg.det, "det_tangent(t, a, ans)")
_jvp(np.linalg.cholesky, "cholesky_tangent(t, a, ans, upper)")
_jvp(np.linalg.pinv, "pinv_tangent(t, a, ans)")
