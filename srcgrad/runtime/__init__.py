"""Helpers that generated code calls: the runtime, one module per family.

Generated code uses plain arithmetic wherever it can; these helpers exist only
for the operations that need a shape decision at run time (reducing a
broadcast adjoint, expanding a reduced one, making zeros of an argument's
shape) and for the adjoints whose formula needs more than one line.  Each is
small, has a fast path for Python scalars, and needs nothing but NumPy, so
that exported gradient code can carry them along
(``srcgrad.source(df, standalone=True)`` copies their source).

The modules, from the bottom up (each imports only those above it)::

    base         the scalar types, axes, refusals shared by all
    containers   Adjoints, AdjointDict, Several: adjoints of containers
    batched      batched tangents: bx, bzeros, per_direction
    broadcast    unbroadcast, expand, unreduce, zeros_like
    structure    restructure, fit, as_adjoint: the caller's structure
    indexing     add_at, written_adjoint, take, views
    items        list, dict and attribute writes and their undo
    objects      attribute assignment as a new object (set_field), replace
    sequences    sum, max, +, list() of lists and tuples
    iterators    enumerate, zip, reversed, sorted, dict views
    boundary     argument checks and result types
    reductions   prod, var, cumsum, cumprod, average
    norms        np.linalg.norm
    products     matmul, dot, inner, tensordot, einsum, kron
    shape        reshape, transpose, tile, stack, split, astype
    pad          np.pad
    creation     linspace, arange, full, bincount
    linalg       np.linalg: solve, det, eigh, svd, qr, lstsq ...
    arrays       sort, quantile, diff, insert, delete, select, convolve ...
    calculus     gradient, trapezoid, interp, polyval, cross, matrix_power
    fft          np.fft: axes cut or padded, transform axes, irfft weights
    tape         the tape of a generated gradient, as functions
    tries        try statements: an operation tried before it runs

Each family holds its adjoints (``*_dx``), tangents (``*_tangent``) and
batched tangents (``b_*``).  This package exports the helpers of reverse
mode, :mod:`srcgrad.runtime.forward` those of forward mode; each helper's
``__module__`` is the namespace it is exported from (``base.publish``), so
that rule names read ``srcgrad.runtime.unbroadcast`` wherever it lives.

>>> unbroadcast.__module__
'srcgrad.runtime'
"""

from srcgrad.runtime import base

from srcgrad.runtime.containers import (  # noqa: F401
    AdjointDict, Adjoints, FieldAdjoints, element, entry)
from srcgrad.runtime.broadcast import (  # noqa: F401
    expand, unbroadcast, unreduce, unreduce_extreme, unreduce_mean, zeros_like)
from srcgrad.runtime.structure import (  # noqa: F401
    as_adjoint, fit, restructure, restructure_t, restructure_t_dh, sequence_dx_t, unstack)
from srcgrad.runtime.indexing import (  # noqa: F401
    add_at, element_unshared, index_concat_dx, index_concat_tangent, is_view, item_dx,
    not_a_view, own, take_dx, written_adjoint)
from srcgrad.runtime.items import (  # noqa: F401
    add_attr, add_item, add_item_dv, attr_tangent, element_t, entry_t, item_adjoint, item_adjoint_t, restore_item,
    save_item, shallow_copy, unpop, unpop_adjoint)
from srcgrad.runtime.objects import (  # noqa: F401
    check_field_iadd, check_unshared, field_dx, field_put, field_tangent, replace_dataclass,
    replace_dx, replace_namedtuple, set_field, set_field_dx)
from srcgrad.runtime.sequences import (  # noqa: F401
    concat_dx, concat_tangent, list_dx, list_tangent, seq_extreme_dx, seq_extreme_tangent,
    seq_repeat_dx, seq_repeat_n_dx, seq_repeat_tangent, sum_dx, sum_dx_t, view_sum_dx)
from srcgrad.runtime.iterators import (  # noqa: F401
    enumerate_dx, enumerate_tangent, get_default_dx, get_default_tangent, get_dx, get_tangent,
    items_dx, items_tangent, iter_list_dx, iter_list_tangent, reversed_dx, reversed_tangent,
    seq_adjoint, seq_items, sorted_dx, sorted_tangent, values_dx, values_tangent, zip_dx,
    zip_tangent)
from srcgrad.runtime.boundary import (  # noqa: F401
    check_argument, check_method, check_real, check_scalar, check_sequence, check_unpack,
    holds_complex, like_argument,
    like_arguments, like_value, number_sequence, real_only)
from srcgrad.runtime.reductions import (  # noqa: F401
    average_da, average_dw, cumprod_dx, cumprod_exact_dx, cumprod_tangent, cumsum_dx, div_or_zero,
    nanmean_dx, prod_dx, var_dx, var_dx_da)
from srcgrad.runtime.norms import (  # noqa: F401
    norm_dx, norm_dx_a_t, norm_dx_n, norm_dx_n_t, norm_dx_x)
from srcgrad.runtime.products import (  # noqa: F401
    dot_dx, dot_dy, einsum_dx, einsum_dx_slot, einsum_dx_swap, einsum_dx_t, inner_dx, inner_dy,
    kron_dx, kron_dy, matmul_dx, matmul_dx_sum, matmul_dy, tensordot_dx, tensordot_dy)
from srcgrad.runtime.shape import (  # noqa: F401
    array_dx, array_dx_t, astype_dx, concatenate_dx, copy_dx, copy_dx_t, diag_dx, diagonal_dx,
    hstack_dx, method_axes, repeat_dx, reshape_dx, split_dx, stack_dx, tile_dx, trace_dx,
    transpose_dx, vstack_dx)
from srcgrad.runtime.pad import (  # noqa: F401
    pad_dx, pad_tangent, pad_unsupported, pad_values_dx, pad_values_tangent)
from srcgrad.runtime.creation import (  # noqa: F401
    arange_dx, arange_tangent, bincount_dw, dtype_of, full_dx, full_tangent, linspace_dx,
    linspace_tangent, operator_index)
from srcgrad.runtime.linalg import (  # noqa: F401
    cholesky_da, cofactor, cofactor_singular, det_da, det_inv_da, eig_da, eig_tangent, eigvals_da,
    eigvals_tangent, eigh_da, eigvalsh_da, inv_da, lstsq_da, lstsq_db, pinv_da,
    qr_da, slogdet_da, solve_da, solve_db, svd_da, svd_uv_da, svdvals_da)
from srcgrad.runtime.arrays import (  # noqa: F401
    append_labels, column_stack_dx, conv_pad, conv_unpad, delete_labels, diff_dx, diff_dx_t,
    dstack_dx, ediff1d_dx, ediff1d_t, gather_dx, gather_t,
    hsplit_axis, insert_labels, nanvar_dx, perm_labels, quantile_dx, rollaxis_dest, select_dx,
    select_none, split_dx_t)
from srcgrad.runtime.calculus import (  # noqa: F401
    cross_da, cross_db, gradient_dx, interp_dfp, interp_dslope, interp_dx, interp_outside,
    interp_zero, matrix_power_dx, matrix_power_dx2, multi_dot_dx, multi_dot_dx2, polyder_c,
    polyder_t, polyval_dp, trapezoid_ddx, trapezoid_dx, trapezoid_dy)
from srcgrad.runtime.fft import (  # noqa: F401
    fft_axes, fft_sizes, fit_axes, fit_axes_dx, irfft_weights)
from srcgrad.runtime.tape import Unit, accumulated, pulled, real_arrays, recursive_split  # noqa: F401
from srcgrad.runtime.tries import try_call, try_op  # noqa: F401

base.publish(globals(), __name__)


def defines(name):
    """Whether a module of the runtime defines ``name`` at its top: an export
    writes the helpers the code calls under their own names, so a generated
    function of the same name (a helper's primal form) must take another.

    >>> defines("unbroadcast"), defines("_number"), defines("lotka_volterra")
    (True, True, False)
    """
    import sys
    return any(name in vars(m) for k, m in list(sys.modules.items())
               if m is not None and (k == __name__ or k.startswith(__name__ + ".")))
