"""Issue #10, runtime helpers and rules: every case checked in every mode
(grad, jvp, hvp against finite differences, see tests/modes.py), plus
generalisations of each fixed helper (other shapes, axes, keepdims,
broadcasting), tuple arguments checked directly against finite
differences, and refusals made when srcgrad transforms the function."""

import inspect
import math
import warnings

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime
from srcgrad.runtime import forward as runtime_forward

from tests import soundness_programs as P
from tests.modes import assert_sound

X = np.array([0.5, -0.3, 0.8, 0.2])
M = np.arange(12.).reshape(3, 4) / 10
Y = 0.7


@pytest.fixture(autouse=True)
def _no_cache():
    srcgrad.clear_cache()
    yield


# --- the cases of the issue ---------------------------------------------------

CASES = [
    (P.where_constant_mask, (Y,), 0),
    (P.where_mask_of_args, (Y, 0.3), (0, 1)),
    (P.where_mask_of_args, (-0.4, 0.3), (0, 1)),
    (P.std_axis_of_one_row, (np.array([[0.5, -0.3, 0.8]]),), 0),
    (P.std_of_scalar, (Y,), 0),
    (P.power_zero_base, (Y,), 0),
    (P.hstack_one_array, (X,), 0),
    (P.loop_axis_sum, (Y, M), 0),
    (P.loop_axis_sum, (Y, M), (0, 1)),
    (P.loop_dot_row, (Y, M), 0),
    (P.loop_dot_row, (Y, M), (0, 1)),
    (P.loop_array_of_scalars, (Y,), 0),
    (P.pad_constant, (X,), 0),
    (P.pow_zero_exponent, (0.0,), 0),
    (P.pow_zero_exponent, (Y,), 0),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_issue_case(f, args, wrt):
    assert_sound(f, args, wrt)


def test_issue_case_norm_of_list():
    assert_sound(P.norm_of_list, (Y,), 0, modes=("grad", "jvp"))
    # (second derivatives through norm_dx are refused, not wrong)
    assert_sound(P.norm_of_list, (Y,), 0, modes=("hvp",), expect="ok-or-refused")


def test_norm_of_list_at_the_zero_vector():
    # the 2-norm has a kink at 0: srcgrad takes the subgradient 0, never nan
    def f(y):
        return np.linalg.norm([y, 2.0 * y])
    g = srcgrad.grad(f)(0.0)
    assert g == 0.0 and not math.isnan(g)
    assert srcgrad.grad(P.norm_of_list)(0.0) == pytest.approx(1.0)  # [0, 2]: d/dy = 2/2
    assert_sound(P.norm_of_list, (0.0,), 0, modes=("grad", "jvp"))


def test_scalar_argument_gets_a_scalar_gradient():
    g = srcgrad.grad(P.where_constant_mask)(Y)
    assert np.ndim(g) == 0
    c = np.where(np.array([1., -1., 2.]) > 0, 1.0, 0.5)
    assert g == pytest.approx(np.cos(np.sum(c * Y)) * np.sum(c))


# --- tuples of arrays as the argument ---------------------------------------------


def _fd_tuple(f, xs, h=1e-6):
    out = []
    for k, x in enumerate(xs):
        d = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            up = [a.copy() for a in xs]
            down = [a.copy() for a in xs]
            up[k][i] += h
            down[k][i] -= h
            d[i] = (f(type(xs)(up)) - f(type(xs)(down))) / (2 * h)
        out.append(d)
    return out


def concat_axis1(xs):
    return np.sum(np.sin(np.concatenate(xs, axis=1)) * 2.0)


def concat_none(xs):
    return np.sum(np.concatenate(xs, axis=None) ** 3)


def vstack_parts(xs):
    return np.sum(np.vstack(xs) ** 2 * 0.5)


def stack_parts(xs):
    return np.sum(np.cos(np.stack(xs, axis=1)))


TUPLES = [
    (P.concat_tuple, (np.array([1., 2.]), np.array([3.]))),
    (P.hstack_tuple, (np.array([1., 2.]), np.array([3.]))),
    (P.hstack_tuple, (np.array([[1., 2.]]), np.array([[3.]]))),
    (concat_axis1, (np.ones((2, 1)) * 0.3, np.arange(6.).reshape(2, 3) / 7)),
    (concat_none, (np.array([[1., 2.]]), np.array([0.5, -1.0, 2.0]))),
    (vstack_parts, (np.array([1., 2.]), np.array([[3., 4.], [5., 6.]]))),
    (stack_parts, (np.array([1., 2.]), np.array([3., 0.5]))),
    (P.concat_tuple, [np.array([1., 2.]), np.array([3.])]),
]


@pytest.mark.parametrize("f, xs", TUPLES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(TUPLES)])
def test_gradient_wrt_a_sequence_of_arrays(f, xs):
    saved = [a.copy() for a in xs]
    g = srcgrad.grad(f)(xs)
    assert type(g) is type(xs) and len(g) == len(xs)
    for gi, x, fd in zip(g, xs, _fd_tuple(f, xs)):
        assert isinstance(gi, np.ndarray) and gi.shape == x.shape and gi.dtype == x.dtype
        np.testing.assert_allclose(gi, fd, rtol=1e-6, atol=1e-8)
    assert all(np.array_equal(a, b) for a, b in zip(saved, xs))


# --- arrays passed as a sequence of their rows ----------------------------------


def hstack_rows(A):
    return np.sum(np.hstack(A) ** 2 * np.arange(12.))


def vstack_rows(A):
    return np.sum(np.sin(np.vstack(A)))


def concatenate_rows(A):
    return np.sum(np.concatenate(A) ** 3)


def concatenate_rows_flat(A):
    return np.sum(np.concatenate(A, axis=None) * np.arange(12.))


def stack_rows(A):
    return np.sum(np.stack(A, axis=1) ** 2 * np.arange(12.).reshape(4, 3))


@pytest.mark.parametrize("f", [hstack_rows, vstack_rows, concatenate_rows, concatenate_rows_flat,
                               stack_rows])
def test_sequence_functions_of_one_array(f):
    assert_sound(f, (M,), 0)


def test_hstack_one_array_gives_an_array_in_every_shape():
    for x in (X, M, M.reshape(2, 3, 2)):
        assert_sound(P.hstack_one_array, (x,), 0)


# --- std and var ----------------------------------------------------------------


def std_axis(x):
    return np.sum(np.std(x, axis=1) * np.array([1.0, 2.0, 3.0]))


def std_keepdims(x):
    return np.sum(np.std(x, axis=0, keepdims=True) ** 2 + np.std(x, axis=1, keepdims=True))


def std_ddof(x):
    return np.std(x, ddof=1) + np.sum(np.std(x, axis=0, ddof=1))


def std_scalar_in_loop(y):
    s = 0.0
    for i in range(3):
        s = s + np.std(y * i) + np.std(np.array([y, y]))
    return s + y


def var_then_sum(x):
    return np.sum(np.var(x, axis=-1)) + np.var(x)


STD = [
    (std_axis, (M,)),
    (std_keepdims, (M,)),
    (std_ddof, (M,)),
    (std_scalar_in_loop, (Y,)),
    (var_then_sum, (M,)),
    (P.std_axis_of_one_row, (np.ones((1, 5)),)),
]


@pytest.mark.parametrize("f, args", STD, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(STD)])
def test_std_and_var(f, args):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # no 0/0 on the way
        assert_sound(f, args, 0)


@pytest.mark.parametrize("f, args", [
    (std_axis, (np.array([[1., 1., 1., 1.], [0., 1., 2., 3.], [2., 2., 2., 2.]]),)),
    (std_keepdims, (np.ones((2, 1)) * 0.5,))])
def test_std_at_rows_of_equal_elements(f, args):
    # a kink (std is |t| std(v) along x + t v): gradient and tangent are the
    # subgradient 0 (central differences agree); second derivatives there
    # have no meaning
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert_sound(f, args, 0, modes=("grad", "jvp"))


def test_std_where_all_elements_are_equal_has_gradient_zero():
    # a kink (std is |t| * std(v) along x + t v): the subgradient 0, never nan
    g = srcgrad.grad(lambda x: np.std(x))(np.full(4, 0.3))
    np.testing.assert_array_equal(g, np.zeros(4))
    t = srcgrad.jvp(lambda x: np.std(x))(np.full(4, 0.3), X)[1]
    assert t == 0.0


# --- powers at zero ------------------------------------------------------------


def pow_vars(x, y):
    return x ** y + np.power(x, y) + pow(x, y)


def pow_math(x, y):
    return math.pow(x, y) + math.pow(x, 2.0)


def pow_array_zero_base(x, y):
    return np.sum(np.power(x, y)) + np.sum(x ** y)


def pow_array_zero_exponent(x):
    return np.sum(x ** 0.0 + np.power(x, 0.0) + np.float_power(x, 0.0)) + np.sum(x)


def pow_float_power(x, y):
    return np.float_power(x, y) + np.float_power(0.0, y)


def pow_loop_index(x):
    s = 0.0
    for i in range(4):
        s = s + x ** i
    return s


# (at x = 0 only one argument moves: x < 0 with a non-integer y is not real)
POW = [
    (pow_vars, (0.0, 2.0), 0),
    (pow_vars, (0.0, 2.0), 1),
    (pow_vars, (0.0, 3.0), 0),
    (pow_vars, (0.0, 3.0), 1),
    (pow_vars, (0.0, 1.0), 0),
    (pow_vars, (0.0, 0.0), 0),
    (pow_vars, (0.7, 0.0), (0, 1)),
    (pow_vars, (0.7, 1.3), (0, 1)),
    (pow_vars, (-0.7, 2.0), 0),
    (pow_math, (0.0, 2.0), 0),
    (pow_math, (0.0, 2.0), 1),
    (pow_math, (0.0, 0.0), 0),
    (pow_math, (0.6, 0.0), (0, 1)),
    (pow_array_zero_base, (np.array([0.0, 0.5, 0.0]), np.array([2.0, 1.0, 3.0])), 0),
    (pow_array_zero_base, (np.array([0.0, 0.5, 0.0]), np.array([2.0, 1.5, 3.0])), 1),
    (pow_array_zero_base, (np.array([0.0, 0.5, 2.0]), 2.0), 0),
    (pow_array_zero_base, (np.array([0.3, 0.5, 2.0]), np.array([0.0, 1.5, 0.0])), (0, 1)),
    (pow_array_zero_exponent, (np.array([0.0, 0.5, -1.0]),), 0),
    (pow_float_power, (0.0, 2.0), 0),
    (pow_float_power, (0.5, 2.0), (0, 1)),
    (pow_float_power, (0.5, 0.0), 0),
    (pow_loop_index, (0.0,), 0),
    (P.power_zero_base, (1.5,), 0),
]


@pytest.mark.parametrize("f, args, wrt", POW, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(POW)])
def test_powers_at_zero(f, args, wrt):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert_sound(f, args, wrt)


def test_power_with_constant_exponent_stays_plain():
    def cube(x):
        return x ** 3 + 2.0 ** x
    text = srcgrad.source(srcgrad.grad(cube))
    assert "x ** 2" in text and "np.log(2.0)" in text and "==" not in text


# --- np.pad ----------------------------------------------------------------------

W = np.arange(12.).reshape(3, 4)[::-1] / 5.0


def pad_int(x):
    return np.sum(np.pad(x, 2) ** 2 * np.arange(8.))


def pad_pair(x):
    return np.sum(np.sin(np.pad(x, (1, 3))))


def pad_one_pair(x):
    return np.sum(np.pad(x, ((2, 0),)) ** 3)


def pad_matrix(A):
    return np.sum(np.pad(A, ((1, 0), (2, 1))) ** 2 * np.arange(28.).reshape(4, 7))


def pad_matrix_one(A):
    return np.sum(np.cos(np.pad(A, (1,))))


def pad_matrix_pair(A):
    return np.sum(np.pad(A, (0, 2)) ** 2 * np.arange(30.).reshape(5, 6))


def pad_values(x, c):
    return np.sum(np.pad(x, (1, 2), constant_values=c) ** 2)


def pad_value_pairs(A, c):
    return np.sum(np.pad(A, 1, constant_values=c) ** 2 * np.arange(30.).reshape(5, 6))


def pad_edge(x):
    return np.sum(np.pad(x, (2, 3), mode="edge") ** 2 * np.arange(9.))


def pad_reflect(A):
    return np.sum(np.pad(A, ((1, 2), (2, 1)), "reflect") ** 2 * np.arange(42.).reshape(6, 7))


def pad_symmetric(x):
    return np.sum(np.pad(x, 3, mode="symmetric") ** 2 * np.arange(10.))


def pad_wrap(A):
    return np.sum(np.sin(np.pad(A, 2, mode="wrap")) * np.arange(56.).reshape(7, 8))


def pad_mean(x):
    return np.sum(np.pad(x, (2, 1), mode="mean") ** 2 * np.arange(7.))


def pad_odd(x):
    return np.sum(np.pad(x, 2, mode="reflect", reflect_type="odd") ** 2 * np.arange(8.))


def pad_in_loop(x):
    s = 0.0
    for i in range(2):
        s = s + np.sum(np.pad(x * (i + 1.0), (i, 1)) ** 2)
    return s


PAD = [
    (P.pad_constant, (X,), 0),
    (P.pad_constant, (M,), 0),
    (pad_int, (X,), 0),
    (pad_pair, (X,), 0),
    (pad_one_pair, (X,), 0),
    (pad_matrix, (M,), 0),
    (pad_matrix_one, (M,), 0),
    (pad_matrix_pair, (M,), 0),
    (pad_values, (X, 0.3), (0, 1)),
    (pad_values, (X, np.array([0.3, -0.5])), (0, 1)),
    (pad_value_pairs, (M, np.array([[0.3, -0.5], [1.0, 2.0]])), (0, 1)),
    (pad_value_pairs, (M, 0.25), (0, 1)),
    (pad_edge, (X,), 0),
    (pad_reflect, (M,), 0),
    (pad_symmetric, (X,), 0),
    (pad_wrap, (M,), 0),
    (pad_mean, (X,), 0),
    (pad_odd, (X,), 0),
    (pad_in_loop, (X,), 0),
]


@pytest.mark.parametrize("f, args, wrt", PAD, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(PAD)])
def test_pad(f, args, wrt):
    assert_sound(f, args, wrt)


def pad_maximum(x):
    return np.sum(np.pad(x, 2, mode="maximum") ** 2)


def pad_ramp(x):
    return np.sum(np.pad(x, 2, "linear_ramp") ** 2)


def pad_empty(x):
    return np.sum(np.pad(x, 2, mode="empty") ** 2)


def pad_mode_argument(x, mode):
    return np.sum(np.pad(x, 2, mode=mode) ** 2)


@pytest.mark.parametrize("f", [pad_maximum, pad_ramp, pad_empty])
@pytest.mark.parametrize("transform", [srcgrad.grad, srcgrad.jvp])
def test_pad_modes_without_derivative_are_refused_when_transforming(f, transform):
    with pytest.raises(srcgrad.UnsupportedError) as e:
        transform(f)
    text = str(e.value)
    assert "np.pad with mode=" in text and "test_soundness_runtime.py" in text and "hint:" in text


def test_pad_mode_known_only_at_run_time_is_refused_when_run():
    with pytest.raises(srcgrad.UnsupportedError, match="mode='maximum'"):
        srcgrad.grad(pad_mode_argument)(X, "maximum")
    with pytest.raises(srcgrad.UnsupportedError, match="mode='maximum'"):
        srcgrad.jvp(pad_mode_argument)(X, "maximum", X)
    np.testing.assert_allclose(srcgrad.grad(pad_mode_argument)(X, "edge"),
                               srcgrad.grad(lambda x: np.sum(np.pad(x, 2, mode="edge") ** 2))(X))


def test_pad_of_a_constant_with_any_mode_is_no_refusal():
    def f(x):
        return np.sum(np.pad(np.ones(3), 1, mode="maximum") * x)
    np.testing.assert_allclose(srcgrad.grad(f)(np.ones(5)), np.ones(5))


# --- refusals at transformation time from constant arguments ------------------------


def norm_order(A):
    return np.linalg.norm(A, -2, axis=(0, 1))


def norm_order_named(A):
    order = "bad"
    return np.linalg.norm(A, ord=order)


@pytest.mark.parametrize("f", [norm_order, norm_order_named])
@pytest.mark.parametrize("transform", [srcgrad.grad, srcgrad.jvp])
def test_refused_when_transforming(f, transform):
    with pytest.raises(srcgrad.UnsupportedError) as e:
        transform(f)
    assert "test_soundness_runtime.py" in str(e.value)


def test_svd_values_only_still_works():
    def f(A):
        return np.sum(np.linalg.svd(A, compute_uv=False))
    assert_sound(f, (M + np.eye(3, 4),), 0, modes=("grad", "jvp"))


def test_runtime_helpers_raise_no_bare_errors():
    # every refusal of a helper is a SrcgradError (UnsupportedError), never a
    # NotImplementedError or a ValueError of srcgrad's own
    import pathlib
    folder = pathlib.Path(runtime.__file__).parent
    modules = sorted(folder.glob("*.py"))
    assert len(modules) > 10                      # the runtime's families
    for path in modules:
        text = path.read_text()
        if path.name == "boundary.py":    # check_unpack raises Python's own unpacking error
            start = text.index("def check_unpack")
            text = text[:start] + text[text.index("\ndef ", start + 1):]
        assert "raise NotImplementedError" not in text, path.name
        assert "raise ValueError" not in text, path.name
    with pytest.raises(srcgrad.UnsupportedError):          # repeated singular values
        runtime.svd_da([np.ones((2, 2)), np.ones(2), 0.0], np.eye(2),
                       np.linalg.svd(np.eye(2)))
    with pytest.raises(srcgrad.UnsupportedError):
        runtime.pad_dx(np.ones(5), np.ones(3), 1, "median")
    with pytest.raises(srcgrad.UnsupportedError):
        runtime.Adjoints([1.0, 2.0]) + [1.0]


def test_runtime_refusal_of_svd_when_full_matrices_is_an_argument():
    def f(A, full):
        return np.sum(np.linalg.svd(A, full_matrices=full)[0] ** 3)
    with pytest.raises(srcgrad.UnsupportedError, match="not square"):
        srcgrad.grad(f)(M, True)
    assert srcgrad.grad(f)(M, False).shape == M.shape


# --- reductions whose adjoint is a scalar standing for an array ---------------------


def loop_axis_sum_keepdims(y, M):
    for i in range(2):
        y = y + np.sum(np.sum(M * y, axis=1, keepdims=True))
    return y


def loop_axis_sum_neg(y, M):
    for i in range(2):
        y = y + np.sum(np.sum(M * y, axis=-1))
    return y


def loop_mean_axis(y, M):
    for i in range(2):
        y = y * 0.5 + np.sum(np.mean(np.sin(M * y), axis=0))
    return y


def loop_max_axis(y, M):
    for i in range(2):
        y = y + np.sum(np.max(M * y, axis=1))
    return y


def loop_std_axis(y, M):
    for i in range(2):
        y = y + np.sum(np.std(M * y, axis=1))
    return y


def loop_norm_axis(y, M):
    for i in range(2):
        y = y + np.sum(np.linalg.norm(M * y, axis=0))
    return y


def loop_prod_axis(y, M):
    for i in range(2):
        y = y + np.sum(np.prod(M * y + 1.0, axis=0))
    return y


def loop_var_axes(y, M):
    for i in range(2):
        y = y + np.sum(np.var(M * y, axis=(0, 1)))
    return y


def straight_nested_sums(y, M):
    return np.sum(np.sum(np.sin(M * y), axis=1)) + np.mean(np.mean(M * y, axis=0))


def loop_list_of_arrays(x):
    z = 0.0
    for i in range(2):
        z = z + np.sum(np.array([x, 2.0 * x, x * x]))
    return z


def loop_nested_arrays(x):
    z = 0.0
    for i in range(2):
        z = z + np.sum(np.array([[x, 1.0], [2.0 * x, x * x]]) ** 2)
    return z


REDUCE = [
    (loop_axis_sum_keepdims, (Y, M), (0, 1)),
    (loop_axis_sum_neg, (Y, M), (0, 1)),
    (loop_mean_axis, (Y, M), (0, 1)),
    (loop_max_axis, (Y, M), (0, 1)),
    (loop_std_axis, (Y, M), (0, 1)),
    (loop_norm_axis, (Y, M), (0, 1)),
    (loop_prod_axis, (Y, M), (0, 1)),
    (loop_var_axes, (Y, M), (0, 1)),
    (straight_nested_sums, (Y, M), (0, 1)),
    (loop_list_of_arrays, (Y,), 0),
    (loop_list_of_arrays, (X,), 0),
    (loop_nested_arrays, (Y,), 0),
]


@pytest.mark.parametrize("f, args, wrt", REDUCE,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(REDUCE)])
def test_reductions_of_reductions(f, args, wrt):
    assert_sound(f, args, wrt, modes=("grad", "jvp"))
    # (second derivatives through norm_dx and prod_dx are refused, not wrong)
    expect = "ok-or-refused" if f in (loop_norm_axis, loop_prod_axis) else "ok"
    assert_sound(f, args, wrt, modes=("hvp",), expect=expect)


# --- comparisons of arrays are arrays ---------------------------------------------


def compare_then_scale(x):
    c = np.array([0.5, -1.0, 2.0]) > 0.0
    return np.sum(np.sin(c * x))


def compare_chain(x, y):
    m = (np.array([1.0, 2.0]) < y) & (np.array([0.5, 3.0]) > 0.0)
    return np.sum(np.where(m, x, 2.0 * x) * y)


def compare_scalar_ok(x, y):
    c = 1.0 if x > y else 0.5
    return c * x * y


def compare_in_loop(x):
    s = 0.0
    for i in range(3):
        c = np.where(np.arange(3.) >= i, 1.0, 0.25)
        s = s + np.sum(c * x) ** 2
    return s


COMPARE = [
    (compare_then_scale, (Y,), 0),
    (compare_then_scale, (np.array([0.1, 0.2, 0.3]),), 0),
    (compare_chain, (Y, 1.5), (0, 1)),
    (compare_scalar_ok, (Y, 0.2), (0, 1)),
    (compare_in_loop, (Y,), 0),
]


@pytest.mark.parametrize("f, args, wrt", COMPARE,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(COMPARE)])
def test_comparisons_of_arrays(f, args, wrt):
    assert_sound(f, args, wrt)


# --- norms ------------------------------------------------------------------------


def norm_zero_matrix(A):
    return np.linalg.norm(A * 0.0) + np.sum(A)


def norm_p_zero(x):
    return np.linalg.norm(x * 0.0, 3) + np.linalg.norm(x, 3)


def norm_tuple(y):
    return np.linalg.norm((y, 3.0 * y, 1.0))


def norm_list_axis(y):
    return np.sum(np.linalg.norm([[y, 1.0], [2.0, y * y]], axis=1))


NORM = [
    (norm_zero_matrix, (M,), 0),
    (norm_p_zero, (X,), 0),
    (norm_tuple, (Y,), 0),
    (norm_tuple, (0.0,), 0),
    (norm_list_axis, (Y,), 0),
]


@pytest.mark.parametrize("f, args, wrt", NORM, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(NORM)])
def test_norms(f, args, wrt):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert_sound(f, args, wrt, modes=("grad", "jvp"))


# --- np.clip: the bounds have derivatives too ---------------------------------------


def clip_low(x, lo):
    return np.sum(np.clip(x, lo, 0.6) ** 2)


def clip_high(x, hi):
    return np.sum(np.clip(x, -0.2, hi) ** 2)


def clip_both(x, lo, hi):
    return np.sum(np.sin(np.clip(x, lo, hi)))


CLIP = [
    (clip_low, (X, -0.1), (0, 1)),
    (clip_high, (X, 0.3), (0, 1)),
    (clip_high, (X, np.array([0.3, 0.1, 0.9, 0.0])), (0, 1)),
    (clip_both, (X, -0.25, 0.55), (0, 1, 2)),
    (clip_both, (M, np.full(4, 0.35), np.array([[0.95], [0.55], [0.65]])), (0, 1, 2)),
    (clip_both, (X, 0.6, 0.1), (0, 1, 2)),        # a_min > a_max: NumPy gives a_max
]


@pytest.mark.parametrize("f, args, wrt", CLIP, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CLIP)])
def test_clip_bounds(f, args, wrt):
    assert_sound(f, args, wrt)


# --- np.average(..., returned=True) is a pair -----------------------------------------


def average_returned(x):
    a, s = np.average(x, weights=np.array([1., 2., 3., 4.]), returned=True)
    return a * 2.0


def average_weights(x, w):
    return np.average(x, weights=w) * 2.0 + np.sum(np.average(M * x[0], axis=1, weights=w))


def test_average_returned_is_refused_when_transforming():
    for transform in (srcgrad.grad, srcgrad.jvp):
        with pytest.raises(srcgrad.UnsupportedError, match="returned=True"):
            transform(average_returned)


def test_average_with_weights():
    args = (X, np.array([1., 2., 3., 0.5]))
    assert_sound(average_weights, args, (0, 1), modes=("grad", "jvp"))
    assert_sound(average_weights, args, (0, 1), modes=("hvp",), expect="ok-or-refused")


# --- second derivatives of norms (rules for norm_dx) ---------------------------------

M5 = np.arange(12.).reshape(3, 4) / 10 + 0.05


def norm_2(x):
    return np.linalg.norm(x) * 2.0


def norm_3(x):
    return np.linalg.norm(x, 3)


def norm_flat(x):
    return np.linalg.norm(x, 1) + np.linalg.norm(x, np.inf) + np.linalg.norm(x, -np.inf)


def norm_rows(x):
    return np.sum(np.linalg.norm(np.sin(M5 * x[0]) + x, axis=1))


def norm_cols_keepdims(x):
    return np.sum(np.linalg.norm(M5 * x, axis=0, keepdims=True) ** 2)


def norm_fro(x):
    return np.linalg.norm(M5 * x) + np.linalg.norm(M5 * x, "fro")


def norm_p_rows(x):
    return np.sum(np.linalg.norm(M5 * x, 3, axis=1))


def norm_matrix_1(x):
    return np.linalg.norm(M5 * x, 1) + np.linalg.norm(M5 * x, np.inf)


def norm_in_loop(x):
    s = 0.0
    for i in range(2):
        s = s + np.linalg.norm(x * (i + 1.0) + s)
    return s


def norm_of_scalar(y):
    return np.linalg.norm(y) * y


@pytest.mark.parametrize("f, args", [
    (norm_2, (X,)), (norm_3, (X,)), (norm_flat, (X,)), (norm_rows, (X,)),
    (norm_cols_keepdims, (X,)), (norm_fro, (X,)), (norm_p_rows, (X,)), (norm_matrix_1, (X,)),
    (norm_in_loop, (X,)), (norm_of_scalar, (Y,)), (norm_of_scalar, (-Y,)),
    (P.norm_of_list, (Y,))])
def test_norm_second_derivatives(f, args):
    assert_sound(f, args, 0)


def test_nuclear_norm_second_derivative_is_refused():
    def f(x):
        return np.linalg.norm(M5 * x, "nuc")
    assert_sound(f, (X,), 0, modes=("grad", "jvp"))
    with pytest.raises(srcgrad.UnsupportedError, match="nuclear or spectral"):
        srcgrad.hvp(f)(X, X)


@pytest.mark.parametrize("f", [P.concat_tuple, P.hstack_tuple, vstack_parts, stack_parts])
def test_tangents_and_hvp_wrt_a_tuple_of_arrays(f):
    xs = (np.array([1., 2.]), np.array([3., 0.5]))
    ts = (np.array([0.5, 1.]), np.array([2., -1.]))
    h = 1e-6
    moved = [tuple(x + s * h * t for x, t in zip(xs, ts)) for s in (1, -1)]
    value, tangent = srcgrad.jvp(f)(xs, ts)
    assert value == pytest.approx(f(xs))
    assert tangent == pytest.approx((f(moved[0]) - f(moved[1])) / (2 * h), rel=1e-6)
    hv = srcgrad.hvp(f)(xs, ts)
    g = srcgrad.grad(f)
    fd = [(a - b) / (2 * h) for a, b in zip(g(moved[0]), g(moved[1]))]
    assert type(hv) is tuple and len(hv) == 2
    for a, b in zip(hv, fd):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# --- loop bodies are materialised from copies: the facts of each adjoint travel along


def list_written_in_loop(x):
    z = [x * x, 1.0, x]
    for i in range(3):
        z[i % 2] = z[0] * 0.5 + z[2] * z[1]
    return z[0] + z[1]


def dict_written_in_loop(x):
    d = {"a": x, "b": 2.0}
    for i in range(3):
        d["a"] = d["a"] * d["b"] + x
    return d["a"]


@pytest.mark.parametrize("f", [list_written_in_loop, dict_written_in_loop])
def test_containers_written_in_loops(f):
    assert_sound(f, (Y,), 0, modes=("grad", "jvp"))
    assert_sound(f, (Y,), 0, modes=("hvp",), expect="ok-or-refused")


# --- second derivatives of np.einsum (rules for einsum_dx) ---------------------------


def einsum_quadratic(x):
    A = M5[:, :3] + np.eye(3)
    return np.einsum("i,ij,j->", x, A, x) + np.sum(np.einsum("i,i->i", x, x) ** 2)


def einsum_matrix(B):
    return np.sum(np.einsum("ij,kj->ik", B, B) ** 2) + np.einsum("ii", B) ** 2


def einsum_two(x, B):
    return np.sum(np.sin(np.einsum("j,ij->i", x, B))) * np.einsum("ij,ij", B, B)


@pytest.mark.parametrize("f, args, wrt", [
    (einsum_quadratic, (X[:3],), 0), (einsum_matrix, (M5[:, :3] + np.eye(3),), 0), (einsum_two, (X, M5), (0, 1))])
def test_einsum_second_derivatives(f, args, wrt):
    assert_sound(f, args, wrt)


# --- exported gradients carry the new helpers along -----------------------------------


@pytest.mark.parametrize("f, args", [
    (pad_reflect, (M,)), (pad_mean, (X,)), (P.std_of_scalar, (Y,)), (norm_rows, (X,)),
    (P.hstack_one_array, (X,)), (P.concat_tuple, ((X, X[:2]),))])
def test_standalone_export(f, args):
    df = srcgrad.grad(f)
    namespace = {}
    exec(compile(srcgrad.source(df, standalone=True), "<exported>", "exec"), namespace)
    exported = namespace[df.__name__]
    got, want = exported(*args), df(*args)
    for a, b in zip(got, want) if isinstance(want, tuple) else [(got, want)]:
        np.testing.assert_allclose(a, b)


# --- np.einsum with an ellipsis, and broadcasting of size-1 axes ---------------------


def einsum_sum_last(A):
    return np.sum(np.einsum("...i->...", A) ** 2)


def einsum_batched_matmul(A):
    return np.sum(np.einsum("...ij,...jk->...ik", A, A.transpose(0, 2, 1)) ** 2)


def einsum_implicit_ellipsis(x):
    return np.sum(np.einsum("...,...", x, x))


def einsum_leading_index(A):
    return np.sum(np.einsum("i...,i...", A, A))


def einsum_broadcast(A, b):
    return np.sum(np.sin(np.einsum("...j,...j->...", A, b)))


def einsum_diagonal_ellipsis(A):
    return np.sum(np.einsum("ii...->i...", A) ** 2)


def einsum_size_one_axis(A, b):
    return np.sum(np.einsum("ij,ij->ij", A, b) ** 2)


A234 = np.arange(24.).reshape(2, 3, 4) / 10 - 0.5


@pytest.mark.parametrize("f, args, wrt", [
    (einsum_sum_last, (A234,), 0),
    (einsum_batched_matmul, (A234,), 0),
    (einsum_implicit_ellipsis, (np.array([0.5, -0.2]),), 0),
    (einsum_leading_index, (A234,), 0),
    (einsum_broadcast, (A234, np.array([[1., 2., 3., 4.]])), (0, 1)),
    (einsum_broadcast, (A234[0], np.full((2, 1, 4), 0.3)), (0, 1)),
    (einsum_diagonal_ellipsis, (np.arange(18.).reshape(3, 3, 2) / 20 + 0.2,), 0),
    (einsum_size_one_axis, (np.full((1, 3), 0.5), np.arange(6.).reshape(2, 3)), (0, 1)),
])
def test_einsum_ellipsis_and_broadcasting(f, args, wrt):
    assert_sound(f, args, wrt)


def test_einsum_sublist_form_is_refused_when_transforming():
    # lists of axis numbers that are not literal lists: refused
    assert_sound(P.einsum_sublist_named, (M,), 0, modes=("grad", "jvp"), expect="refused")
    with pytest.raises(srcgrad.UnsupportedError, match="sublist form"):
        srcgrad.grad(P.einsum_sublist_named)


def einsum_sublist_two(a, b):
    return np.sum(np.einsum(a, [0, 1], b, [1, 2], [0, 2]) ** 2) + \
        np.sum(np.einsum(a, [Ellipsis, 1], [Ellipsis]) * 0.5)


def test_einsum_sublist_form_of_literal_lists():
    assert_sound(P.einsum_sublist, (M,), 0)
    assert_sound(einsum_sublist_two, (M, M.T), (0, 1))


def test_einsum_sublist_of_constants_is_no_refusal():
    def f(x):
        return np.sum(np.einsum(M, [0, 1], [1, 0]) * x)
    np.testing.assert_allclose(srcgrad.grad(f)(np.ones((4, 3))), M.T)


# --- values that make arrays: np.full, np.full_like, np.linspace -----------------------


def full_of(x, y):
    return np.sum(np.full((2, 3), x) * np.arange(6.).reshape(2, 3)) + np.sum(np.full(3, y) ** 2)


def full_of_row(v):
    return np.sum(np.sin(np.full((2, 4), v)))


def full_like_of(x):
    return np.sum(np.full_like(M, x) * M) + np.sum(np.full_like(np.arange(3), x))   # int: no derivative


def linspace_arrays(a, b):
    return np.sum(np.linspace(a, b, 4, axis=1) ** 2 * np.arange(12.).reshape(3, 4))


def linspace_open(x, y):
    return np.sum(np.sin(np.linspace(x, y, 5, endpoint=False))) + np.sum(np.linspace(x, y, 1))


def linspace_in_loop(x):
    s = 0.0
    for i in range(2):
        s = s + np.sum(np.linspace(s, x, 3) ** 2)
    return s


@pytest.mark.parametrize("f, args, wrt", [
    (P.linspace_ends, (0.3, 1.7), (0, 1)),
    (full_of, (0.3, -1.2), (0, 1)),
    (full_of_row, (X,), 0),
    (full_like_of, (0.4,), 0),
    (linspace_arrays, (np.array([0.1, 0.2, 0.3]), 1.5), (0, 1)),
    (linspace_arrays, (0.5, np.array([1.0, 2.0, 3.0])), (0, 1)),
    (linspace_arrays, (np.array([0.1, 0.2, 0.3]), np.array([1.0, -2.0, 3.0])), (0, 1)),
    (linspace_open, (0.3, 1.1), (0, 1)),
    (linspace_in_loop, (0.8,), 0),
])
def test_values_that_make_arrays(f, args, wrt):
    assert_sound(f, args, wrt)


def test_linspace_retstep_is_refused_when_transforming():
    def f(x):
        v, step = np.linspace(0.0, x, 5, retstep=True)
        return np.sum(v) * step
    with pytest.raises(srcgrad.UnsupportedError, match="retstep"):
        srcgrad.grad(f)


def arange_of(x, h):
    return np.sum(np.arange(x, 3.0, h) ** 2) + np.sum(np.arange(4.0 * x) * x)


def bincount_of(w):
    return np.sum(np.bincount(np.array([0, 2, 2, 3]), weights=w, minlength=6) ** 2 * np.arange(6.))


def heaviside_of(x, h):
    return np.sum(np.heaviside(np.array([-1.0, 0.0, 2.0, 0.0]), h) * x) + np.sum(np.heaviside(x, 0.5))


@pytest.mark.parametrize("f, args, wrt", [
    (arange_of, (0.35, 0.7), (0, 1)),
    (bincount_of, (X,), 0),
    (heaviside_of, (X, 0.3), (0, 1)),
    (heaviside_of, (X, np.array([0.1, 0.2, 0.3, 0.4])), (0, 1)),
])
def test_functions_once_declared_without_derivative(f, args, wrt):
    assert_sound(f, args, wrt)


def hypot_np(x, y):
    return np.sum(np.hypot(x, y)) + np.sum(x)


def hypot_math(x, y):
    return math.hypot(x, y) + x


def test_hypot_at_the_origin_has_gradient_zero():
    # a kink like the norm's: the subgradient 0, never nan or ZeroDivisionError
    assert srcgrad.grad(hypot_math, wrt=(0, 1))(0.0, 0.0) == (1.0, 0.0)
    gx, gy = srcgrad.grad(hypot_np, wrt=(0, 1))(np.zeros(3), np.array([0.0, 1.0, 0.0]))
    np.testing.assert_array_equal(gx, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(gy, [0.0, 1.0, 0.0])
    assert_sound(hypot_np, (X, np.array([0.3, -0.1, 0.2, 0.7])), (0, 1))
    assert_sound(hypot_math, (0.3, -0.4), (0, 1))


# --- np.cumprod where the array has zeros (the quotient formula gives nan) -------------


def cumprod_sum(x):
    return np.sum(np.cumprod(x) * np.arange(1.0, 1.0 + np.size(x)))


def cumprod_axis(A):
    return np.sum(np.sin(np.cumprod(A, axis=1))) + np.sum(np.cumprod(A, axis=0) ** 2)


@pytest.mark.parametrize("f, args", [
    (cumprod_sum, (np.array([0.5, 0.0, 0.8, 0.2]),)),
    (cumprod_sum, (np.array([0.0, 0.0, 0.8, 1.2]),)),
    (cumprod_sum, (np.array([[0.5, 0.0], [0.8, 0.2]]),)),
    (cumprod_sum, (X,)),
    (cumprod_axis, (np.array([[0.5, 0.0, 0.3], [0.0, 0.7, 0.2]]),)),
    (cumprod_axis, (M + 0.1,)),
])
def test_cumprod_with_zeros(f, args):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert_sound(f, args, 0, modes=("grad", "jvp"))
    assert_sound(f, args, 0, modes=("hvp",), expect="ok-or-refused")


# --- np.linalg.det of a singular matrix: the cofactors, not a LinAlgError --------------


def det_of(A):
    return np.linalg.det(A) + np.sum(A)


def det_stack(A):
    return np.sum(np.linalg.det(np.stack([A, A * 2.0, np.eye(3) + A])) ** 2)


SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])


@pytest.mark.parametrize("f, A", [
    (det_of, SINGULAR), (det_of, np.array([[1.0, 2.0], [2.0, 4.0]])), (det_of, np.zeros((3, 3))),
    (det_of, np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])),
    (det_stack, SINGULAR), (det_of, M[:, :3] + np.eye(3))])
def test_det_of_singular_matrices(f, A):
    assert_sound(f, (A,), 0, modes=("grad", "jvp"))
    assert_sound(f, (A,), 0, modes=("hvp",), expect="ok-or-refused")
    g = srcgrad.grad(f)(A)
    assert np.all(np.isfinite(g))


# --- linear algebra at points without a derivative: a clear refusal when run ----------


def eigh_vectors(A):
    w, v = np.linalg.eigh(A)
    return np.sum(v[:, 0] ** 3)


def eigh_values(A):
    w, v = np.linalg.eigh(A)
    return np.sum(w ** 2)


def slogdet_of(A):
    sign, logdet = np.linalg.slogdet(A)
    return logdet


def qr_of(A):
    q, r = np.linalg.qr(A)
    return np.sum(r)


def test_linalg_points_without_derivative_are_refused_when_run():
    with pytest.raises(srcgrad.UnsupportedError, match="repeated"):
        srcgrad.grad(eigh_vectors)(np.eye(3))
    np.testing.assert_allclose(srcgrad.grad(eigh_values)(np.eye(3)), 2.0 * np.eye(3))
    with pytest.raises(srcgrad.UnsupportedError, match="singular"):
        srcgrad.grad(slogdet_of)(np.zeros((2, 2)))
    with pytest.raises(srcgrad.UnsupportedError, match="full column rank"):
        srcgrad.grad(qr_of)(np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]))
