"""Every known failure of issue #10 (tests/soundness_programs.py), in every
mode: grad against finite differences, jvp against finite differences and
grad · v, hvp against finite differences of the gradient and its symmetry,
the caller's inputs unchanged.  ``ok`` cases must be exact; ``refused``
cases must raise a srcgrad error naming the file and line; none may be
silently wrong or crash.  The per-area test files (test_soundness_*.py)
test the generalisations of each case."""

import warnings

import numpy as np
import pytest

import srcgrad
from tests import soundness_programs as P
from tests.fd import fd_jacobian
from tests.modes import assert_sound

X, M, Y = P.X, P.M, P.Y
U0 = np.array([1.0, 2.0, 3.0])
W = np.array([[0.5, 1.0], [0.3, 0.0], [0.2, 1.0]])

# (function, args, wrt, expected outcome in every mode)
CASES = [
    # silent wrong gradients
    (P.enumerate_zip_nested, (X, X * 0.5 + 0.1), (0, 1), "ok"),
    (P.list_enumerate, (X,), 0, "ok"),
    (P.list_zip, (X,), 0, "ok"),
    (P.reversed_list_enumerate, (X,), 0, "ok"),
    (P.dict_call, (0.3, 0.7), (0, 1), "ok"),
    (P.dict_get, (0.7,), 0, "ok"),
    (P.linspace_ends, (0.2, 0.7), (0, 1), "ok"),
    (P.r_concat, (X,), 0, "ok"),
    (P.c_concat, (X,), 0, "ok"),
    (P.einsum_sublist, (M,), 0, "ok"),                 # literal lists: the subscript form
    (P.einsum_sublist_named, (M,), 0, "refused"),
    (P.t_logpdf, (0.1, 0.2), (0, 1), "ok"),            # a rule since #12 (was refused)
    (P.mvn_logpdf, (np.array([0.1, 0.2]),), 0, "ok"),   # a rule since #12 (was refused)
    (P.view_bound_to_name, (U0, 0.5), (0, 1), "ok"),
    (P.out_argument, (U0, 0.5), (0, 1), "refused"),
    (P.aug_slice_write, (X, Y), (0, 1), "ok"),
    (P.slice_write_2d, (M,), 0, "ok"),
    (P.slice_write_from_comprehension, (X,), 0, "ok"),
    (P.rebind_iterated, (X,), 0, "ok"),
    (P.where_constant_mask, (0.4,), 0, "ok"),
    (P.where_mask_of_args, (0.4, 0.7), (0, 1), "ok"),
    (P.forward_overlapping_slices, (X,), 0, "ok"),
    (P.forward_self_dot, (X,), 0, "ok"),
    (P.std_axis_of_one_row, (np.array([[0.1, 0.2, 0.3]]),), 0, "ok"),
    (P.std_of_scalar, (0.7,), 0, "ok"),
    (P.power_zero_base, (0.7,), 0, "ok"),
    (P.hstack_one_array, (X,), 0, "ok"),
    # internal crashes
    (P.slice_aug_column, (M,), 0, "ok"),
    (P.slice_write_in_while, (X,), 0, "ok"),
    (P.column_cubed, (M,), 0, "ok"),
    (P.none_index, (X,), 0, "ok"),
    (P.enumerate_zip_scale, (X, 0.7), (0, 1), "ok"),
    (P.loop_axis_sum, (0.7, M), 0, "ok"),
    (P.loop_dot_row, (0.7, M), 0, "ok"),
    (P.loop_array_of_scalars, (0.7,), 0, "ok"),
    (P.list_where_in_loop, (0.7,), 0, "ok"),
    (P.fancy_write_scalar, (X, M), (0, 1), "ok"),
    (P.mask_write_mean, (X,), 0, "ok"),
    (P.for_var_changed_in_while, (0.3, 0.7), (0, 1), "ok"),
    (P.pad_constant, (X,), 0, "ok"),
    (P.enumerate_sorted_dict, (0.5, {"b": X, "a": X * 2}), 0, "ok"),
    (P.norm_of_list, (0.5,), 0, "ok"),
    (P.pow_zero_exponent, (0.0,), 0, "ok"),
    (P.with_default, (X, 0.7), (0, 1), "ok"),
]


@pytest.mark.parametrize("fun, args, wrt, expect", CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_known_failure(fun, args, wrt, expect):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        outcomes = assert_sound(fun, args, wrt, expect=expect)
    for o in outcomes:
        if o.status == "refused":       # a refusal names the user's file and line
            assert "soundness_programs.py:" in o.detail, o.detail


@pytest.mark.parametrize("fun", [P.concat_tuple, P.hstack_tuple])
def test_tuple_of_differently_shaped_arrays(fun):
    xs = (np.array([1.0, 2.0]), np.array([3.0]))
    g = srcgrad.grad(fun)(xs)
    assert isinstance(g, tuple) and [np.shape(p) for p in g] == [(2,), (1,)]
    for k in range(2):
        part = lambda p, k=k: fun(tuple(p if j == k else xs[j] for j in range(2)))
        np.testing.assert_allclose(g[k], fd_jacobian(part, (xs[k],), 0), rtol=1e-6)


def test_cast_to_int_index_agrees_across_modes():
    # away from the kink of the integer cast, the index column carries no derivative
    d = srcgrad.grad(P.cast_to_int_index)(W)
    expected = fd_jacobian(lambda w: P.cast_to_int_index(np.column_stack([w, W[:, 1]])),
                           (W[:, 0].copy(),), 0)
    np.testing.assert_allclose(d[:, 0], expected, rtol=1e-6)
    v = np.zeros_like(W)
    v[:, 0] = [0.3, -0.2, 0.5]
    _, t = srcgrad.jvp(P.cast_to_int_index)(W, v)
    assert np.isclose(t, np.sum(d * v))
    hv = srcgrad.hvp(P.cast_to_int_index)(W, v)
    assert np.shape(hv) == W.shape and np.all(np.isfinite(hv))
