"""Rules for srcgrad's own runtime helpers, so that generated code can be
differentiated again (``srcgrad.hvp``, ``srcgrad.hessian``: forward mode over
the generated gradient; ``grad`` of a gradient).

They are declared with the public ``defvjp``/``defjvp``, like any user's
rule.  Almost every helper is linear in its first argument (the adjoint it
transforms) and reads the others only for their shapes, axes or indices; the
products' adjoints (``matmul_dx(g, x, y)``) are bilinear in the adjoint and
the other factor.  So the tangent is the helper applied to the tangent, and
the adjoint is the transposed operation (``unreduce`` ↔ ``np.sum``,
``unbroadcast`` ↔ broadcasting, ``matmul_dx`` ↔ ``@``).  Parameters read only
for their shape carry no derivative (no template).  Helpers without a rule
here (``var_dx``, ``norm_dx``, ``solve_da`` ...) make a second derivative
through them a clear "no rule" error instead of a wrong number.

Parameter names avoid ``g``, ``t`` and ``ans``, which templates reserve.
"""

import numpy as np  # noqa: F401  (used in templates)

from ..runtime import (  # noqa: F401  (used in templates)
    _mT, add_at, astype_dx, check_scalar, cumsum_dx, diag_dx, diagonal_dx, dot_dx, dot_dy, expand,
    fit,
    inner_dx, inner_dy, inv_da, kron_dx, kron_dy, matmul_dx, matmul_dy, not_a_view, pad_dx,
    repeat_dx, reshape_dx, take_dx, tensordot_dx, tensordot_dy, tile_dx, trace_dx, transpose_dx,
    unbroadcast, unreduce, unreduce_extreme, unreduce_mean, written_adjoint, zeros_like)
from ..runtime_forward import (  # noqa: F401  (used in templates)
    broadcast_like, rebroadcast, tape_not_differentiable, tape_pop, tape_push, written_adjoint_t)
from .. import inline as _inline
from .. import runtime as _runtime
from .registry import defjvp, defvjp, nondifferentiable

# values, not derivatives
nondifferentiable(zeros_like, check_scalar, not_a_view)
nondifferentiable(_inline.check_method)
nondifferentiable(_runtime.check_sequence)

# the tape of a generated gradient: the forward transform pushes and pops a tangent
# tape beside it (srcgrad.forward.Forward.tape_op); these templates are never used there
defvjp(tape_push, "tape, value", "tape_not_differentiable(g)", "tape_not_differentiable(g)")
defjvp(tape_push, "tape_not_differentiable(t)", "tape_not_differentiable(t)")
defvjp(tape_pop, "tape", "tape_not_differentiable(g)")
defjvp(tape_pop, "tape_not_differentiable(t)")

# reducing and expanding adjoints: linear in the adjoint ``a``
defvjp(unbroadcast, "a, like", "rebroadcast(g, a)")
defjvp(unbroadcast, "unbroadcast(t, like)")
defvjp(fit, "a, like", "rebroadcast(g, a)")
defjvp(fit, "fit(t, like)")
defvjp(expand, "a, like", "unbroadcast(g, a)")
defjvp(expand, "expand(t, like)")
defvjp(unreduce, "a, like, axis=None, keepdims=False",
       "unbroadcast(np.sum(g, axis=axis, keepdims=keepdims), a)")
defjvp(unreduce, "unreduce(t, like, axis, keepdims)")
defvjp(unreduce_mean, "a, like, axis=None, keepdims=False",
       "unbroadcast(np.mean(g, axis=axis, keepdims=keepdims), a)")
defjvp(unreduce_mean, "unreduce_mean(t, like, axis, keepdims)")
# max/min: the share of each element is piecewise constant in the values
defvjp(unreduce_extreme, "a, like, result, axis=None, keepdims=False",
       "unbroadcast(np.sum(g * unreduce_extreme(np.ones(np.shape(a)), like, result, axis, keepdims), axis=axis, "
       "keepdims=keepdims), a)")
defjvp(unreduce_extreme, "unreduce_extreme(t, like, result, axis, keepdims)")

# forward mode's own helpers (reverse mode over generated jvp code)
defvjp(broadcast_like, "t_in, like", "unbroadcast(g, t_in)")
defjvp(broadcast_like, "broadcast_like(t, like)")

# indexed accumulation and writes
defvjp(add_at, "d, like, index, value", "unbroadcast(g, d)", None, None,
       "unbroadcast(np.asarray(g)[index], value)")
defjvp(add_at, d="broadcast_like(t, ans)", value="add_at(zeros_like(like), like, index, t)")
defvjp(written_adjoint, "a, index", "written_adjoint_t(g, a, index)")
defjvp(written_adjoint, "written_adjoint(t, index)")

# products: bilinear in the adjoint ``a`` and the other factor
defvjp(matmul_dx, "a, x, y", "np.matmul(g, y)", None, "matmul_dy(a, g, y)")
defjvp(matmul_dx, a="matmul_dx(t, x, y)", y="matmul_dx(a, x, t)")
defvjp(matmul_dy, "a, x, y", "np.matmul(x, g)", "matmul_dx(a, x, g)")
defjvp(matmul_dy, a="matmul_dy(t, x, y)", x="matmul_dy(a, t, y)")
defvjp(dot_dx, "a, x, y", "np.dot(g, y)", None, "dot_dy(a, g, y)")
defjvp(dot_dx, a="dot_dx(t, x, y)", y="dot_dx(a, x, t)")
defvjp(dot_dy, "a, x, y", "np.dot(x, g)", "dot_dx(a, x, g)")
defjvp(dot_dy, a="dot_dy(t, x, y)", x="dot_dy(a, t, y)")
defvjp(inner_dx, "a, x, y", "np.inner(g, y)", None, "inner_dy(a, g, y)")
defjvp(inner_dx, a="inner_dx(t, x, y)", y="inner_dx(a, x, t)")
defvjp(inner_dy, "a, x, y", "np.inner(x, g)", "inner_dx(a, x, g)")
defjvp(inner_dy, a="inner_dy(t, x, y)", x="inner_dy(a, t, y)")
defvjp(tensordot_dx, "a, x, y, axes=2", "np.tensordot(g, y, axes)", None,
       "tensordot_dy(a, g, y, axes)")
defjvp(tensordot_dx, a="tensordot_dx(t, x, y, axes)", y="tensordot_dx(a, x, t, axes)")
defvjp(tensordot_dy, "a, x, y, axes=2", "np.tensordot(x, g, axes)", "tensordot_dx(a, x, g, axes)")
defjvp(tensordot_dy, a="tensordot_dy(t, x, y, axes)", x="tensordot_dy(a, t, y, axes)")
defvjp(kron_dx, "a, x, y", "np.kron(g, y)", None, "kron_dy(a, g, y)")
defjvp(kron_dx, a="kron_dx(t, x, y)", y="kron_dx(a, x, t)")
defvjp(kron_dy, "a, x, y", "np.kron(x, g)", "kron_dx(a, x, g)")
defjvp(kron_dy, a="kron_dy(t, x, y)", x="kron_dy(a, t, y)")
# inv_da(a, P) = -(P^T a P^T), P = inv(A): linear in a, quadratic in P
defvjp(inv_da, "a, inverse", "-(inverse @ g @ inverse)",
       "-(a @ _mT(inverse) @ _mT(g) + _mT(g) @ _mT(inverse) @ a)")
defjvp(inv_da, a="inv_da(t, inverse)",
       inverse="-(_mT(t) @ a @ _mT(inverse) + _mT(inverse) @ a @ _mT(t))")

# shape and construction: linear in the adjoint, the transposed operation
defvjp(reshape_dx, "a, like, order='C'", "reshape_dx(g, a, order)")
defjvp(reshape_dx, "reshape_dx(t, like, order)")
defvjp(transpose_dx, "a, axes=None", "np.transpose(g, axes)")
defjvp(transpose_dx, "transpose_dx(t, axes)")
defvjp(cumsum_dx, "a, like, axis=None", "np.cumsum(g, axis=axis)")
defjvp(cumsum_dx, "cumsum_dx(t, like, axis)")
defvjp(diag_dx, "a, like, k=0", "np.diag(g, k)")
defjvp(diag_dx, "diag_dx(t, like, k)")
defvjp(diagonal_dx, "a, like, offset=0, axis1=0, axis2=1", "np.diagonal(g, offset, axis1, axis2)")
defjvp(diagonal_dx, "diagonal_dx(t, like, offset, axis1, axis2)")
defvjp(trace_dx, "a, like, offset=0, axis1=0, axis2=1", "np.trace(g, offset, axis1, axis2)")
defjvp(trace_dx, "trace_dx(t, like, offset, axis1, axis2)")
defvjp(take_dx, "a, like, indices, axis=None", "np.take(g, indices, axis=axis)")
defjvp(take_dx, "take_dx(t, like, indices, axis)")
defvjp(tile_dx, "a, like, reps", "np.tile(g, reps)")
defjvp(tile_dx, "tile_dx(t, like, reps)")
defvjp(repeat_dx, "a, like, repeats, axis=None", "np.repeat(g, repeats, axis=axis)")
defjvp(repeat_dx, "repeat_dx(t, like, repeats, axis)")
defvjp(pad_dx, "a, like, pad_width, mode='constant'", "np.pad(g, pad_width)")
defjvp(pad_dx, "pad_dx(t, like, pad_width, mode)")
defvjp(astype_dx, "a, like, dtype", "astype_dx(g, a, dtype)")
defjvp(astype_dx, "astype_dx(t, like, dtype)")

#: every helper given a rule here (tests/test_higher.py checks each one)
RUNTIME_RULES = (unbroadcast, fit, expand, unreduce, unreduce_mean, unreduce_extreme, add_at,
                 written_adjoint, matmul_dx, matmul_dy, dot_dx, dot_dy, inner_dx, inner_dy,
                 tensordot_dx, tensordot_dy, kron_dx, kron_dy, inv_da, reshape_dx, transpose_dx,
                 cumsum_dx, diag_dx, diagonal_dx, trace_dx, take_dx, tile_dx, repeat_dx, pad_dx,
                 astype_dx, broadcast_like, tape_push, tape_pop)
