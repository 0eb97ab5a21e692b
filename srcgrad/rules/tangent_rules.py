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

from srcgrad.runtime.forward import (  # noqa: F401  (used in templates)
    slogdet_tangent, eigh_tangent, eigvalsh_tangent, svd_tangent, svdvals_tangent, qr_tangent,
    lstsq_tangent_a, lstsq_tangent_b,
    astype_tangent, average_tangent_w, broadcast_like, cholesky_tangent, copy_tangent,
    det_tangent,
    einsum_tangent, extreme_tangent, norm_tangent, pad_tangent, pinv_tangent, prod_tangent,
    reshape_tangent, solve_tangent_a, var_tangent)
from srcgrad.runtime import add_at, method_axes, written_adjoint  # noqa: F401  (used in templates)
from srcgrad.runtime import cumprod_tangent, div_or_zero, pad_values_tangent  # noqa: F401  (templates)
from srcgrad.runtime.forward import (  # noqa: F401  (used in batched templates)
    b_broadcast_like, b_concatenate, b_dot_dx_a, b_dot_dy_a, b_expand_dims, b_inv,
    b_moveaxis, b_solve_b, b_squeeze, b_cumsum, b_dot_a, b_dot_b, b_extreme, b_matmul_dx_a,
    b_matmul_dx_y, b_matmul_dy_a, b_matmul_dy_x, b_matmul_x, b_matmul_y, b_mean, b_prod, b_ravel, b_reshape, b_reshape_dx,
    b_stack, b_sum, b_swapaxes, b_take, b_transpose, b_transpose_dx, b_unbroadcast, b_unreduce,
    b_unreduce_extreme, b_unreduce_mean, b_var, bindex, bx, bzeros)
from srcgrad.rules.registry import TANGENT, Template, _key, defjvp, lookup, tangent_template
from srcgrad import runtime


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
_jvp(np.std, "div_or_zero(var_tangent(t, a, ans, axis, ddof, keepdims, correction), 2.0 * ans)")
_jvp(np.average, "np.average(t, axis=axis, weights=weights, keepdims=keepdims)", None,
     "average_tangent_w(t, a, ans, axis, weights, keepdims)")
_jvp(np.nansum, "np.sum(np.where(np.isnan(a), 0.0, t), axis=axis, keepdims=keepdims)")
_jvp(np.nanmean, "np.nanmean(np.where(np.isnan(a), np.nan, t), axis=axis, keepdims=keepdims)")
_jvp(np.linalg.norm, "norm_tangent(t, x, ans, ord, axis, keepdims)")
_jvp(np.cumsum, "np.cumsum(t, axis=axis)")
_jvp(np.cumprod, "cumprod_tangent(t, a, ans, axis)")
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
_jvp(np.pad, "pad_tangent(t, pad_width, mode, stat_length, reflect_type)",
     constant_values="pad_values_tangent(t, array, pad_width)")
_jvp(np.copy, "copy_tangent(t, ans)")
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
_jvp(np.linalg.svd, "svd_tangent(t, a, ans, full_matrices, compute_uv, hermitian)")
if hasattr(np.linalg, "svdvals"):
    _jvp(np.linalg.svdvals, "svdvals_tangent(t, x)")
_jvp(np.linalg.qr, "qr_tangent(t, a, ans)")
_jvp(np.linalg.lstsq, "lstsq_tangent_a(t, a, b, ans)", "lstsq_tangent_b(t, a, b, ans)")
_jvp(np.linalg.det, "det_tangent(t, a, ans)")
_jvp(np.linalg.cholesky, "cholesky_tangent(t, a, ans, upper)")
_jvp(np.linalg.pinv, "pinv_tangent(t, a, ans)")


# -- batched tangents (srcgrad.jacobian and srcgrad.hessian) -------------------------
# A batched tangent has the primal's shape plus a last axis of K directions.
# Elementwise and scalar rules need no batched template (their tangent is
# used with every primal operand given a trailing axis, ``bx``), and a rule
# without one falls back to ``per_direction`` (its ordinary tangent, once per
# direction); the templates here make the common rules one NumPy call.
# Templates read ``t`` (the batched tangent), ``ans``, the parameters and
# ``K`` (the number of directions).

#: rule key -> {parameter: batched Template}
BATCHED = {}


def defjvp_batched(fun, *tangents, namespace=None, **by_name):
    """Declare batched tangent templates of ``fun`` (whose adjoint rule
    exists), in parameter order or by name, like :func:`defjvp`."""
    rule = lookup(fun)
    if rule is None or not rule.differentiable:
        return fun
    names = list(rule.signature.parameters)
    given = {p: text for p, text in zip(names, tangents) if text is not None}
    given.update(by_name)
    ns = globals() if namespace is None else namespace
    per_rule = BATCHED.setdefault(_key(fun), {})
    for p, text in given.items():
        # kept with the ordinary tangent it batches: a later defjvp of the
        # same parameter makes it stale (the per-direction fallback is used)
        per_rule[p] = (tangent_template(rule, p),
                       Template(text, names + [TANGENT, "K"], ns, rule.name))
    return fun


_RUNTIME_DONE = []


def batched_template(rule, pname):
    """The batched tangent template of ``rule``'s parameter ``pname``, or
    None (elementwise expansion or the per-direction fallback then)."""
    if not _RUNTIME_DONE:
        _RUNTIME_DONE.append(True)
        _batched_runtime_rules()
    entry = BATCHED.get(_key(rule.fun), {}).get(pname)
    if entry is None or entry[0] is not tangent_template(rule, pname):
        return None
    return entry[1]


_B = defjvp_batched
_B(operator.matmul, "b_matmul_x(t, y)", "b_matmul_y(x, t)")
_B(np.matmul, "b_matmul_x(t, y)", "b_matmul_y(x, t)")
_B(np.dot, "b_dot_a(t, b, K)", "b_dot_b(a, t, K)")
_B(np.sum, "b_sum(t, axis, keepdims)")
_B(np.mean, "b_mean(t, axis, keepdims)")
for _extreme in (np.max, np.min, np.amax, np.amin):
    _B(_extreme, "b_extreme(t, a, ans, axis, keepdims)")
_B(np.prod, "b_prod(t, a, ans, axis, keepdims)")
_B(np.var, "b_var(t, a, ans, axis, ddof, keepdims, correction)")
_B(np.std, "div_or_zero(b_var(t, a, ans, axis, ddof, keepdims, correction), 2.0 * bx(ans))")
_B(np.cumsum, "b_cumsum(t, axis)")
_B(builtins.sum, "sum(t)", "b_broadcast_like(t, ans, K)")
_B(np.reshape, "b_reshape(t, ans, order)")
_B(np.ndarray.reshape, "b_reshape(t, ans, order)")
_B(np.ravel, "b_ravel(t, ans, order)")
_B(np.transpose, "b_transpose(t, axes)")
_B(np.ndarray.transpose, "b_transpose(t, method_axes(axes))")
_B(np.swapaxes, "b_swapaxes(t, axis1, axis2)")
_B(np.copy, "copy_tangent(t)")          # (a list: a list of batched tangents)
_B(np.take, "b_take(t, indices, axis)")
_B(np.concatenate, "b_concatenate(t, axis, K)")
_B(np.expand_dims, "b_expand_dims(t, ans, axis)")
_B(np.squeeze, "b_squeeze(t, a, axis)")
_B(np.moveaxis, "b_moveaxis(t, source, destination)")
_B(np.linalg.solve, b="b_solve_b(a, t)")
_B(np.linalg.inv, "b_inv(t, ans)")
_B(np.stack, "b_stack(t, axis)")


def _batched_runtime_rules():
    """Batched tangents of srcgrad's own runtime helpers (forward mode over a
    generated gradient)."""
    _B(runtime.unbroadcast, "b_unbroadcast(t, like, K)")
    _B(runtime.fit, "b_unbroadcast(t, like, K)")
    if hasattr(runtime, "expand"):
        _B(runtime.expand, "b_broadcast_like(t, like, K)")
    _B(runtime.unreduce, "b_unreduce(t, like, axis, keepdims)")
    _B(runtime.unreduce_mean, "b_unreduce_mean(t, like, axis, keepdims)")
    _B(runtime.unreduce_extreme, "b_unreduce_extreme(t, like, result, axis, keepdims)")
    _B(runtime.add_at, d="b_broadcast_like(t, ans, K)",
       value="add_at(bzeros(like, K), like, bindex(index), t)")
    _B(runtime.written_adjoint, "written_adjoint(t, bindex(index))")
    _B(runtime.matmul_dx, a="b_matmul_dx_a(t, x, y, K)", y="b_matmul_dx_y(a, x, t, K)")
    _B(runtime.matmul_dy, a="b_matmul_dy_a(t, x, y, K)", x="b_matmul_dy_x(a, t, y, K)")
    _B(runtime.dot_dx, a="b_dot_dx_a(t, x, y, K)")
    _B(runtime.dot_dy, a="b_dot_dy_a(t, x, y, K)")
    _B(runtime.reshape_dx, "b_reshape_dx(t, like, order)")
    _B(runtime.transpose_dx, "b_transpose_dx(t, axes)")
