"""Recursive functions (issue #15: "recursion linear in depth").

A recursive call goes through the callee's split form: its forward sweep
runs once and returns the value with a closure for its reverse sweep
(``Driver.recursive_split``, ``optimise/closures.py``), so each level's
forward sweep runs once, not once per level above it; a real number result
of float arguments through the callee's unit form (value and derivatives at
once), a result of another kind through the split form after all.  Checked against
finite differences (and jvp, hvp where supported) for scalar and array
recursions, branching recursion, recursion inside loops, and results the
caller changes in place.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler import memo
from srcgrad.runtime.boundary import check_scalar
from tests.modes import assert_sound

RNG = np.random.default_rng(7)


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def tree(x, depth):
    if depth == 0:
        return np.sin(x)
    return tree(x * 0.9, depth - 1) * tree(x + 0.1, depth - 1) + x


def det(M):
    n = M.shape[0]
    if n == 1:
        return M[0, 0]
    total = 0.0
    for j in range(n):
        minor = np.concatenate((M[1:, :j], M[1:, j + 1:]), axis=1)
        total = total + (-1.0) ** j * M[0, j] * det(minor)
    return total


def smooth(v, k):
    # the result of the recursive call is changed in place by the caller
    if k == 0:
        return v * 1.0
    w = smooth(v, k - 1)
    w[1:] += 0.5 * w[:-1]
    return np.tanh(w)


def loss_smooth(v):
    return np.sum(smooth(v, 3) ** 2)


def loss_tree(x):
    return tree(x, 3)


def loss_power(x):
    return power(x, 5) + power(x * 2.0, 2)


@pytest.mark.parametrize("f, args", [
    (loss_power, (1.3,)),
    (loss_power, (np.float64(0.7),)),
    (loss_tree, (0.4,)),
    (det, (np.eye(4) + 0.4 * RNG.standard_normal((4, 4)),)),
    (loss_smooth, (RNG.standard_normal(5),)),
], ids=["power", "power-numpy-scalar", "tree", "det", "smooth-in-place"])
def test_gradient_and_tangent(f, args):
    # reverse through the split forms; the hvp through them written back as calls
    # (the callee's generated vjp, itself recursive)
    assert_sound(f, args, modes=("grad", "jvp", "hvp"))


def test_split_form_in_the_generated_code():
    text = srcgrad.source(srcgrad.grad(det))
    assert "split_call(det" in text and "pulled(" in text and "vjp_call" not in text


def test_determinant_matches_the_cofactor_formula():
    M = np.eye(5) + 0.3 * RNG.standard_normal((5, 5))
    np.testing.assert_allclose(srcgrad.grad(det)(M), np.linalg.det(M) * np.linalg.inv(M).T,
                               rtol=1e-10)


def vector_tree(v, depth):
    # a recursion with a vector result: pulled back when its adjoint is known
    if depth == 0:
        return np.sin(v)
    return vector_tree(v * 0.5, depth - 1) * v + v


def loss_vector_tree(v):
    return np.sum(vector_tree(v, 3) ** 2)


def test_a_number_result_is_pulled_back_at_once():
    """A recursive call with a real number result, of float arguments, runs
    its reverse sweep as soon as it returns (cotangent 1.0) and keeps only
    the derivatives, which the caller's cotangent scales: the recursion's
    memory is one level's values per level, not the whole call tree's.  A
    vector result, or integer arguments, take the closure as before."""
    import tracemalloc
    M = np.eye(6) + 0.3 * RNG.standard_normal((6, 6))
    dd = srcgrad.grad(det)
    np.testing.assert_allclose(dd(M), np.linalg.det(M) * np.linalg.inv(M).T, rtol=1e-10)
    tracemalloc.start()
    dd(M)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200_000          # the whole tree's closures took about 1.4 MB
    assert_sound(loss_vector_tree, (RNG.standard_normal(3),), modes=("grad", "jvp"))
    assert_sound(loss_power, (1.3,), modes=("grad",))
    assert_sound(lambda x: power(x, 3) * tree(x, 2), (0.4,), modes=("grad",))


def test_complex_arguments_are_refused_clearly():
    # a recursive call is not differentiated for complex values (yet): refused, not wrong
    with pytest.raises(srcgrad.UnsupportedError, match="not differentiated for complex"):
        srcgrad.grad(power)(0.7 + 0.2j, 4)


def with_defaults(p, q=0.26, depth=3):
    if depth <= 0:
        return np.sin(p) * q
    return with_defaults(p * 0.5 + 0.1, q, depth - 1) * 0.5 + p * q


def calls_with_defaults(y):
    return with_defaults(y) + with_defaults(y, 0.7, 2)


def test_parameters_with_defaults_in_every_mode():
    # fuzz seed 3000014 (the grammar's recursive helpers, sixth session): the callee's jvp
    # takes its defaulted parameters by keyword; jvp_call passed them positionally (a crash)
    assert_sound(calls_with_defaults, (-0.75,), modes=("grad", "jvp"))
    assert_sound(calls_with_defaults, (np.array([0.3, -0.2]),), modes=("jvp",),
                 expect="ok-or-refused")


@pytest.mark.parametrize("f, x", [(loss_power, 1.3), (loss_tree, 0.4)],
                         ids=["power", "tree"])
def test_second_and_third_derivatives_through_a_recursion(f, x):
    """grad(grad(f)) and grad(grad(grad(f))) through the split forms written
    back as calls, against finite differences of the order below."""
    g1 = srcgrad.grad(f)
    g2 = srcgrad.grad(g1)
    h = 1e-5
    assert g2(x) == pytest.approx((g1(x + h) - g1(x - h)) / (2 * h), rel=1e-6)
    assert srcgrad.hvp(f)(x, 1.0) == pytest.approx(g2(x), rel=1e-12)
    if f is loss_power:
        # (the third derivative of the branching tree works too, but takes about a
        # minute to generate: the vjp of the vjp of each recursive callee)
        g3 = srcgrad.grad(g2)
        assert g3(x) == pytest.approx((g2(x + h) - g2(x - h)) / (2 * h), rel=1e-6)


def test_hessian_of_the_determinant_by_recursion():
    M = np.eye(3) + 0.3 * RNG.standard_normal((3, 3))
    H = srcgrad.hessian(det)(M)
    g = srcgrad.grad(det)
    fd = np.zeros((3, 3, 3, 3))
    for i in range(3):
        for j in range(3):
            E = np.zeros((3, 3))
            E[i, j] = 1e-6
            fd[:, :, i, j] = (g(M + E) - g(M - E)) / 2e-6
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-7)


def test_second_derivative_through_a_deep_recursion():
    # each level's reverse sweep recomputes the levels below it: quadratic, not exponential
    n = 40
    assert srcgrad.hvp(power, wrt=0)(1.01, n, 1.0) == \
        pytest.approx(n * (n - 1) * 1.01 ** (n - 2), rel=1e-12)


def test_second_derivatives_through_a_recursion_with_defaults_are_refused_clearly():
    # the callee's vjp takes its defaulted parameters by keyword: a recursive call's
    # rule takes positional parameters only
    outcome, = assert_sound(calls_with_defaults, (-0.75,), modes=("hvp",), expect="refused")
    assert "second derivatives through a recursive call" in outcome.detail


def test_split_forms_are_found_again_after_the_cache_is_cleared():
    """A recursive call finds its form in ``memo.UNITS`` (a real number
    result: the value and derivatives at once) or ``memo.SPLITS`` (no weak
    reference per call); ``clear_cache`` forgets them with the rest."""
    M = np.array([[2.0, 0.5, 0.1], [0.3, 1.5, 0.2], [0.1, 0.4, 1.2]])
    want = np.linalg.det(M) * np.linalg.inv(M).T
    df = srcgrad.grad(det)
    assert np.allclose(df(M), want)
    assert any(key[0] is det for key in memo.UNITS)
    srcgrad.clear_cache()
    assert not memo.SPLITS and not memo.UNITS
    assert np.allclose(df(M), want) and np.allclose(srcgrad.grad(det)(M), want)


def vector_levels(x, n):
    # a recursion whose result is an array: its unit form's check refuses it at
    # the first call, and it goes through its split form from then on
    if n == 0:
        return x * 1.0
    return np.sin(vector_levels(x, n - 1)) + x


def pair_levels(x, n):
    if n == 0:
        return (x[0], x[1])
    a, b = pair_levels(x, n - 1)
    return (np.sin(a) * b, a + b)


def through_vectors(x):
    return np.sum(vector_levels(x, 3) ** 2)


def through_pairs(x):
    a, b = pair_levels(x, 3)
    return a * b


@pytest.mark.parametrize("f, inner", [(through_vectors, vector_levels),
                                      (through_pairs, pair_levels)])
def test_a_result_that_is_not_a_number_goes_through_the_split_form(f, inner):
    x = np.array([0.3, -0.7, 0.5])
    srcgrad.clear_cache()
    assert_sound(f, (x,), modes=("grad", "jvp"))
    assert memo.UNITS.get((inner, (0,))) is False


def test_check_scalar_refuses_a_ragged_tuple():
    with pytest.raises(srcgrad.NonScalarOutputError, match="returned a tuple"):
        check_scalar((1.0, np.ones(2)))


# --- second derivatives through split forms (seventeenth session) ---------------------

def even_sum(x, n):
    if n == 0:
        return x * 1.0
    return 0.5 * odd_sum(x * 1.1, n - 1) + np.sin(x)


def odd_sum(x, n):
    if n == 0:
        return x * x
    return 0.7 * even_sum(x - 0.2, n - 1) * x


def mutual(x):
    return even_sum(x, 5)


def list_levels(xs, n):
    if n == 0:
        return sum(xs)
    ys = [x * 0.5 + 0.1 for x in xs]
    return xs[0] * list_levels(ys, n - 1)


def through_lists(x):
    return list_levels([x, 2.0 * x, x * x], 3)


def in_loop(v, n):
    if n == 0:
        return np.sum(v * v)
    total = 0.0
    for i in range(len(v)):
        total = total + v[i] * in_loop(v * 0.5, n - 1)
    return total


def through_loop(v):
    return in_loop(v, 2)


@pytest.mark.parametrize("f", [mutual, through_lists], ids=["mutual", "list-argument"])
def test_second_derivatives_through_split_forms_are_right(f):
    """Both were silently wrong (hvp off by 3-30%): the gradient of ``mutual``
    reads its split call's value inside an expression (``0.7 *
    odd_sum_3_split[0]``), which was left reading the call's arguments; the
    tangent of the callee's vjp for a list argument, ``(value, ([...],))``,
    was summed over two arguments by concatenating the lists."""
    x = 0.7
    g = srcgrad.grad(f)
    h = 1e-5
    fd = (g(x + h) - g(x - h)) / (2 * h)
    assert srcgrad.hvp(f)(x, 1.0) == pytest.approx(fd, rel=1e-7)
    assert_sound(f, (x,), modes=("grad", "jvp", "vjp", "hvp"))


def test_the_tangent_of_a_vjp_along_a_list_argument():
    v = srcgrad.vjp(list_levels, wrt=0)
    xs, t = [0.7, 1.4, 0.49], [0.3, -0.5, 0.8]
    got = srcgrad.jvp(v, wrt=0)(xs, 3, 1.0, t)[1][1]
    h = 1e-6
    up = v([a + h * b for a, b in zip(xs, t)], 3, 1.0)[1]
    down = v([a - h * b for a, b in zip(xs, t)], 3, 1.0)[1]
    assert got == pytest.approx([(p - m) / (2 * h) for p, m in zip(up, down)], rel=1e-7)


def test_a_split_form_kept_on_a_tape_is_refused_in_second_derivatives():
    # the gradient pushes the closure on its loop's tape: a use the rewrite into
    # calls does not understand, so the split form stays and is refused
    v = np.array([0.3, -0.4, 0.8])
    assert_sound(through_loop, (v,), modes=("grad", "jvp", "vjp"))
    outcome, = assert_sound(through_loop, (v,), modes=("hvp",), expect="refused")
    assert "second derivatives through a recursive call" in outcome.detail


NOISE = np.random.default_rng(3)


def noisy_levels(x, n):
    if n == 0:
        return np.sum(x * x)
    e = NOISE.standard_normal()
    return noisy_levels(x * e, n - 1) * e + np.sum(np.sin(x))


def through_noise(x):
    return noisy_levels(x, 3)


def test_a_recursion_drawing_random_numbers():
    """grad runs each call once (split and unit forms): right for the numbers
    drawn.  A tangent or a second derivative runs the callee again, which
    draws other numbers: was silently wrong (jvp off by 50), now refused."""
    x = np.array([0.3, -0.5, 0.8])
    state = NOISE.bit_generator.state

    def f_at(v):
        NOISE.bit_generator.state = state
        return through_noise(v)

    h = 1e-6
    fd = np.array([(f_at(x + h * e) - f_at(x - h * e)) / (2 * h) for e in np.eye(3)])
    NOISE.bit_generator.state = state
    np.testing.assert_allclose(srcgrad.grad(through_noise)(x), fd, rtol=1e-6, atol=1e-8)
    with pytest.raises(srcgrad.UnsupportedError, match="runs noisy_levels again, and it calls "
                       "standard_normal, which may not give the same result twice"):
        srcgrad.jvp(through_noise)(x, x)
    with pytest.raises(srcgrad.UnsupportedError, match="second derivatives through a recursive"):
        srcgrad.hvp(through_noise)(x, x)
