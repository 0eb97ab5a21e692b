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


# -- unpacking: ``M, a = M`` and starred targets -------------------------------------
# ``M, a = M`` was ``M = M[0]; a = M[1]``: ``a`` read the *new* M (a wrong value and gradient,
# no error).  A value is now bound to a fresh name when a target rebinds it.  Starred targets
# (``a, *rest = v``), refused before, unpack as Python does: ``rest`` is a list.

def unpack_rebinds_its_value(M):
    M, a = M
    return np.sum(M * a)


def starred_first(x):
    a, *rest = x
    return a * sum(rest)


def starred_last(x):
    *rest, a = x
    return a * np.sum(np.array(rest) ** 2)


def starred_middle(x):
    a, *rest, b = x
    return a * b + sum(e * e for e in rest) + len(rest)


def starred_rebinds_its_value(x):
    x, *rest = x
    return x * sum(rest)


def starred_literal(y):
    a, *rest = y, 2.0 * y, y * y
    return a * rest[0] + rest[1]


def starred_rows(M):
    r0, *rows = M
    return np.sum(r0 * rows[-1]) + sum(np.sum(r) for r in rows)


def starred_loop_target(M):
    s = 0.0
    for a, *rest in M:
        s = s + a * sum(rest)
    return s


M2 = np.array([[0.3, 0.5], [0.7, -0.2]])
M34 = np.arange(12.0).reshape(3, 4) / 10 - 0.4
X4 = np.array([0.5, -0.3, 0.8, 0.2])


@pytest.mark.parametrize("f, args", [
    (unpack_rebinds_its_value, (M2,)), (starred_first, (X4,)), (starred_last, (X4,)),
    (starred_middle, (X4,)), (starred_rebinds_its_value, (X4,)), (starred_literal, (Y,)),
    (starred_rows, (M34,)), (starred_loop_target, (M34,))])
def test_unpacking_as_python_does(f, args):
    assert_sound(f, args, wrt=0, expect="ok")


# -- fuzz seed 307482: the adjoints of a list added in differentiated gradient code ----
# ``d_L1 + sum_dx(...)`` on a list's adjoints is an elementwise add whose tangent must stay a
# list (``t_d_L1.pop()`` follows): the conversion of lists for NumPy (above) turned it into an
# array (hvp crash).

def list_adjoints_added_on_one_path(x):
    L1 = [e for e in x if e > 0.0]
    if x[0] <= -0.18:
        if 0.81 >= -0.58:
            return sum(L1) * 1.11
    b12 = x * sum(sorted(L1)[:2])
    return np.sum(b12 * b12)


def test_list_adjoints_stay_lists_in_second_order():
    x = np.array([-0.445661, 0.373999, 0.070415, 0.508622])
    assert_sound(list_adjoints_added_on_one_path, (x,), wrt=0, expect="ok")
    assert_sound(list_adjoints_added_on_one_path, (-x,), wrt=0, expect="ok")


# -- fuzz seed 313856: a list element overwritten, its old value read by np.cumsum -----
# The overwritten element's adjoint is the symbolic zero 0.0; cumsum_dx reshaped it to the
# element's shape (grad crash).

def list_element_overwritten_after_cumsum(x):
    AL = [np.cumsum(x * x) * 1.0, x]
    AL[0] = 0.5 - np.cumsum(x)
    return sum(np.sum(e_ * e_) for e_ in AL)


def test_overwritten_list_element_adjoint_is_a_zero_of_any_shape():
    assert_sound(list_element_overwritten_after_cumsum, (X4,), wrt=0, expect="ok")


# -- fuzz seed 322466: a view put into a list by ``AL[k] = v`` or ``append`` ----------
# ``AL[0] = A[0, :]; A /= c`` changes AL[0] too in Python; the augmented assignment
# (``A = A / c`` after normalising) checked the containers built from A's views by list
# literals only, not those written by ``AL[k] = v`` / ``AL.append(v)`` (jvp: a wrong value).

def view_written_into_a_list(M, y):
    A1 = np.exp(M) * 0.5
    AL = [M[0], M[1]]
    AL[0] = A1[0, :]
    A1 /= (1.0 + 0.3 * np.tanh(y))
    return np.sum(A1 * A1) + np.sum([np.sum(np.sin(e_)) for e_ in AL])


def view_appended_to_a_list(M, y):
    A1 = np.exp(M) * 0.5
    AL = []
    AL.append(A1[0, :])
    A1 *= y
    return np.sum(AL[0])


def copy_written_into_a_list(M, y):
    A1 = np.exp(M) * 0.5
    AL = [M[0], M[1]]
    AL[0] = A1[0, :] * 1.0
    AL.append(A1[1, :].copy())
    A1 *= y
    return np.sum(A1 * A1) + np.sum([np.sum(np.sin(e_)) for e_ in AL])


@pytest.mark.parametrize("f", [view_written_into_a_list, view_appended_to_a_list])
@pytest.mark.parametrize("wrt", [0, 1])
def test_view_put_into_a_list_then_changed_in_place_is_refused(f, wrt):
    assert_sound(f, (M34, Y), wrt=wrt, expect="refused")


@pytest.mark.parametrize("wrt", [0, 1])
def test_copy_put_into_a_list_then_original_changed(wrt):
    assert_sound(copy_written_into_a_list, (M34, Y), wrt=wrt, modes=("grad", "jvp"), expect="ok")
    # hvp may refuse the gradient code's views of the list's adjoints
    assert_sound(copy_written_into_a_list, (M34, Y), wrt=wrt, expect="ok-or-refused")


# -- dict(zip(keys, values)) of literal sequences is a dict literal -------------------

def dict_of_zipped_literals(x, y):
    d = dict(zip(["a", "b"], [x * 2.0, np.sin(y)]))
    return np.sum(d["a"] * d["b"]) + d.get("b", 0.0)


def dict_of_zipped_names(x, y):
    keys = ["a", "b"]
    d = dict(zip(keys, [x, y]))         # not literal: still refused
    return np.sum(d["a"] * d["b"])


def test_dict_of_zip_of_literals():
    assert_sound(dict_of_zipped_literals, (X4, Y), wrt=(0, 1), expect="ok")
    assert_sound(dict_of_zipped_names, (X4, Y), wrt=(0, 1), expect="refused")


# -- a comprehension inside ``x if c else y``: the branch taken, as an if statement ----

def comprehension_in_a_conditional(x, y):
    s = (sum(e * y for e in x) if y > 0.0 else sum([e * e for e in x])) * 2.0
    return s + np.sin(y) * (0.5 if y < -1.0 else sum(np.sin(e) * y for e in x))


@pytest.mark.parametrize("y", [0.3, -0.4, -1.5])
def test_comprehension_inside_a_conditional_expression(y):
    assert_sound(comprehension_in_a_conditional, (X4, y), wrt=(0, 1), expect="ok")


def comprehension_in_and_or(x, y):
    a = y > 0.0 and sum(e * y for e in x)
    b = y > 0.5 or sum([e * e * y for e in x])
    c = (y < 0.0 and [e * y for e in x]) or [y * y]
    return a + b + sum(c)


@pytest.mark.parametrize("y", [0.3, -0.4, 0.8])
def test_comprehension_inside_and_or(y):
    assert_sound(comprehension_in_and_or, (X4, y), wrt=(0, 1), expect="ok")
