"""Findings of the fourth session (the widened fuzz grammar), round 6.

* A list or tuple given to a NumPy function that is not elementwise
  (``np.dot(L, L)``, ``np.prod(L)``) crashed in the generated code: the
  templates multiplied the Python list (``TypeError: can't multiply
  sequence``), and ``np.prod``'s rule handed it to a structured dtype.  And in
  forward mode the *tangent* of a list reached elementwise templates as a list
  (``np.square(L)``: ``t * 2`` would repeat the list -- a crash here, and for a
  one-element list a doubled derivative).  Now every parameter NumPy reads
  through ``np.asarray`` (``Rule.array_like``: the differentiable parameters
  of NumPy and SciPy functions, but not sequences of arrays such as
  ``np.concatenate``'s, nor ``args=``) reads a list or tuple, and its tangent,
  as an array.
"""

import numpy as np
import pytest
import scipy.special

from tests.modes import assert_sound

Y = 0.37
V = np.array([0.3, -0.8, 1.1])

LIST_CALLS = [
    "np.dot(L, L)", "np.prod(L)", "np.sum(np.square(L))", "np.sum(np.sin(L))",
    "np.maximum(L, 0.1).sum()", "np.sum(np.hypot(L, 0.5))", "np.mean(np.asarray(L) ** 2)",
    "np.linalg.norm(L)", "np.max(L)", "np.sum(np.cumsum(L))", "np.vdot(L, L)",
    "np.inner(L, [1.0, 2.0, 3.0])", "np.sum(np.outer(L, L))", "np.var(L)", "np.std(L)",
    "np.polyval(L, y)", "np.interp(0.2, [0.0, 0.5, 1.0], L)", "np.sum(np.diff(L))",
    "np.average(L, weights=[1.0, 2.0, 3.0])", "np.sum(np.exp((y, y * y)))",
    "np.sum(np.clip(L, -0.5, 0.5))", "np.sum(np.where(np.array(L) > 0.5, L, 0.0))",
    "scipy.special.logsumexp(L)", "np.sum(scipy.special.expit(L))",
    "np.sum(np.concatenate([L, L]))", "np.sum(np.stack([L, L]))",
    "np.sum([y, y * y])", "np.dot([y, 1.0], [2.0, y])",
]


def _function(expr, one=False):
    items = "[y * 2.0]" if one else "[y, y * 2.0, 0.5]"
    src = f"def f(y):\n    L = {items}\n    return {expr}\n"
    ns = {"np": np, "scipy": scipy}
    import linecache
    name = f"<soundness_r6 {abs(hash((expr, one)))}>"
    linecache.cache[name] = (len(src), None, src.splitlines(True), name)
    exec(compile(src, name, "exec"), ns)
    return ns["f"]


@pytest.mark.parametrize("expr", LIST_CALLS)
def test_a_list_given_to_a_numpy_function_is_read_as_an_array(expr):
    assert_sound(_function(expr), (Y,), wrt=0, expect="ok")


@pytest.mark.parametrize("expr", ["np.sum(np.square(L))", "np.sum(np.multiply(L, L))",
                                  "np.dot(L, L)"])
def test_one_element_list_tangent_is_not_repeated(expr):
    assert_sound(_function(expr, one=True), (Y,), wrt=0, expect="ok")


def test_sequence_parameters_are_not_read_as_arrays():
    # np.concatenate takes the list as it is (pieces of different lengths)
    def f(x):
        parts = [x[:1] * 2.0, x[1:] ** 2]
        return np.sum(np.sin(np.concatenate(parts)))
    assert_sound(f, (V,), wrt=0, expect="ok")


# -- the adjoint of a list that NumPy read as an array ---------------------------------
# ``d_L = zeros_like(L); d_L += 2.0 * np.asarray(L)``: an array added to the adjoints of a
# list (runtime.Adjoints) was silently dropped (``sum(L) + np.dot(L, L)``: the dot's part
# lost); and when the gradient code itself was differentiated (hvp, hessian, batched
# Jacobians), ``d_L + array`` on that list was taken for a list concatenation.

def list_sum_and_dot(x):
    L = [x[0], x[1] * 2.0, 0.5]
    return np.dot(L, L) + sum(L)


def list_item_and_square(x):
    L = [x[0], x[1] * 2.0, 0.5]
    return np.sum(np.square(L)) + L[0] * x[1]


def list_prod_and_max(x):
    L = [x[0], x[1] * 2.0, 0.5]
    return np.prod(np.tanh(L)) * max(L) + np.dot(L, L) * sum(L)


def list_vector(x):
    L = [x[0], x[1] * 2.0, 0.5]
    return np.array([np.dot(L, L) + sum(L), np.prod(L) + max(L), np.sum(np.square(L)) + L[0]])


def _fd(g, x, h=1e-6):
    return np.array([(g(x + h * e) - g(x - h * e)) / (2 * h) for e in np.eye(len(x))]).T


@pytest.mark.parametrize("f", [list_sum_and_dot, list_item_and_square, list_prod_and_max])
def test_array_adjoint_of_a_list_is_added_element_by_element(f):
    import srcgrad
    assert_sound(f, (V,), wrt=0, expect="ok")
    grad = srcgrad.grad(f)
    expected = _fd(grad, V)
    np.testing.assert_allclose(srcgrad.hessian(f)(V), expected, atol=1e-6)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(srcgrad.jacobian(grad, mode=mode)(V), expected, atol=1e-6)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_batched_jacobian_of_lists_read_as_arrays(mode):
    import srcgrad
    np.testing.assert_allclose(srcgrad.jacobian(list_vector, mode=mode)(V), _fd(list_vector, V),
                               atol=1e-6)


# -- fuzz seed 912995: a list element replaced by a constant array --------------------
# ``AL = [x]; AL[-1] = M[1, :]; np.array(AL)``: the element's tangent became the symbolic
# zero 0.0, and ``np.array``'s tangent reshaped [0.0] to the array's shape (jvp crash).

def list_element_replaced_by_a_constant(x, M):
    AL = [x]
    AL[-1] = M[1, :]
    return np.sum(np.array(AL) ** 2) + np.sum(x)


def test_tangent_of_np_array_of_a_list_with_a_zero_element():
    M = np.arange(12.0).reshape(3, 4) / 10
    x = np.array([-0.69, 0.85, 0.13, 0.61])
    assert_sound(list_element_replaced_by_a_constant, (x, M), wrt=0, expect="ok")


def test_max_of_a_list_helpers_are_transposes_of_each_other():
    # the rules of runtime.seq_extreme_dx / seq_extreme_tangent (second derivatives of max(L))
    from srcgrad.runtime import seq_extreme_dx, seq_extreme_tangent
    L = [0.3, 1.7, -0.2]
    g, t = 0.8, [0.5, -1.5, 2.0]
    assert np.isclose(np.dot(seq_extreme_dx(g, L, max(L)), t),
                      g * seq_extreme_tangent(t, L, max(L)))
    assert_sound(list_prod_and_max, (V,), wrt=0, expect="ok")
