"""Every language construct of the reverse-mode core, checked against central
finite differences on several inputs (and against autograd where it fits)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import srcgrad
from srcgrad import check_grad

from tests import programs as p
from tests.modes import assert_sound

RNG = np.random.default_rng(0)

CASES = [
    (p.arithmetic, (0, 1), [(1.3, 2.1), (0.7, -1.4), (2.5, 0.6)]),
    (p.return_in_second_loop, (0, 1), [(0.9, 0.2), (0.4, 0.2), (0.1, 0.3), (0.9, 6.0)]),
    (p.golden, (0, 1), [(0.3, 1.2), (-1.1, 0.5)]),
    (p.overwrite, 0, [(0.3,), (1.7,)]),
    (p.augmented, (0, 1), [(1.3, 2.1), (-0.4, 1.5)]),
    (p.unpacking, (0, 1), [(1.3, 2.1), (-0.4, 1.5)]),
    (p.docstring_and_annotations, (0, 1), [(1.3, 2.1)]),
    (p.conditional_expression, 0, [(1.3,), (-0.4,), (0.5,)]),
    (p.comparisons_and_logic, (0, 1), [(1.3, 2.1), (11.0, 2.0), (1.0, 7.0)]),
    (p.floor_division_is_constant, 0, [(2.5,), (0.3,)]),
    (p.math_functions, (0, 1), [(1.3, 2.1), (0.4, 0.3)]),
    (p.numpy_elementwise, 0, [(np.array([0.3, 1.2, -0.4]),), (0.7,)]),
    (p.matmul_and_broadcast, (0, 1), [(RNG.normal(size=(2, 3)), RNG.normal(size=(4, 2)))]),
    (p.broadcast_scalar_array, (0, 1), [(1.5, np.array([1.0, -2.0, 3.0])),
                                        (np.array([1.0, 2.0]), np.array([[1.0, -2.0], [0.5, 4.0]]))]),
    (p.broadcast_rows, (0, 1), [(np.array([0.1, 0.2, 0.3]), RNG.normal(size=(4, 3))),
                                (np.array([[0.1], [0.7]]), RNG.normal(size=(2, 3)))]),
    (p.module_aliases, 0, [(np.array([0.3, 1.2, -0.4]),)]),
    (p.branch, 0, [(1.5,), (0.5,), (-0.5,)]),
    (p.branch_one_sided, (0, 1), [(1.5, 2.0), (-0.5, 3.0)]),
    (p.branch_returns, 0, [(3.0,), (1.0,), (-1.0,)]),
    (p.nested_branches, (0, 1), [(1.0, 2.0), (1.0, -2.0), (-0.5, 0.2), (-3.0, -1.0)]),
    (p.for_range, 0, [(0.7, 6), (1.3, 0), (1.1, 1)]),
    (p.for_range_start_step, 0, [(0.5,)]),
    (p.for_over_array, (0, 1), [(np.array([0.5, -1.0]), RNG.normal(size=(3, 2)))]),
    (p.for_over_list, 0, [(1.5,)]),
    (p.for_enumerate, 0, [(np.array([0.5, -1.0, 2.0]),)]),
    (p.for_zip, (0, 1), [(np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, 0.3, 0.4]))]),
    (p.nested_loops, 0, [(0.7, 5), (0.7, 0)]),
    (p.loop_with_branch, 0, [(3.0, 6), (0.3, 4)]),
    (p.while_loop, 0, [(1.0,), (0.3,), (11.0,)]),
    (p.while_true_break, 0, [(0.5,), (6.0,)]),
    (p.break_in_for, 0, [(0.5,), (0.001,)]),
    (p.continue_in_for, 0, [(0.5,)]),
    (p.return_in_loop, 0, [(1.0,), (0.0001,)]),
    (p.return_in_nested_loop, 0, [(0.47,), (0.01,)]),
    (p.for_else, 0, [(1.5,), (6.0,)]),
    (p.value_used_after_loop, 0, [(1.5, 4)]),
    (p.carried_uses_result, 0, [(0.5, 4), (1.5, 1)]),
    (p.alias_then_inplace, 0, [(np.array([0.3, -0.2, 0.5]), 3)]),
    (p.shape_changes_in_loop, 1, [(np.array([[0.3, -0.2], [0.5, 0.1], [0.2, 0.2]]), 0.7)]),
    (p.loop_carried_overwrites, 0, [(1.5, 5), (0.5, 0)]),
    (p.euler, (0, 1), [(0.5, 1.0, 100), (2.0, -1.0, 10)]),
    (p.rnn, (0, 1), [(RNG.normal(size=(4, 4)) * 0.5, RNG.normal(size=4), 6)]),
    (p.rnn_batch, (0, 1), [(RNG.normal(size=(4, 4)) * 0.5, RNG.normal(size=(4, 2)), 5)]),
    (p.rnn_written, (0, 1), [(RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=3), 4)]),
    (p.sum_axis0_and_mean, (0, 1), [(RNG.normal(size=(3, 4)), RNG.normal(size=4)),
                                    (RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))),
                                    (RNG.normal(size=(2, 3)), 0.7)]),
    (p.keyword_defaults, 0, [(np.array([0.5, -1.0]),)]),
    (p.fill_in_loop, 0, [(0.7, 5), (1.2, 0)]),
    (p.read_indexing, 0, [(np.array([0.5, 1.1, -0.3, 0.9]),)]),
    (p.lists_of_arrays, (0, 1), [(np.array([0.5, 1.1, -0.3]), np.array([0.2, -0.7, 0.4]))]),
    (p.array_of_scalars, (0, 1), [(0.7, 1.3)]),
    (p.fresh_array_each_iteration, 0, [(np.array([0.3, -0.5, 0.8, 0.6]), 3)]),
    (p.integer_results_are_constant, 0, [(np.array([0.55, 1.12, -0.3, 0.9]),)]),
    (p.write_slices, (0, 1), [(0.7, 0.3), (1.3, np.array([0.1, 0.2, 0.3]))]),
    (p.write_reads_old_values, 0, [(np.array([0.5, 1.1, -0.3]), 7)]),
    (p.augmented_repeated_indices, (0, 1), [(np.array([0.5, 1.1, -0.3, 0.2]), 0.7)]),
    (p.write_mask, 0, [(np.array([0.2, 0.9, -0.3, 0.7]),)]),
    (p.write_into_argument, (0, 1), [(np.array([0.5, 1.1, -0.3]), 0.7)]),
    (p.write_2d_rows, (0, 1), [(np.array([[0.5, 1.1], [-0.3, 0.2], [0.4, 0.1]]), 0.7)]),
    (p.integer_argument, 1, [(3, 1.5)]),
    (p.long_function, (0, 1, 2), [(0.5, 1.2, -0.3), (1.1, 0.4, 0.9)]),
]


@pytest.mark.parametrize("fun,wrt,inputs", CASES, ids=[c[0].__name__ for c in CASES])
def test_matches_finite_differences(fun, wrt, inputs):
    for args in inputs:
        check_grad(fun, *args, wrt=wrt, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fun,wrt,inputs", CASES, ids=[c[0].__name__ for c in CASES])
def test_value_and_grad_agrees(fun, wrt, inputs):
    for args in inputs:
        value, g = srcgrad.value_and_grad(fun, wrt=wrt)(*args)
        assert np.allclose(value, fun(*args))
        expected = srcgrad.grad(fun, wrt=wrt)(*args)
        if isinstance(wrt, tuple):
            for a, b in zip(g, expected):
                assert np.allclose(a, b)
        else:
            assert np.allclose(g, expected)


@settings(max_examples=25, deadline=None)
@given(st.floats(0.05, 2.95), st.floats(0.5, 3))  # x % 3.0 jumps at multiples of 3
def test_arithmetic_property(x, y):
    check_grad(p.arithmetic, x, y, wrt=(0, 1), rtol=1e-4, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(st.floats(-2, 2).filter(lambda v: min(abs(v - 1.0), abs(v)) > 1e-3))
def test_branch_property(x):
    check_grad(p.branch, x, rtol=1e-4, atol=1e-5)


@settings(max_examples=20, deadline=None)
@given(st.floats(0.01, 3.0), st.integers(0, 8))
def test_loop_with_branch_property(x, n):
    # avoid points where a branch decision sits on its threshold
    y, ok = x, True
    for _ in range(n):
        ok &= abs(y - 1.0) > 1e-4
        y = y * 0.5 if y > 1.0 else y * y + 0.5
    if ok:
        check_grad(p.loop_with_branch, x, n, rtol=1e-4, atol=1e-5)


@settings(max_examples=20, deadline=None)
@given(st.floats(0.1, 3.0), st.floats(-2.0, 2.0), st.integers(0, 30))
def test_euler_property(k, x0, T):
    check_grad(p.euler, k, x0, T, wrt=(0, 1), rtol=1e-4, atol=1e-6)


def test_against_autograd_oracle():
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    def rnn_ag(W, x0, T):
        x = x0
        for t in range(T):
            x = x + 0.1 * anp.tanh(anp.dot(W, x))
        return anp.sum(x * x)

    W, x0 = RNG.normal(size=(5, 5)), RNG.normal(size=5)
    ours = srcgrad.grad(p.rnn, wrt=(0, 1))(W, x0, 7)
    theirs = autograd.grad(rnn_ag, (0, 1))(W, x0, 7)
    assert np.allclose(ours[0], theirs[0]) and np.allclose(ours[1], theirs[1])


def test_gradient_types_and_shapes():
    d = srcgrad.grad(p.golden, wrt=(0, 1))(0.3, 1.2)
    assert all(isinstance(v, float) for v in d)
    g = srcgrad.grad(p.broadcast_scalar_array, wrt=(0, 1))(1.5, np.array([1.0, -2.0, 3.0]))
    assert isinstance(g[0], float) and g[1].shape == (3,) and g[1].dtype == float
    # an int named in wrt is refused (docs/modes.md, "Argument types"); 3.0 works
    with pytest.raises(srcgrad.ArgumentTypeError, match="3.0 instead of 3"):
        srcgrad.grad(p.integer_argument, wrt=(0, 1))(3, 2.0)
    g = srcgrad.grad(p.integer_argument, wrt=(0, 1))(3.0, 2.0)
    assert g == (12.0, 9.0)


def test_constant_and_unused_arguments_get_zero_gradients():
    assert srcgrad.grad(p.constant_result)(2.0) == 0.0
    assert srcgrad.grad(p.unused_argument, wrt=1)(2.0, 3.0) == 0.0
    z = srcgrad.grad(p.unused_argument, wrt=1)(2.0, np.ones((2, 2)))
    assert isinstance(z, np.ndarray) and z.shape == (2, 2) and not z.any()


def test_inputs_are_not_mutated():
    x = np.array([1.0, 2.0, 3.0])
    keep = x.copy()
    srcgrad.grad(p.mutates_nothing)(x)
    srcgrad.grad(p.for_enumerate)(x)
    assert np.array_equal(x, keep)


def test_gradients_do_not_alias_each_other():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])

    def check(dx, dy):
        assert dx is not dy and not np.shares_memory(dx, dy)

    check(*srcgrad.grad(p.broadcast_scalar_array, wrt=(0, 1))(x, y))


def folded(x):
    s = 0.0
    for k in range(3):
        s = s + (-2.0) ** k * x ** (k + 1) / math.factorial(k + 1)
    return math.log(2.718281828459045) * s + math.sqrt(2.0) * math.pi * x - 1 / 4


def not_folded(x):
    return x / np.log(1.0) if x > 100.0 else math.log(0.5 - 0.5 * (x < 100.0)) * x


def test_constants_are_folded_when_the_gradient_is_made():
    """Arithmetic of Python numbers, math functions of them and math/NumPy
    constants are computed once, when the gradient is made: the generated
    code has the numbers, and gives the same values (a negative base keeps
    its parentheses: ``(-2.0) ** k``)."""
    assert_sound(folded, (0.7,))
    text = "\n".join(line for line in srcgrad.source(srcgrad.grad(folded)).splitlines()
                     if not line.strip().startswith("#"))       # (comments show the source)
    assert "math.log(" not in text and "math.sqrt(" not in text and "math.pi" not in text
    assert "(-2.0) ** k" in text
    # what raises or is a NumPy number is left to run as the user's code would
    with np.errstate(divide="ignore"):
        assert srcgrad.grad(not_folded)(150.0) == np.inf      # a NumPy 0.0: no ZeroDivisionError
    with pytest.raises(ValueError):
        srcgrad.grad(not_folded)(0.5)
