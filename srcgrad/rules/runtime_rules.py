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

from srcgrad.runtime import (  # noqa: F401  (used in templates)
    add_at, astype_dx, check_scalar, cumsum_dx, diag_dx, diagonal_dx, dot_dx, dot_dy, expand,
    fit,
    inner_dx, inner_dy, inv_da, kron_dx, kron_dy, matmul_dx, matmul_dy, not_a_view, pad_dx,
    repeat_dx, reshape_dx, take_dx, tensordot_dx, tensordot_dy, tile_dx, trace_dx, transpose_dx,
    unbroadcast, unreduce, unreduce_extreme, unreduce_mean, written_adjoint, zeros_like,
    item_adjoint, item_adjoint_t, own, sum_dx, sum_dx_t, add_item, add_item_dv, restructure,
    seq_extreme_dx, seq_extreme_tangent, element_unshared,
    restructure_t, restructure_t_dh, is_view)
from srcgrad.runtime import (  # noqa: F401  (used in templates)
    array_dx, concatenate_dx, div_or_zero, hstack_dx, pad_tangent, pad_values_dx,
    pad_values_tangent, sequence_dx_t, stack_dx, var_dx, var_dx_da, vstack_dx,
    norm_dx, norm_dx_a_t, norm_dx_n, norm_dx_n_t, norm_dx_x, einsum_dx, einsum_dx_slot,
    einsum_dx_swap, einsum_dx_t)
from srcgrad.runtime.forward import (  # noqa: F401  (used in templates)
    broadcast_like, rebroadcast, tape_not_differentiable, tape_pop, tape_push, written_adjoint_t)
from srcgrad.runtime.base import mT as _mT  # noqa: F401  (used in templates)
from srcgrad.runtime import cofactor, cofactor_singular  # noqa: F401  (used in templates)
from srcgrad import runtime as _runtime
from srcgrad.rules.registry import defjvp, defvjp, nondifferentiable

# values, not derivatives
nondifferentiable(zeros_like, check_scalar, not_a_view, is_view, element_unshared)
nondifferentiable(_runtime.check_unpack, _runtime.real_only)
nondifferentiable(cofactor_singular)            # (it raises)
# det's adjoint uses the cofactors only at a singular matrix: a second derivative there is
# refused when it runs (everywhere else det_da's source is differentiated)
defvjp(cofactor, "a", "cofactor_singular(g)")
defjvp(cofactor, "cofactor_singular(t)")
nondifferentiable(_runtime.check_method)
nondifferentiable(_runtime.check_sequence)
nondifferentiable(_runtime.try_call, _runtime.try_op)     # (what is raised, or None)

# the tape of a generated gradient: the forward transform pushes and pops a tangent
# tape beside it (srcgrad.forward.Forward.tape_op); these templates are never used there
defvjp(tape_push, "tape, value", "tape_not_differentiable(g)", "tape_not_differentiable(g)")
defjvp(tape_push, "tape_not_differentiable(t)", "tape_not_differentiable(t)")
defvjp(tape_pop, "tape", "tape_not_differentiable(g)")
defjvp(tape_pop, "tape_not_differentiable(t)")

# reducing and expanding adjoints: linear in the adjoint ``a``
defvjp(unbroadcast, "a, like", "rebroadcast(g, a)")
defjvp(unbroadcast, "unbroadcast(t, like)")
defvjp(rebroadcast, "h, a", "unbroadcast(g, h)")        # (its transpose)
defjvp(rebroadcast, "rebroadcast(t, a)")
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
       "add_item_dv(g, index, value)")     # (the part at index: of an array or a dict)
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
defvjp(pad_dx, "a, like, pad_width, mode='constant', stat_length=None, reflect_type='even'",
       "pad_tangent(g, pad_width, mode, stat_length, reflect_type)")
defjvp(pad_dx, "pad_dx(t, like, pad_width, mode, stat_length, reflect_type)")
defvjp(astype_dx, "a, like, dtype", "astype_dx(g, a, dtype)")
defjvp(astype_dx, "astype_dx(t, like, dtype)")

# element writes into a list or an array (srcgrad.reverse, container_setitem)
defvjp(own, "v", "g")
defjvp(own, "own(t)")
defvjp(item_adjoint, "d, key, v", "item_adjoint_t(g, d, key, v)")
defjvp(item_adjoint, "item_adjoint(t, key, v)")
defvjp(restructure, "a, like", "restructure_t(g, a)")
defjvp(restructure, "restructure(t, like)")
# its transposes (linear in their first argument): any order through restructure
defvjp(restructure_t, "h, a", "restructure_t_dh(g, h)")
defjvp(restructure_t, "restructure_t(t, a)")
defvjp(restructure_t_dh, "d, h", "restructure_t(g, d)")
defjvp(restructure_t_dh, "restructure_t_dh(t, h)")
# sum(list): the result's adjoint goes to each element
defvjp(sum_dx, "a, iterable", "sum_dx_t(g, a, iterable)")
defjvp(sum_dx, "sum_dx(t, iterable)")
# max(list) / min(list): the adjoint goes to the extreme element (linear in it;
# the element's index is constant near the point)
defvjp(seq_extreme_dx, "a, iterable, m", "seq_extreme_tangent(g, iterable, m)")
defjvp(seq_extreme_dx, "seq_extreme_dx(t, iterable, m)")
defvjp(seq_extreme_tangent, "a, iterable, m", "seq_extreme_dx(g, iterable, m)")
defjvp(seq_extreme_tangent, "seq_extreme_tangent(t, iterable, m)")

# np.std's adjoint (0 where std is 0) and np.var's: linear in the adjoint ``a``,
# and var_dx in ``x`` too (its mean-free part)
defvjp(div_or_zero, "num, den", "div_or_zero(g, den)", "-div_or_zero(g * num, den * den)",
       kind="elementwise")
defvjp(var_dx, "a, x, axis=None, ddof=0, keepdims=False, correction=None",
       "unbroadcast(var_dx_da(g, x, axis, ddof, keepdims, correction), a)",
       "var_dx(1.0, g * unreduce(a, x, axis, keepdims), axis, ddof, keepdims, correction)")
defjvp(var_dx, a="var_dx(t, x, axis, ddof, keepdims, correction)",
       x="var_dx(a, t, axis, ddof, keepdims, correction)")
defvjp(pad_values_dx, "a, like, pad_width, values", "pad_values_tangent(g, like, pad_width)")
defjvp(pad_values_dx, "pad_values_dx(t, like, pad_width, values)")

# the pieces of a sequence (np.concatenate, np.stack, ...; np.array of a list):
# linear in the adjoint ``a``, the sequence ``like`` read for its shapes
defvjp(concatenate_dx, "a, like, axis=0", "np.concatenate(sequence_dx_t(g, like), axis=axis)")
defjvp(concatenate_dx, "concatenate_dx(t, like, axis)")
defvjp(stack_dx, "a, like, axis=0", "np.stack(sequence_dx_t(g, like), axis=axis)")
defjvp(stack_dx, "stack_dx(t, like, axis)")
defvjp(hstack_dx, "a, like", "np.hstack(sequence_dx_t(g, like))")
defjvp(hstack_dx, "hstack_dx(t, like)")
defvjp(vstack_dx, "a, like", "np.vstack(sequence_dx_t(g, like))")
defjvp(vstack_dx, "vstack_dx(t, like)")

# np.linalg.norm's adjoint: linear in ``a``; in ``x`` and in the norm ``n`` see runtime
defvjp(norm_dx, "a, x, n, ord=None, axis=None, keepdims=False",
       "unbroadcast(norm_dx_a_t(g, x, n, ord, axis, keepdims), a)",
       "norm_dx_x(a, x, n, g, ord, axis, keepdims)",
       "norm_dx_n_t(a, x, n, g, ord, axis, keepdims)")
defjvp(norm_dx, a="norm_dx(t, x, n, ord, axis, keepdims)",
       x="norm_dx_x(a, x, n, t, ord, axis, keepdims)",
       n="norm_dx_n(a, x, n, t, ord, axis, keepdims)")

# np.einsum's adjoint: multilinear (see runtime.einsum_dx_slot)
defvjp(einsum_dx, "a, subscripts, i, x0=None, x1=None, x2=None",
       "einsum_dx_t(g, subscripts, i, x0, x1, x2)", None, None,
       "einsum_dx_swap(a, subscripts, i, 0, g, x0, x1, x2)",
       "einsum_dx_swap(a, subscripts, i, 1, g, x0, x1, x2)",
       "einsum_dx_swap(a, subscripts, i, 2, g, x0, x1, x2)")
defjvp(einsum_dx, a="einsum_dx(t, subscripts, i, x0, x1, x2)",
       x0="einsum_dx_slot(a, subscripts, i, 0, t, x0, x1, x2)",
       x1="einsum_dx_slot(a, subscripts, i, 1, t, x0, x1, x2)",
       x2="einsum_dx_slot(a, subscripts, i, 2, t, x0, x1, x2)")


#: every helper given a rule here (tests/test_higher.py checks each one)
RUNTIME_RULES = (unbroadcast, fit, expand, unreduce, unreduce_mean, unreduce_extreme, add_at,
                 written_adjoint, matmul_dx, matmul_dy, dot_dx, dot_dy, inner_dx, inner_dy,
                 tensordot_dx, tensordot_dy, kron_dx, kron_dy, inv_da, reshape_dx, transpose_dx,
                 cumsum_dx, diag_dx, diagonal_dx, trace_dx, take_dx, tile_dx, repeat_dx, pad_dx,
                 astype_dx, broadcast_like, tape_push, tape_pop, div_or_zero, var_dx,
                 pad_values_dx, concatenate_dx, stack_dx, hstack_dx, vstack_dx, norm_dx,
                 einsum_dx, rebroadcast, restructure_t, restructure_t_dh)

# containers: iterators, dict views and dict methods (srcgrad/analyse.py's container
# rules).  Each helper is linear in the adjoint ``a`` and reads the others only for
# their structure (keys, length, shape): the tangent is the helper applied to the
# tangent, the adjoint the matching tangent helper (which maps the other way).
from srcgrad.runtime import (  # noqa: E402,F401  (used in templates)
    enumerate_dx, enumerate_tangent, get_default_dx, get_default_tangent, get_dx, get_tangent,
    items_dx, items_tangent, iter_list_dx, iter_list_tangent, list_dx, list_tangent,
    reversed_dx, reversed_tangent, seq_repeat_dx, seq_repeat_tangent, values_dx, values_tangent,
    view_sum_dx, zip_dx, zip_tangent)

defvjp(iter_list_dx, "a, iterable", "iter_list_tangent(g, iterable, a)")
defjvp(iter_list_dx, "iter_list_dx(t, iterable)")
defvjp(list_dx, "a, iterable", "list_tangent(g, iterable)")
defjvp(list_dx, "list_dx(t, iterable)")
defvjp(seq_repeat_dx, "a, x, n", "seq_repeat_tangent(g, x, n)")
defjvp(seq_repeat_dx, "seq_repeat_dx(t, x, n)")
defvjp(enumerate_dx, "a, iterable", "enumerate_tangent(g, iterable)")
defjvp(enumerate_dx, "enumerate_dx(t, iterable)")
defvjp(zip_dx, "a, which, *iterables", "zip_tangent(g, which, *iterables)")
defjvp(zip_dx, "zip_dx(t, which, *iterables)")
defvjp(reversed_dx, "a, seq", "reversed_tangent(g, seq)")
defjvp(reversed_dx, "reversed_dx(t, seq)")
defvjp(get_dx, "a, x, key", "get_tangent(g, x, key, a)")
defjvp(get_dx, "get_dx(t, x, key)")
defvjp(get_default_dx, "a, x, key, default", "get_default_tangent(g, x, key, a)")
defjvp(get_default_dx, "get_default_dx(t, x, key, default)")
defvjp(values_dx, "a, x", "values_tangent(g, x)")
defjvp(values_dx, "values_dx(t, x)")
defvjp(items_dx, "a, x", "items_tangent(g, x)")
defjvp(items_dx, "items_dx(t, x)")
defvjp(view_sum_dx, "a, view", "sum(g)")
defjvp(view_sum_dx, "view_sum_dx(t, view)")

# their tangents, linear in ``a`` too, have the adjoint helpers as their transposes: the
# pairs close under differentiation at any order (the tangents' sources read iterators,
# which srcgrad does not differentiate through)
defvjp(iter_list_tangent, "a, iterable, ans", "iter_list_dx(g, iterable)")
defjvp(iter_list_tangent, "iter_list_tangent(t, iterable, ans)")
defvjp(list_tangent, "a, iterable", "list_dx(g, iterable)")
defjvp(list_tangent, "list_tangent(t, iterable)")
defvjp(seq_repeat_tangent, "a, x, n", "seq_repeat_dx(g, x, n)")
defjvp(seq_repeat_tangent, "seq_repeat_tangent(t, x, n)")
defvjp(enumerate_tangent, "a, iterable", "enumerate_dx(g, iterable)")
defjvp(enumerate_tangent, "enumerate_tangent(t, iterable)")
defvjp(zip_tangent, "a, which, *iterables", "zip_dx(g, which, *iterables)")
defjvp(zip_tangent, "zip_tangent(t, which, *iterables)")
defvjp(reversed_tangent, "a, seq", "reversed_dx(g, seq)")
defjvp(reversed_tangent, "reversed_tangent(t, seq)")
defvjp(get_tangent, "a, x, key, ans", "get_dx(g, x, key)")
defjvp(get_tangent, "get_tangent(t, x, key, ans)")
defvjp(get_default_tangent, "a, x, key, ans", "get_default_dx(g, x, key, a)")
defjvp(get_default_tangent, "get_default_tangent(t, x, key, ans)")
defvjp(values_tangent, "a, x", "values_dx(g, x)")
defjvp(values_tangent, "values_tangent(t, x)")
defvjp(items_tangent, "a, x", "items_dx(g, x)")
defjvp(items_tangent, "items_tangent(t, x)")

#: the container helpers given a rule here (tests/test_soundness_activity.py)
CONTAINER_RUNTIME_RULES = (iter_list_dx, list_dx, enumerate_dx, zip_dx, reversed_dx, get_dx,
                           get_default_dx, values_dx, items_dx, view_sum_dx,
                           iter_list_tangent, list_tangent, enumerate_tangent, zip_tangent,
                           reversed_tangent, get_tangent, get_default_tangent, values_tangent,
                           items_tangent, seq_repeat_dx, seq_repeat_tangent)

# array constructions differentiable in their values (numpy_rules.py): linear in ``a``
from srcgrad.runtime import (  # noqa: E402,F401  (used in templates)
    arange_dx, arange_tangent, bincount_dw, dtype_of, full_dx, linspace_dx, linspace_tangent)
from srcgrad.runtime.forward import rebroadcast  # noqa: E402,F401

nondifferentiable(dtype_of)
defvjp(linspace_dx, "a, start, stop, num=50, endpoint=True, dtype=None, axis=0, which=0",
       "linspace_tangent(g, start, stop, num, endpoint, dtype, axis, which, "
       "np.linspace(start, stop, num, endpoint, dtype=dtype, axis=axis))")
defjvp(linspace_dx, "linspace_dx(t, start, stop, num, endpoint, dtype, axis, which)")
defvjp(arange_dx, "a, start, stop=None, step=1, dtype=None, which=0",
       "arange_tangent(g, start, stop, step, which, np.arange(start, stop, step, dtype=dtype))")
defjvp(arange_dx, "arange_dx(t, start, stop, step, dtype, which)")
defvjp(full_dx, "a, fill_value, like_dtype=None, dtype=None", "rebroadcast(g, a)")
defjvp(full_dx, "full_dx(t, fill_value, like_dtype, dtype)")
defvjp(bincount_dw, "a, x, weights", "np.bincount(x, g, len(a))")
defjvp(bincount_dw, "bincount_dw(t, x, weights)")

#: the construction helpers given a rule here (tests/test_soundness_activity.py)
CONSTRUCTION_RUNTIME_RULES = (linspace_dx, arange_dx, full_dx, bincount_dw)

# np.r_[...] / np.c_[...] (srcgrad/analyse.py): linear in ``a``
from srcgrad.runtime import index_concat_dx, index_concat_tangent  # noqa: E402,F401

defvjp(index_concat_dx, "a, kind, which, *items", "index_concat_tangent(g, kind, which, *items)")
defjvp(index_concat_dx, "index_concat_dx(t, kind, which, *items)")
defvjp(index_concat_tangent, "a, kind, which, *items", "index_concat_dx(g, kind, which, *items)")
defjvp(index_concat_tangent, "index_concat_tangent(t, kind, which, *items)")
CONSTRUCTION_RUNTIME_RULES += (index_concat_dx, index_concat_tangent)

from srcgrad.runtime import item_dx  # noqa: E402,F401  (x.item(): numpy_rules.py)

defvjp(item_dx, "a, x, args=()", "np.asarray(g).item(*args)")
defjvp(item_dx, "item_dx(t, x, args)")
CONSTRUCTION_RUNTIME_RULES += (item_dx,)

# d = add_item(d, x, key, v): the adjoint ``d`` of a container with ``v`` added at ``key``
from srcgrad.runtime import add_item, add_item_dv  # noqa: E402,F401

defvjp(add_item, "d, x, key, v", "g", None, None, "add_item_dv(g, key, v)")
defjvp(add_item, d="t", v="add_item(zeros_like(x), x, key, t)")
# its part at ``key`` (linear in the container's adjoint h): third and higher derivatives
defvjp(add_item_dv, "h, key, v", "add_item(zeros_like(h), h, key, g)")
defjvp(add_item_dv, h="add_item_dv(t, key, v)")
CONTAINER_RUNTIME_RULES += (add_item,)

# element(g, i) / entry(g, k): an element of an adjoint or tangent of a container, read in
# the helpers' sources; linear in ``a``, their transposes put ``g`` back at ``i``
from srcgrad.runtime import element, element_t, entry, entry_t  # noqa: E402,F401

defvjp(element, "a, i", "element_t(g, a, i)")
defjvp(element, "element(t, i)")
defvjp(element_t, "h, a, i", "add_item_dv(g, i, h)")
defjvp(element_t, "element_t(t, a, i)")
defvjp(entry, "a, k", "entry_t(g, a, k)")
defjvp(entry, "entry(t, k)")
defvjp(entry_t, "h, a, k", "entry(g, k)")
defjvp(entry_t, "entry_t(t, a, k)")
CONTAINER_RUNTIME_RULES += (element, element_t, entry, entry_t)

# sum(list) and np.array(list) in a gradient differentiated again (hvp): linear in ``a``
from srcgrad.runtime import array_dx, array_dx_t, sum_dx, sum_dx_t  # noqa: E402,F401

defvjp(sum_dx, "a, iterable", "sum_dx_t(g, a, iterable)")
defjvp(sum_dx, "sum_dx(t, iterable)")
# max(list) / min(list): the adjoint goes to the extreme element (linear in it;
# the element's index is constant near the point)
defvjp(seq_extreme_dx, "a, iterable, m", "seq_extreme_tangent(g, iterable, m)")
defjvp(seq_extreme_dx, "seq_extreme_dx(t, iterable, m)")
defvjp(seq_extreme_tangent, "a, iterable, m", "seq_extreme_dx(g, iterable, m)")
defjvp(seq_extreme_tangent, "seq_extreme_tangent(t, iterable, m)")
defvjp(array_dx, "a, obj, dtype=None", "array_dx_t(g, a, obj, dtype)")
defjvp(array_dx, "array_dx(t, obj, dtype)")
CONTAINER_RUNTIME_RULES += (sum_dx, array_dx)

from srcgrad.runtime import copy_dx, copy_dx_t  # noqa: E402,F401  (np.copy(list))

defvjp(copy_dx, "x, a", "copy_dx_t(g, x, a)")
defjvp(copy_dx, "copy_dx(t, a)")
CONTAINER_RUNTIME_RULES += (copy_dx,)
# their transposes (linear in the first argument): one order more through np.array(list)
# and np.copy(list) (tests/test_closure.py)
defvjp(array_dx_t, "h, a, obj, dtype=None", "array_dx(g, obj)")
defjvp(array_dx_t, "array_dx_t(t, a, obj, dtype)")
defvjp(copy_dx_t, "h, x, a", "copy_dx(g, a)")
defjvp(copy_dx_t, "copy_dx_t(t, x, a)")
CONTAINER_RUNTIME_RULES += (array_dx_t, copy_dx_t)

from srcgrad.runtime import sorted_dx, sorted_tangent  # noqa: E402,F401  (sorted(list))

defvjp(sorted_dx, "a, iterable, key=None, reverse=False",
       "sorted_tangent(g, iterable, key, reverse)")
defjvp(sorted_dx, "sorted_dx(t, iterable, key, reverse)")
defvjp(sorted_tangent, "a, iterable, key=None, reverse=False",
       "sorted_dx(g, iterable, key, reverse)")
defjvp(sorted_tangent, "sorted_tangent(t, iterable, key, reverse)")
CONTAINER_RUNTIME_RULES += (sorted_dx, sorted_tangent)

# attribute assignment as a new object (runtime/objects.py): p = set_field(p, name, v)
# moves values around (the object's other fields from x, the new one from v); its
# helpers are linear in the adjoint ``a`` and read x only for its class (named tuples)
from srcgrad.runtime import (  # noqa: E402,F401  (used in templates)
    check_field_iadd, check_unshared, field_dx, field_put, field_tangent, replace_dx, set_field,
    set_field_dx)

nondifferentiable(check_field_iadd, check_unshared)
defvjp(set_field, "x, name, v", "set_field_dx(g, x, name)", None, "field_dx(g, x, name, v)")
defjvp(set_field, x="set_field_dx(t, ans, name)", v="field_tangent(t, ans, name)")
defvjp(set_field_dx, "a, x, name", "set_field_dx(g, x, name)")
defjvp(set_field_dx, "set_field_dx(t, x, name)")
defvjp(field_dx, "a, x, name, v", "field_put(g, x, name)")
defjvp(field_dx, "field_dx(t, x, name, v)")
defvjp(field_put, "a, x, name", "field_dx(g, x, name, a)")
defjvp(field_put, "field_put(t, x, name)")
defvjp(field_tangent, "a, x, name", "field_dx(g, x, name, a)")
defjvp(field_tangent, "field_tangent(t, x, name)")
# (dataclasses.replace and _replace: container rules, analysis/container_calls.py)
defvjp(replace_dx, "a, x, names", "replace_dx(g, x, names)")
defjvp(replace_dx, "replace_dx(t, x, names)")
CONTAINER_RUNTIME_RULES += (set_field, set_field_dx, field_dx, field_put, field_tangent,
                            replace_dx)

#: the helpers of element writes and of ``sum`` of a list given a rule here
#: (tests/test_soundness_aliasing.py checks each one)
WRITE_RULES = (own, item_adjoint, sum_dx, add_item, restructure)

# the helpers of numpy_more_rules.py: linear in the adjoint ``d`` (the transposed
# operation), and the bilinear ones linear in the other factor (the same helper with
# the factors exchanged); labels, sort orders and masks carry no derivative
from srcgrad.runtime import (  # noqa: E402,F401  (used in templates)
    append_labels, column_stack_dx, conv_pad, conv_unpad, cross_da, cross_db, delete_labels,
    diff_dx, diff_dx_t, dstack_dx, ediff1d_dx, ediff1d_t,
    gather_dx, gather_t, gradient_dx, hsplit_axis, insert_labels, interp_dfp, interp_dslope,
    interp_dx, interp_outside, interp_zero, matrix_power_dx, matrix_power_dx2, multi_dot_dx,
    multi_dot_dx2, nanvar_dx, perm_labels, polyder_c, polyder_t, polyval_dp, quantile_dx,
    rollaxis_dest, select_dx, select_none, split_dx, split_dx_t, trapezoid_ddx, trapezoid_dx,
    trapezoid_dy)
from srcgrad.runtime.forward import (  # noqa: E402,F401  (used in templates)
    matrix_power_tangent, multi_dot_tangent, quantile_tangent, trapezoid_tdx)

nondifferentiable(append_labels, delete_labels, insert_labels, perm_labels, select_none,
                  interp_outside, interp_zero, hsplit_axis, rollaxis_dest)
defvjp(gather_dx, "d, labels, like, which=0", "gather_t(g, labels, like, which)")
defjvp(gather_dx, "gather_dx(t, labels, like, which)")
defvjp(gather_t, "d, labels, like, which=0", "gather_dx(g, labels, like, which)")
defjvp(gather_t, "gather_t(t, labels, like, which)")
defvjp(quantile_dx, "d, x, q, axis=None, keepdims=False, method='linear'",
       "unbroadcast(quantile_tangent(g, x, q, axis, keepdims, method), d)")
defjvp(quantile_dx, "quantile_dx(t, x, q, axis, keepdims, method)")
defvjp(diff_dx, "d, x, n=1, axis=-1, prepend=None, append=None, which=0",
       "unbroadcast(diff_dx_t(g, x, n, axis, prepend, append, which), d)")
defjvp(diff_dx, "diff_dx(t, x, n, axis, prepend, append, which)")
defvjp(diff_dx_t, "d, x, n=1, axis=-1, prepend=None, append=None, which=0",
       "unbroadcast(diff_dx(g, x, n, axis, prepend, append, which), d)")
defjvp(diff_dx_t, "diff_dx_t(t, x, n, axis, prepend, append, which)")
defvjp(ediff1d_dx, "d, ary, to_end=None, to_begin=None, which=0",
       "unbroadcast(ediff1d_t(g, ary, to_end, to_begin, which), d)")
defjvp(ediff1d_dx, "ediff1d_dx(t, ary, to_end, to_begin, which)")
defvjp(ediff1d_t, "d, ary, to_end=None, to_begin=None, which=0",
       "unbroadcast(ediff1d_dx(g, ary, to_end, to_begin, which), d)")
defjvp(ediff1d_t, "ediff1d_t(t, ary, to_end, to_begin, which)")
defvjp(conv_pad, "d, a, v, mode='full', corr=False", "unbroadcast(conv_unpad(g, a, v, mode, corr), d)")
defjvp(conv_pad, "conv_pad(t, a, v, mode, corr)")
defvjp(conv_unpad, "d, a, v, mode='full', corr=False", "unbroadcast(conv_pad(g, a, v, mode, corr), d)")
defjvp(conv_unpad, "conv_unpad(t, a, v, mode, corr)")
defvjp(select_dx, "d, condlist, choicelist",
       "broadcast_like(np.select(condlist, sequence_dx_t(g, choicelist), 0.0), d)")
defjvp(select_dx, "select_dx(t, condlist, choicelist)")
defvjp(dstack_dx, "d, like", "np.dstack(sequence_dx_t(g, like))")
defjvp(dstack_dx, "dstack_dx(t, like)")
defvjp(column_stack_dx, "d, like", "np.column_stack(sequence_dx_t(g, like))")
defjvp(column_stack_dx, "column_stack_dx(t, like)")
defvjp(split_dx, "d, ary, axis=0", "split_dx_t(g, d, axis)")
defjvp(split_dx, "split_dx(t, ary, axis)")
defvjp(nanvar_dx, "d, x, axis=None, ddof=0, keepdims=False, correction=None",
       "unbroadcast(np.sum(g * nanvar_dx(1.0, x, axis, ddof, True, correction), axis=axis, "
       "keepdims=keepdims), d)",
       "nanvar_dx(d, np.where(np.isnan(x), np.nan, g), axis, ddof, keepdims, correction)")
defjvp(nanvar_dx, d="nanvar_dx(t, x, axis, ddof, keepdims, correction)",
       x="nanvar_dx(d, np.where(np.isnan(x), np.nan, t), axis, ddof, keepdims, correction)")
defvjp(gradient_dx, "d, f, varargs=(), axis=None, edge_order=1",
       "np.gradient(g, *varargs, axis=axis, edge_order=edge_order)")
defjvp(gradient_dx, "gradient_dx(t, f, varargs, axis, edge_order)")
# trapezoid: y-adjoint bilinear in d and the spacing, x-adjoint in d and y
defvjp(trapezoid_dy, "d, y, x=None, dx=1.0, axis=-1, dx_part=False",
       "unbroadcast(np.trapezoid(g, x, dx, axis), d)", None, "trapezoid_dx(d, g, x, axis)",
       "trapezoid_ddx(d, g, x, dx, axis)")
defjvp(trapezoid_dy, d="trapezoid_dy(t, y, x, dx, axis, dx_part)", x="trapezoid_dy(d, y, t, dx, axis)",
       dx="trapezoid_dy(d, y, x, t, axis, True)")
defvjp(trapezoid_dx, "d, y, x, axis=-1", "unbroadcast(np.trapezoid(y, g, axis=axis), d)",
       "trapezoid_dy(d, y, g, 1.0, axis)")
defjvp(trapezoid_dx, d="trapezoid_dx(t, y, x, axis)", y="trapezoid_dx(d, t, x, axis)")
defvjp(trapezoid_ddx, "d, y, x=None, dx=1.0, axis=-1", "unbroadcast(trapezoid_tdx(g, y, x, axis), d)",
       "trapezoid_dy(d, y, x, g, axis, True)")
defjvp(trapezoid_ddx, d="trapezoid_ddx(t, y, x, dx, axis)", y="trapezoid_ddx(d, t, x, dx, axis)")
# interp: the slope is piecewise constant in x, linear in fp
defvjp(interp_dx, "d, x, xp, fp", "unbroadcast(interp_dx(g, x, xp, fp), d)", None, None,
       "interp_dslope(g * d, x, xp, fp)")
defjvp(interp_dx, d="interp_dx(t, x, xp, fp)", fp="interp_dx(d, x, xp, t)")
defvjp(interp_dslope, "d, x, xp, fp", "unbroadcast(interp_dx(1.0, x, xp, g), d)")
defjvp(interp_dslope, "interp_dslope(t, x, xp, fp)")
defvjp(interp_dfp, "d, x, xp, fp, left=None, right=None",
       "unbroadcast(np.interp(x, xp, g, interp_zero(left), interp_zero(right)), d)",
       "interp_dx(d, x, xp, g)")
defjvp(interp_dfp, d="interp_dfp(t, x, xp, fp, left, right)", x="interp_dslope(d * t, x, xp, fp)")
defvjp(polyder_c, "p", "polyder_t(g, p)")
defjvp(polyder_c, "polyder_c(t)")
defvjp(polyder_t, "d, p", "polyder_c(g)")
defjvp(polyder_t, "polyder_t(t, p)")
defvjp(polyval_dp, "d, p, x", "unbroadcast(np.polyval(g, x), d)", None,
       "unbroadcast(d * np.polyval(polyder_c(g), x), x)")
defjvp(polyval_dp, d="polyval_dp(t, p, x)", x="polyder_t(polyval_dp(d * t, polyder_c(p), x), p)")
defvjp(cross_da, "d, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None",
       "unbroadcast(np.cross(g, b, axisa, axisb, axisc, axis), d)", None,
       "cross_db(d, g, b, axisa, axisb, axisc, axis)")
defjvp(cross_da, d="cross_da(t, a, b, axisa, axisb, axisc, axis)",
       b="cross_da(d, a, t, axisa, axisb, axisc, axis)")
defvjp(cross_db, "d, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None",
       "unbroadcast(np.cross(a, g, axisa, axisb, axisc, axis), d)",
       "cross_da(d, a, g, axisa, axisb, axisc, axis)")
defjvp(cross_db, d="cross_db(t, a, b, axisa, axisb, axisc, axis)",
       a="cross_db(d, t, b, axisa, axisb, axisc, axis)")
# matrix_power_dx is the gradient of <d, a^n>: its derivative in a is symmetric
defvjp(matrix_power_dx, "d, a, n", "unbroadcast(matrix_power_tangent(g, a, n), d)",
       "matrix_power_dx2(d, a, g, n)")
defjvp(matrix_power_dx, d="matrix_power_dx(t, a, n)", a="matrix_power_dx2(d, a, t, n)")
defvjp(multi_dot_dx, "d, arrays", "unbroadcast(multi_dot_tangent(g, arrays), d)",
       "multi_dot_dx2(d, arrays, g)")
defjvp(multi_dot_dx, d="multi_dot_dx(t, arrays)", arrays="multi_dot_dx2(d, arrays, t)")

# adjoints of the linear helpers above (reverse over reverse, and one order more)
defvjp(quantile_tangent, "d, x, q, axis=None, keepdims=False, method='linear'",
       "quantile_dx(g, x, q, axis, keepdims, method)")
defjvp(quantile_tangent, "quantile_tangent(t, x, q, axis, keepdims, method)")
defvjp(split_dx_t, "d, pieces, axis=0", "split_dx(g, pieces, axis)")
defjvp(split_dx_t, "split_dx_t(t, pieces, axis)")

#: the helpers of numpy_more_rules.py given a rule here (tests/test_lib_numpy.py)
ARRAY_RUNTIME_RULES = (quantile_tangent, split_dx_t, gather_dx, gather_t, quantile_dx, diff_dx,
                       diff_dx_t, ediff1d_dx, ediff1d_t, conv_pad, conv_unpad, select_dx, dstack_dx,
                       column_stack_dx, split_dx, nanvar_dx, gradient_dx, trapezoid_dy, trapezoid_dx,
                       trapezoid_ddx, interp_dx, interp_dslope, interp_dfp, polyder_c, polyder_t,
                       polyval_dp, cross_da, cross_db, matrix_power_dx, multi_dot_dx)

# the tangents of copies and conversions (in hvp code: third derivatives)
from srcgrad.runtime.forward import astype_tangent, copy_tangent  # noqa: E402,F401
defvjp(copy_tangent, "x, ans=None", "copy_dx(g, x)")
defjvp(copy_tangent, "copy_tangent(t, ans)")
defvjp(astype_tangent, "x, ans",
       "array_dx(g, x, None) if np.issubdtype(np.result_type(ans), np.inexact) else zeros_like(x)")
defjvp(astype_tangent, "astype_tangent(t, ans)")
#: tangent helpers of copies and conversions given a rule here (tests/test_closure.py)
TANGENT_RUNTIME_RULES = (copy_tangent, astype_tangent)
