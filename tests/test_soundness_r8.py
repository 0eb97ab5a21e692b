"""Regressions found in the sixth session (2026-11-30) by the wide fuzzer.

* fuzz seed 2202170 -- **silent wrong gradient and jvp, present before this session**:
  ``p = P(b=M[0], a=x); M[M > 0.37] = 1.0; np.sum(p)``: the write into ``M`` changes the
  row ``p`` holds (a view), which srcgrad did not see because the view itself was no longer
  used, only the container holding it.  A view held by a container still in use now counts
  as in use: a 2-D ``M`` (the row is a view) is refused when the code runs, a 1-D one (the
  element is a copy) is differentiated.
* fuzz seed 3000014 (the grammar's new recursive helpers): the callee's ``jvp`` takes its
  parameters with defaults by keyword; the recursive call passed them positionally (a crash;
  tests/test_recursion.py).
"""

from collections import namedtuple
from dataclasses import dataclass, replace as dc_replace

import numpy as np
import pytest

from tests.modes import assert_sound, check_modes

P = namedtuple("P", ["a", "b"])


def row_in_a_record(M, x):
    M = M * 0.5
    p3 = P(b=M[0], a=x)
    M[M > 0.37] = 1.0
    return np.sum(p3)


def row_in_a_tuple(M, x):
    M = M * 0.5
    t = (x, M[0] * 1.0, M[1])
    M[M > 0.37] = 1.0
    return np.sum(t[0]) + np.sum(t[2]) * 2.0


def row_in_a_list(M):
    M = M * 0.5
    rows = [M[0], M[1]]
    M[0, 1] = 3.0
    return np.sum(rows[0] * rows[1])


M0 = np.array([[0.998845, -0.583874, -0.41642, -0.140433],
               [-0.242065, 0.469425, -0.875288, -0.810092],
               [0.52343, 0.266062, 0.549101, 0.680055]])
X0 = np.array([-0.4322, -0.972661, -0.400714, 0.522344])


@pytest.mark.parametrize("f, args", [
    (row_in_a_record, (M0, X0)),
    (row_in_a_tuple, (M0, X0)),
    (row_in_a_list, (M0,)),
])
def test_a_view_held_by_a_container_in_use_is_not_ignored(f, args):
    # rows of a matrix: views, changed by the write -- the reverse sweep refuses (when
    # the code runs), never wrong; forward mode follows the write (the tangent's row is
    # a view of the tangent too)
    status = {o.mode: o.status for o in check_modes(f, args, 0, ("grad", "jvp", "hvp"))}
    assert status["grad"] == "refused" and status["jvp"] == "ok", status


def element_in_a_record(v, x):
    v = v * 0.5
    p3 = P(b=v[0], a=x)
    v[v > 0.37] = 1.0
    return np.sum(p3.a) + p3.b * 2.0 + np.sum(v)


def test_an_element_of_a_vector_is_a_copy():
    assert_sound(element_in_a_record, (M0[0].copy(), X0), wrt=(0, 1))


# -- open: crashes found by the final run (4f6fc17, seeds 2500000-), present before this
# session; strict xfails, so that a fix flips them --------------------------------------

def undefined_in_unrun_loop(x):
    s = 0.0
    n = 0
    while x[0] < -5.0 and n < 2:
        n += 1
        s = s + x[1] * (undefined_scale + 0.5j).real  # noqa: F821 (never evaluated)
    return s + np.sum(x)


def none_in_unrun_loop(x, w=None):
    s = 0.0
    n = 0 if w is None else 3
    for i in range(n):
        s = s + x[i] * (w * 2.0)
    return s + np.sum(x ** 2)


def test_hoisting_out_of_a_loop_that_does_not_run():
    """fuzz seed 2521762: loop-invariant code motion moved an expression out
    of a loop that does not run, evaluating what Python never evaluates (an
    undefined global; ``None * 2.0``)."""
    assert_sound(undefined_in_unrun_loop, (np.array([0.3, 0.2]),))
    assert_sound(none_in_unrun_loop, (np.array([0.3, 0.2, 0.5]),))


def complex_element_written(x, y):
    Z1 = np.zeros(4, dtype=complex) + x
    s2 = np.sum(Z1.real)
    Z1[3] = y * 0.5j
    return s2


def test_jvp_of_a_complex_element_write():
    """fuzz seed 2517542: forward mode, a complex value written into an
    element of a complex array made from real ones (the tangent was a real
    array: float() of a complex)."""
    assert_sound(complex_element_written, (X0, -0.73), wrt=(0, 1))


def test_gradient_of_a_complex_element_write():
    assert_sound(complex_element_written, (X0, -0.73), wrt=(0, 1), modes=("grad",))


R8P = namedtuple("R8P", ["a", "b"])


def record_or_number(x, z):
    p1 = R8P(b=x, a=x)
    if z >= 0.5:
        pass
    else:
        p1 = z
    return np.sum(p1.b)


def test_jvp_of_a_record_or_a_number():
    """fuzz seed 2714032 (seventh session's final run; present at 51e3dbf):
    forward mode, a name that is a named tuple on one path and a number on
    the other; the zero tangent of the named tuple (a list) was read by
    attribute."""
    assert_sound(record_or_number, (X0, 0.667935), wrt=1)


def test_gradient_of_a_record_or_a_number():
    assert_sound(record_or_number, (X0, 0.667935), wrt=1, modes=("grad",))


def damped_product(x):
    s = 1.0
    for i in range(3):
        s = s * np.sin(x + 1.0)
    return s


def test_third_derivative_of_a_product_in_a_loop():
    """seventh session, present at 51e3dbf: the third derivative through a
    loop whose carried value is multiplied by a loop-invariant factor
    crashed ('float' object is not subscriptable): the second derivative
    pushes a tuple on its tape; the adjoint of a popped tape element is the
    symbolic zero 0.0 (``unpop_adjoint``), which the pack's adjoint read by
    index.  A container's adjoint read out of a list is now lazy, and
    ``expand`` makes the zero of its structure."""
    import srcgrad
    d3 = srcgrad.grad(srcgrad.grad(srcgrad.grad(damped_product)))(0.7)
    eps = 1e-5
    d2 = srcgrad.grad(srcgrad.grad(damped_product))
    assert abs(d3 - (d2(0.7 + eps) - d2(0.7 - eps)) / (2 * eps)) < 1e-5 * max(1.0, abs(d3))


def test_second_derivative_of_a_product_in_a_loop():
    import srcgrad
    h = srcgrad.grad(srcgrad.grad(damped_product))(0.7)
    eps = 1e-5
    g = srcgrad.grad(damped_product)
    assert abs(h - (g(0.7 + eps) - g(0.7 - eps)) / (2 * eps)) < 1e-5 * max(1.0, abs(h))


def tuple_maybe_bound_before_loop(y, x):
    if y < 0.5:
        pr_ = (y, 0.5)
    for q8 in x:
        pr_ = (y, 0.5)
        y = np.hypot(*pr_)
    return y


def array_maybe_bound_before_a_while(y, x):
    if y < 0.5:
        t = x * 2.0
    i = 0
    while i < 3:
        t = x * y
        y = np.sum(np.sin(t)) + y
        i += 1
    return y


def bound_by_a_loop_that_may_not_run(y, x, m):
    for q in x[:m]:
        pr_ = (y, q)
    for q8 in x:
        pr_ = (y, 0.5)
        y = np.hypot(*pr_)
    return y


def bound_in_a_branch_of_an_earlier_loop(y, x):
    for q in x:
        if q > 0.3:
            t = np.exp(q * y)
    for q in x:
        t = np.sin(y) * q
        y = y + t
    return y


def kept_from_an_earlier_iteration(y, x):
    for q in x:
        if q > 0.3:
            t = q * y
        y = np.sin(y) + 1.0
    if y > 5.5:
        t = t * 2.0
    return t * y


def test_a_name_maybe_unbound_before_a_loop_that_rebinds_it():
    """eighth session, fuzz seed 2908398, present at 95b2880: a loop-carried
    name that only a branch before the loop binds was saved on the tape
    before its first overwrite (``tape.append(pr_)``) and raised
    UnboundLocalError when the branch was not taken.  A name the generated
    code reads where the user's may leave it unbound is bound to None at the
    function's entry (``ssa.bind_unbound``); the branch taken and not."""
    X = np.array([-0.19, 0.47, -0.35])
    for y in (0.583264, 0.3):
        assert_sound(tuple_maybe_bound_before_loop, (y, X), wrt=(0, 1))
        assert_sound(array_maybe_bound_before_a_while, (y, X), wrt=(0, 1))


def test_a_name_maybe_unbound_after_an_earlier_loop():
    """The same read after a loop that ran no iteration, or whose branch
    binding the name was never taken; and a merge copy after a loop reading
    a name bound in an earlier iteration only (the placeholder used to be
    put in the loop's other branch, overwriting that value: a crash)."""
    X = np.array([-0.19, 0.47, -0.35])
    for m in (0, 2):
        assert_sound(bound_by_a_loop_that_may_not_run, (0.58, X, m), wrt=(0, 1))
    for x in (X, np.array([-0.19, 0.27, -0.35])):
        assert_sound(bound_in_a_branch_of_an_earlier_loop, (0.58, x), wrt=(0, 1))
    for y in (0.3, 0.8):
        assert_sound(kept_from_an_earlier_iteration, (y, np.array([0.5, -0.1])), wrt=(0, 1))


def view_of_iterated(M, x):
    for q1, a3 in enumerate(M):
        M = M * 0.5
        b7 = M.T[1]
        b7[0] = np.max(x)
    return np.sum(M)


def test_a_write_through_a_transposed_view_in_a_loop_over_the_array_is_refused():
    """eighth session, fuzz seed 2910476, introduced on the ho-rest branch
    (0efc4c8) and merged: with the read-out-of-container check made
    flow-sensitive, ``b7[0] = ...`` into ``M.T[1]`` reached ``M`` unseen and
    the gradient in x was 0 (finite differences: 1).  Refused again."""
    import srcgrad
    M = np.array([[0.695, -0.932, -0.886, 0.901], [-0.393, 0.873, -0.770, -0.286],
                  [-0.506, -0.501, 0.983, 0.387]])
    x = np.array([-0.16, 0.90, 0.30, -0.67])
    with pytest.raises(srcgrad.UnsupportedError, match="changed in place|may share memory"):
        srcgrad.grad(view_of_iterated, wrt=1)(M, x)


@dataclass
class Rec:
    w: float
    v: np.ndarray


def replaced_in_loop(x, M, y):
    st1 = Rec(0.5, x)
    for q3, a5 in enumerate(M):
        L6 = [st1.v[3], y]
        st1 = dc_replace(st1, w=L6[1])
        st1.w = y * st1.w
    return st1.w


@dataclass
class Rec3:
    w: float
    v: list
    r: Rec


def list_and_record_fields_read_in_loop(x, M, y):
    st = Rec3(0.5, [1.0, 2.0], Rec(0.1, x))
    for a in M:
        st = dc_replace(st, w=st.w * y + st.v[1] + st.r.v[0])
    return st.w


def array_field_read_by_index_in_loop(x, M, y):
    st1 = Rec(0.5, x * 1.0)
    for q3, a5 in enumerate(M):
        st1 = dc_replace(st1, w=st1.v[3] * y)
        st1.w = y * st1.w
    return st1.w


def test_jvp_of_a_record_replaced_in_a_loop():
    """eighth session, fuzz seed 2920063, present at 95b2880: forward mode
    crashed ('float' object is not subscriptable) on a dataclass replaced in
    a loop whose array field is read by index: the record's tangent holds
    no entry for a field without tangent, and ``attr_tangent`` read that as
    the number 0.0, then indexed it.  It now makes zeros of the field's
    shape (it is given the object) unless the field is known to be a number."""
    X = np.array([-0.81, 0.39, -0.28, 0.33])
    for wrt in (2, 0, (0, 2)):
        assert_sound(replaced_in_loop, (X, np.ones((3, 4)), 0.464825), wrt=wrt)


def test_jvp_of_fields_without_tangent_read_by_index():
    """Siblings: a list field and a nested record's array field, and an
    array field (inactive for y) read by index in the loop."""
    X = np.array([-0.81, 0.39, -0.28, 0.33])
    for wrt in (2, 0, (0, 2)):
        assert_sound(list_and_record_fields_read_in_loop, (X, np.ones((3, 4)), 0.4648), wrt=wrt)
        assert_sound(array_field_read_by_index_in_loop, (X, np.ones((3, 4)), 0.4648), wrt=wrt)


def row_written_through_out(x):
    A9 = np.ones((3, 4))
    a = np.vdot(x, A9[1])
    for a13 in A9:
        np.add(0.5, 2, out=a13)
    return a


def test_a_row_written_through_out_after_its_array_was_read_is_refused():
    """eighth session, fuzz seed 2926810, present at 51e3dbf: ``np.add(...,
    out=a13)`` into a row of ``A9`` after ``np.vdot(x, A9[1])`` changed the
    coefficient the reverse sweep reads (gradient 2.5 against 1).  The
    written name's whole sharing group counts as written: refused."""
    import srcgrad
    with pytest.raises(srcgrad.UnsupportedError, match="out="):
        srcgrad.grad(row_written_through_out)(np.array([0.14, 0.17, 0.47, -0.66]))


def list_times_element(y, x, u):
    y = x[2]
    L6 = u.tolist()
    y = np.sum(np.multiply(L6, y))
    return y


def ufuncs_of_a_list(y, x, u):
    L = u.tolist()
    M = L
    a = np.divide(M, y) + np.power(x[1] ** 2, L)
    return np.sum(np.hypot(L, x[2]) * a) + np.sum(np.maximum(L, y))


def ufuncs_of_a_row_list_and_a_number(y, x, U):
    L = U[1].tolist()
    c = np.asarray(U[0, 0]).tolist()       # a 0-d array's: a number
    return np.sum(np.subtract(L, y) ** 2) + np.multiply(c, y) + np.sum(np.arctan2(L, x[0]))


def test_jvp_of_a_ufunc_of_a_list_and_a_number():
    """eighth session, fuzz seed 2932535, present at 95b2880: forward mode
    multiplied the Python list ``u.tolist()`` by the tangent of the other
    operand of np.multiply, a number (can't multiply sequence by non-int):
    the container kinds did not know ``.tolist()`` makes a list.  Its value
    (a list, or a number for a 0-d array) is now read as an array in the
    templates of parameters NumPy reads through np.asarray."""
    X = np.array([0.92, 0.14, -0.88, 0.26])
    for wrt in (0, 1, (0, 1)):
        assert_sound(list_times_element, (-0.98, X, np.array([-0.98, -0.15, -0.92])), wrt=wrt)


def test_ufuncs_of_lists_made_by_tolist():
    """Siblings, which crashed in reverse mode too: divide, power, hypot,
    maximum, subtract, arctan2 of a copy of ``u.tolist()``, of a row's, and
    of a 0-d array's (a number); the number or the array differentiated."""
    X = np.array([0.92, 0.14, -0.88, 0.26])
    U = np.array([[0.3, -0.5, 0.7], [0.2, 0.4, -0.6]])
    for wrt in (0, 1, (0, 1)):
        assert_sound(ufuncs_of_a_list, (0.65, X, np.array([0.3, 0.5, 0.7])), wrt=wrt)
        assert_sound(ufuncs_of_a_row_list_and_a_number, (0.7, X, U), wrt=wrt)


def list_argument_times_element(x, L):
    return np.sum(np.multiply(L, x[2]))


def list_argument_in_ufuncs(x, L, y):
    a = np.sum(np.divide(L, 1.0 + x[0] * x[0]))
    b = np.sum(np.power(L, 2.0) * x[1]) + np.sum(np.maximum(L, x[2] * y))
    return a + b + np.sum(np.subtract(L, x[3]) * y)


def test_jvp_of_a_ufunc_of_a_list_argument():
    """ninth session (review of seed 2932535), present at 2269e97; fixed in
    the tenth: a Python list given as an argument that a NumPy ufunc reads
    as an array -- forward mode multiplied the list by a number's tangent
    (TypeError).  A data parameter given to a ufunc is now read through
    ``np.asarray`` in the templates at those calls (``maybe_lists``)."""
    x = np.array([0.92, 0.14, -0.88, 0.26])
    assert_sound(list_argument_times_element, (x, [0.3, 0.5, 0.7]), wrt=0)
    assert_sound(list_argument_times_element, (x, np.array([0.3, 0.5, 0.7])), wrt=0)
    for wrt in (0, 2, (0, 2)):
        assert_sound(list_argument_in_ufuncs, (x, [0.3, -0.5, 0.7], 0.4), wrt=wrt)
        assert_sound(list_argument_in_ufuncs, (x, (0.3, -0.5, 0.7), 0.4), wrt=wrt)


# -- ninth session: fuzz seed 3000668 (present at 95b2880), a silently wrong gradient -------
# A view written through twice (b7 -= ...; b7 -= ...) and then rebound in a loop: the read
# after the loop re-read the array (a6[:]) as if b7 were still its view, in the primal too.

U3 = np.array([0.08754, 0.914412, 0.030121])
X4 = np.array([-0.20567, 0.977385, 0.81804, 0.68217])


def view_rebound_in_a_loop(u, x):
    a6 = x.copy()
    b7 = a6[:]
    b7 -= 0.5
    b7 -= u[2]
    for q9 in u:
        b7 = 0.5
    return np.sum(b7)


def view_rebound_in_a_branch(u, x):
    a6 = x * 1.0
    b7 = a6[1:]
    b7 -= u[0]
    b7 *= u[1]
    if u[2] > 0.0:
        b7 = u * 2.0
    return np.sum(b7) + np.sum(a6 * a6)


def view_written_twice_kept(u, x):
    a6 = x * 1.0
    b7 = a6[1:]
    b7 -= u[0]
    b7 *= u[1]
    return np.sum(b7) + np.sum(a6 * a6)


@pytest.mark.parametrize("f, u", [(view_rebound_in_a_loop, U3),
                                  (view_rebound_in_a_branch, U3),
                                  (view_rebound_in_a_branch, -U3),
                                  (view_written_twice_kept, U3)])
def test_a_view_written_through_then_rebound(f, u):
    assert_sound(f, (u.copy(), X4.copy()), wrt=0, expect="ok-or-refused")
    assert_sound(f, (u.copy(), X4.copy()), wrt=1, expect="ok-or-refused")


# -- tenth session: fuzz seed 3051534 (present at 350b2b0), a silently wrong gradient -------
# A recursive function that changes its argument in place (scale += ... on an array): the
# call stays a call, the primal call changed the caller's array, and the derivative computed
# the callee again from the changed array (grad and jvp 7/6 of the right values).

def _ones4(p):
    return np.linspace(1.0, 1.0, 4)


def _changes_scale(p, scale=1.0, depth=3):
    scale += _ones4(0.5)
    if depth <= 0:
        return np.imag(1j * p) * scale
    return _changes_scale(p, scale, depth - 1.5)


def recursion_changing_its_argument(y, x):
    return _changes_scale(x) @ x


def _rebinds_scale(p, scale=1.0, depth=3):
    scale = scale + _ones4(0.5)
    if depth <= 0:
        return np.imag(1j * p) * scale
    return _rebinds_scale(p, scale, depth - 1.5)


def recursion_rebinding_its_argument(y, x):
    return _rebinds_scale(x) @ x


def _appends(xs, p, depth):
    xs.append(p * 2.0)
    if depth <= 0:
        return sum(xs)
    return _appends(xs, p, depth - 1)


def recursion_appending_to_its_argument(x):
    return np.sum(_appends([x], x, 2))


X5 = np.array([-0.575785, -0.428984, -0.586932, -0.002552])


def test_a_recursion_changing_its_argument_in_place_is_refused():
    assert_sound(recursion_changing_its_argument, (0.39, X5), wrt=1, modes=("grad", "jvp"),
                 expect="refused")
    assert_sound(recursion_appending_to_its_argument, (X5,), modes=("grad", "jvp"),
                 expect="refused")
    # a new value instead: differentiated, and right
    assert_sound(recursion_rebinding_its_argument, (0.39, X5), wrt=1, modes=("grad", "jvp"))
    import srcgrad
    np.testing.assert_allclose(srcgrad.grad(recursion_rebinding_its_argument, wrt=1)(0.39, X5),
                               8.0 * X5, rtol=1e-12)     # scale 2, 3, 4: 4 x . x


# -- writing into the module's array (eleventh session, fuzz stream joint_helper) ----
# The generated code changed the module's array as the primal does, but its reverse sweep
# restored only what it read again: after a gradient call GJ0[1] was 2.5, not 1.5, so
# every later call saw another function.  hvp was wrong (14.654 against finite
# differences of the gradient 14.843; seed 921 of the fuzzer), other programs crashed
# in hvp (NameError: t_GJ0).  Now refused in every mode, as attributes of module
# objects always were.

GJ0 = np.array([0.5, 1.5, -0.7])


def _hj0(p, k=0.35):
    a = np.sin(k * p) * p + k / (1.0 + p * p)
    b = np.tanh(a) * k + p * p * k + GJ0[1] * k
    return a * b + np.cos(p) * k * k


def writes_the_modules_array(y, u):
    q13 = _hj0(y)
    GJ0[1] = 2.5
    q14 = np.sum(_hj0(u))
    q15 = _hj0(y, y)
    GJ0[1] = 1.5
    return q13 + q14 + q15


def writes_a_view_of_the_modules_array(y):
    row = GJ0[:2]
    row[1] = y
    out = np.sum(GJ0) * y
    row[1] = 1.5
    return out


def test_writing_into_an_array_of_the_module_is_refused():
    u = np.array([0.7, -0.8, -0.9])
    assert_sound(writes_the_modules_array, (0.46, u), wrt=0, expect="refused")
    assert_sound(writes_a_view_of_the_modules_array, (0.46,), expect="refused")
    assert GJ0[1] == 1.5
    import srcgrad
    with pytest.raises(srcgrad.UnsupportedError, match="GJ0 = GJ0.copy"):
        srcgrad.grad(writes_the_modules_array, wrt=0)
