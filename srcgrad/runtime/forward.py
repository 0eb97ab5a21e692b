"""Helpers called by generated forward-mode (tangent) code; pure NumPy.

Each ``*_tangent`` helper returns the tangent of a primitive's result (the
shape of the result) given the tangent ``t`` of one argument; the ``b_*``
helpers are the batched tangents (a last axis of directions).  They live
with their family's adjoints (:mod:`srcgrad.runtime`); this module exports
them under one name, ``srcgrad.runtime.forward``.

>>> import numpy as np
>>> broadcast_like(np.ones(1), np.zeros((2, 2))).shape
(2, 2)
>>> broadcast_like.__module__
'srcgrad.runtime.forward'
"""

from srcgrad.runtime import base

from srcgrad.runtime.containers import Several  # noqa: F401
from srcgrad.runtime.batched import b_out, bx, bzeros, n_directions, per_direction  # noqa: F401
from srcgrad.runtime.broadcast import (  # noqa: F401
    b_broadcast_like, b_unbroadcast, b_unreduce, b_unreduce_extreme, b_unreduce_mean,
    broadcast_like, rebroadcast, zeros_like)
from srcgrad.runtime.indexing import b_item, b_take, bindex, written_adjoint_t  # noqa: F401
from srcgrad.runtime.items import b_attr  # noqa: F401
from srcgrad.runtime.reductions import (  # noqa: F401
    average_tangent_w, b_cumsum, b_extreme, b_mean, b_prod, b_sum, b_var, extreme_tangent,
    prod_tangent, var_tangent)
from srcgrad.runtime.norms import norm_tangent  # noqa: F401
from srcgrad.runtime.products import (  # noqa: F401
    b_dot_a, b_dot_b, b_dot_dx_a, b_dot_dy_a, b_matmul_dx_a, b_matmul_dx_y, b_matmul_dy_a,
    b_matmul_dy_x, b_matmul_x, b_matmul_y, einsum_tangent)
from srcgrad.runtime.shape import (  # noqa: F401
    astype_tangent, b_concatenate, b_expand_dims, b_moveaxis, b_ravel, b_reshape, b_reshape_dx,
    b_squeeze, b_stack, b_swapaxes, b_transpose, b_transpose_dx, copy_tangent, reshape_tangent)
from srcgrad.runtime.pad import pad_tangent  # noqa: F401
from srcgrad.runtime.linalg import (  # noqa: F401
    b_inv, b_solve_b, cholesky_tangent, det_tangent, eigh_tangent, eigvalsh_tangent,
    lstsq_tangent_a, lstsq_tangent_b, pinv_tangent, qr_tangent, slogdet_tangent, solve_tangent_a,
    svd_tangent, svdvals_tangent)
from srcgrad.runtime.arrays import quantile_tangent  # noqa: F401
from srcgrad.runtime.calculus import (  # noqa: F401
    matrix_power_tangent, multi_dot_tangent, trapezoid_tdx)
from srcgrad.runtime.tape import tape_not_differentiable, tape_pop, tape_push  # noqa: F401

base.publish(globals(), __name__)
