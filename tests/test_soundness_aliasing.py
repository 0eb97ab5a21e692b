"""In-place writes and aliasing (issue #10): every program here is either
differentiated exactly in every mode (grad, jvp, hvp: forward over the
generated gradient) or refused with a clear ``SrcgradError``; the generated
code is always valid Python.

The root causes covered:

* a basic slice (``a[1:3]``, ``m[0]`` of a matrix) is a *view*: the reverse
  sweep that reads it after a write into its array must see the old values
  (the write is undone first);
* forward mode writes the tangent in step with the primal, so a tangent
  must share memory exactly where its primal does (``a = x + 0.0`` has the
  tangent ``d_x`` itself: it is copied before it is written into);
* ``v += e`` is ``v = v + e`` after normalising, which differs from Python
  when ``v``'s array is shared with another variable still in use;
* slices stored in variables or passed to helpers are ``slice(...)``
  objects, never ``1:4`` outside a subscript;
* the tape of a generated gradient has one tangent tape, made and pushed
  with it whatever SSA name it has;
* a value only iterated may be a list or an array: writes into it save,
  restore and differentiate either correctly.
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.rules.runtime_rules import WRITE_RULES
from srcgrad.runtime import add_item, item_adjoint, own, restructure, sum_dx

from tests import soundness_programs as sp
from tests.fd import fd_jacobian
from tests.modes import assert_sound, check_modes

X = sp.X
M = sp.M
Y = sp.Y
#: W[:, -1] away from integers: np.int64 of it is constant near the point
W_SMOOTH = np.array([[0.5, 1.5], [0.3, 0.5], [0.2, 1.5]])
W_KINK = np.array([[0.5, 1.0], [0.3, 0.0], [0.2, 1.0]])


# -- the known failures of issue #10 ----------------------------------------------

SOUND = [
    (sp.aug_slice_write, (X, Y), (0, 1)),
    (sp.slice_write_2d, (M,), 0),
    (sp.slice_write_from_comprehension, (X,), 0),
    (sp.forward_overlapping_slices, (X,), 0),
    (sp.forward_self_dot, (X,), 0),
    (sp.slice_aug_column, (M,), 0),
    (sp.slice_write_in_while, (X,), 0),
    (sp.column_cubed, (M,), 0),
    (sp.none_index, (X,), 0),
    (sp.cast_to_int_index, (W_SMOOTH,), 0),
    (sp.list_where_in_loop, (Y,), 0),
    (sp.fancy_write_scalar, (X, M), (0, 1)),
    (sp.mask_write_mean, (X,), 0),
]


@pytest.mark.parametrize("f, args, wrt", SOUND, ids=[c[0].__name__ for c in SOUND])
def test_known_failure_is_sound(f, args, wrt):
    assert_sound(f, args, wrt)


def test_view_bound_to_name():
    """``v = u[1:]; v += k`` changes ``u`` in Python, and in every mode."""
    assert_sound(sp.view_bound_to_name, (np.array([1., 2., 3.]), 0.5), (0, 1))
    g = srcgrad.grad(sp.view_bound_to_name, wrt=1)(np.array([1., 2., 3.]), 0.5)
    assert np.isclose(g, 12.0)


def view_augmented_in_loop(u0, k):
    u = u0.copy()
    v = u[1:]
    for i in range(2):
        v += k * u[0]         # v is loop carried: the sharing is checked when it runs
    return np.sum(u ** 2)


def test_view_augmented_in_loop_is_refused():
    outcomes = assert_sound(view_augmented_in_loop, (np.array([1., 2., 3.]), 0.5), (0, 1),
                            modes=("grad", "jvp"), expect="refused")
    assert all("'v' is a view of 'u'" in o.detail for o in outcomes), outcomes


def test_out_argument_is_refused():
    outcomes = assert_sound(sp.out_argument, (X[:3].copy(), Y), (0, 1), modes=("grad", "jvp"),
                            expect="refused")
    assert all("out=" in o.detail for o in outcomes), outcomes


def test_out_argument_without_derivative_is_kept():
    def f(x):
        buf = np.zeros(3)
        np.multiply(np.arange(3.), 2.0, out=buf)
        return np.sum(x * buf)

    assert_sound(f, (X[:3].copy(),))


def test_cast_to_int_index_at_the_kink():
    """At integer W[:, -1] finite differences cross the cast's jump; the
    derivative is the one-sided one every mode must agree on."""
    f = sp.cast_to_int_index
    g = srcgrad.grad(f)(W_KINK)
    v = np.random.default_rng(3).normal(size=W_KINK.shape)
    _, t = srcgrad.jvp(f)(W_KINK, v)
    assert np.isclose(t, np.sum(g * v))
    assert np.all(g[:, -1] == 0.0)
    H = srcgrad.hessian(f)(W_KINK)
    hv = srcgrad.hvp(f)(W_KINK, v)
    np.testing.assert_allclose(np.tensordot(H, v, 2), hv, rtol=1e-10, atol=1e-12)
    # the first column block away from the kink, by finite differences
    assert_sound(lambda A: f(np.concatenate([A, W_KINK[:, -1:]], axis=1)),
                 (W_KINK[:, :-1].copy(),), modes=("grad", "jvp"))


# -- hessians of the crashing cases -------------------------------------------------

def test_hessian_of_a_column_cubed():
    x = np.array([[0.5, 1.0], [0.3, -0.2], [-0.4, 0.7]])
    H = srcgrad.hessian(lambda x: np.sum(x[:, 0] ** 3))(x)
    expect = np.zeros((3, 2, 3, 2))
    for i in range(3):
        expect[i, 0, i, 0] = 6 * x[i, 0]
    np.testing.assert_allclose(H, expect, atol=1e-12)


def kmeans_cost(X, C):
    D = X[:, None, :] - C[None, :, :]
    return np.sum(np.sum(D ** 2, axis=2) ** 0.5)


def fancy_aug_indices(x):
    y = x.copy()
    y[np.array([2, 0])] += x[1:3] ** 2
    return np.sum(y * y)


def test_kmeans_broadcast_form():
    assert_sound(kmeans_cost, (M.T.copy(), M[:2, :3] + 0.05), (0, 1))


def test_fancy_augmented_write_hessian():
    assert_sound(fancy_aug_indices, (X,))
    H = srcgrad.hessian(fancy_aug_indices)(X)
    g = srcgrad.grad(fancy_aug_indices)
    fd = np.array([(g(X + 1e-6 * e) - g(X - 1e-6 * e)) / 2e-6 for e in np.eye(4)])
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-6)


def test_emitted_code_is_valid_python():
    """Slices kept in variables are slice objects in every generated text."""
    import ast
    for f, wrt in ((sp.slice_aug_column, 0), (sp.column_cubed, 0), (sp.none_index, 0),
                   (sp.slice_write_in_while, 0)):
        for make in (srcgrad.grad, srcgrad.jvp, srcgrad.hvp):
            ast.parse(srcgrad.source(make(f, wrt=wrt)))


# -- generalisations ---------------------------------------------------------------

def aug_ops_on_slices(x, y):
    a = x * 1.0
    a[1:3] += y
    a[0:2] -= a[2:4] * y
    a[::2] *= y
    a[1::2] /= 1.5 + y
    return np.sum(a * a)


def negative_step_slice(x, y):
    a = x.copy()
    a[::-1] *= y
    a[3:0:-2] += a[0:2] * y
    return np.sum(np.sin(a))


def ellipsis_write(M, y):
    m = M.copy()
    m[..., 1] *= y
    m[1, ...] = m[0, ...] * y
    return np.sum(m ** 2)


def two_d_block(M):
    m = M * 1.0
    m[:2, 1:3] *= m[1:, :2]
    m[:, -1] = m[:, 0] @ m[:, 1] * m[:, 2]
    return np.sum(m * m)


def row_view_read_after_write(M):
    m = M * 2.0
    r = m[1]
    s = np.sum(r ** 3)
    m[1] = m[0] * m[2]
    return s + np.sum(m ** 2)


def slices_in_for_loop(x, y):
    a = x * 1.0
    for k in range(3):
        a[1:] *= y
        a[:-1] += a[1:] * 0.5
    return np.sum(a ** 2)


def slices_in_while_loop(x):
    a = x * 1.0
    k = 0
    while k < 3:
        a[::-1] = a * 0.5 + a[::-1]
        a[k] /= 1.0 + a[k + 1] ** 2
        k += 1
    return np.sum(np.sin(a))


def column_writes_in_loop(M):
    m = M * 1.0
    for j in range(1, 4):
        m[:, j] += m[:, j - 1] * m[:, j]
    return np.sum(m ** 2)


def scalar_item_then_write(x):
    a = x * 1.0
    v = a[0]
    a[0] = a[1] * a[2]
    return np.sum(a ** 2) * v


def written_copy_of_argument_tangent(x):
    a = x + 0.0
    b = a * 1.0
    b[0] = 3.0 * x[1]
    a[2] = b[1] * x[3]
    return np.sum(a * b)


def aug_on_unshared_name(x):
    a = x * 2.0
    a += x
    a *= a
    return np.sum(a)


def aug_on_scalar_copy(y):
    s = y
    t = s
    t += 1.0
    return s * t


def row_of_matrix_aug(M, y):
    m = M.copy()
    r = m[0]
    r += y               # changes m too
    return np.sum(m ** 2)


def reshape_view_written(x):
    a = x * 1.0
    b = a.reshape(2, 2)
    b[0, 0] = 5.0
    return np.sum(a * b[1])


def iterated_array_written(x):
    s = 0.0
    for e in x:
        s = s + e * e
    a = x.copy()
    a[1] = s
    a[2:] *= s
    return np.sum(np.sin(a))


def list_element_rewritten(x):
    z = [x * x, x + 1.0, 2.0]
    for i in range(2):
        z[i + 1] = z[i] * z[i + 1]
    return z[2] + z[0]


GENERAL = [
    (aug_ops_on_slices, (X, Y), (0, 1)),
    (negative_step_slice, (X, Y), (0, 1)),
    (ellipsis_write, (M, Y), (0, 1)),
    (two_d_block, (M,), 0),
    (row_view_read_after_write, (M,), 0),
    (slices_in_for_loop, (X, Y), (0, 1)),
    (slices_in_while_loop, (X,), 0),
    (column_writes_in_loop, (M,), 0),
    (scalar_item_then_write, (X,), 0),
    (written_copy_of_argument_tangent, (X,), 0),
    (aug_on_unshared_name, (X,), 0),
    (aug_on_scalar_copy, (Y,), 0),
    (iterated_array_written, (X,), 0),
    (list_element_rewritten, (Y,), 0),
]


@pytest.mark.parametrize("f, args, wrt", GENERAL, ids=[c[0].__name__ for c in GENERAL])
def test_generalisation_is_sound(f, args, wrt):
    assert_sound(f, args, wrt)


def test_hessian_of_scalar_item_then_write():
    """Batched forward mode: ``a[0]`` of a vector is a copy, its batched
    tangent's ``t[0]`` a view; a later write must not reach it."""
    f = scalar_item_then_write
    g = srcgrad.grad(f)
    fd = np.array([(g(X + 1e-6 * e) - g(X - 1e-6 * e)) / 2e-6 for e in np.eye(4)])
    np.testing.assert_allclose(srcgrad.hessian(f)(X), fd, rtol=1e-6, atol=1e-6)


def test_row_of_matrix_written_through_augmented_assignment():
    assert_sound(row_of_matrix_aug, (M, Y), (0, 1))


def test_reshape_view_written_is_refused():
    assert_sound(reshape_view_written, (X,), modes=("grad", "jvp"), expect="refused")


def row_read_after_write(M):
    m = M * 1.0
    r = m[1]
    m[1] = m[0] * m[2]
    return np.sum(m ** 2) * np.sum(r)


def row_read_after_write_in_loop(M):
    m = M * 1.0
    r = m[1]
    for i in range(2):
        m[1] = m[0] * r          # r is m[1]: the value of the previous iteration
    return np.sum(m ** 2) * np.sum(r)


def row_read_after_write_in_loop_carried(M):
    m = M * 1.0
    for i in range(2):
        r = m[1]
        m[1] = m[0] * m[2]
        m[0] = r * 0.5           # r changed with m: checked when it runs
    return np.sum(m ** 2)


@pytest.mark.parametrize("f", [row_read_after_write, row_read_after_write_in_loop])
def test_view_read_after_write_in_the_primal(f):
    """``r = m[1]`` read after ``m[1] = ...`` reads ``m[1]`` again there."""
    assert_sound(f, (M,))


def test_view_read_after_write_in_a_loop():
    out = {o.mode: o for o in check_modes(row_read_after_write_in_loop_carried, (M,), 0,
                                          modes=("grad", "jvp"))}
    assert out["jvp"].status == "ok", out
    assert out["grad"].status == "refused" and "'r' is a view of 'm'" in out["grad"].detail, out


# -- rules of the runtime helpers of element writes (hvp of generated code) --------

IDX = (slice(1, 3),)


def w_own(a):
    return own(a) * 2.0


def w_item_adjoint(d, v):
    return item_adjoint(d, np.array([0, 2, 0]), v) * 1.0


def w_item_adjoint_slice(d, v):
    return item_adjoint(d, slice(1, 3), v) * 1.0


def w_sum_dx(a):
    return sum_dx(a, np.ones((3, 2)))


def w_add_item(d, v):
    return add_item(d * 1.0, np.ones(5), slice(1, 4), v)


def w_restructure(a):
    return restructure(a * 1.0, np.ones(3))


def _u(*shape):
    return lambda r: r.uniform(-1, 1, shape) if shape else float(r.uniform(-1, 1))


WRITE_CASES = [
    (own, w_own, [_u(3)]),
    (item_adjoint, w_item_adjoint, [_u(4), _u()]),
    (item_adjoint, w_item_adjoint_slice, [_u(4), _u(2)]),
    (sum_dx, w_sum_dx, [_u(2)]),
    (add_item, w_add_item, [_u(5), _u(3)]),
    (restructure, w_restructure, [_u(3)]),
]


def test_every_write_rule_is_tested():
    assert set(WRITE_RULES) == {c[0] for c in WRITE_CASES}


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("helper, case, samplers", WRITE_CASES,
                         ids=[c[1].__name__ for c in WRITE_CASES])
def test_write_rule(helper, case, samplers, mode):
    r = np.random.default_rng(len(case.__name__))
    args = tuple(s(r) for s in samplers)
    wrt = tuple(range(len(args)))
    J = srcgrad.jacobian(case, wrt=wrt, mode=mode)(*args)
    for i in wrt:
        np.testing.assert_allclose(J[i], fd_jacobian(case, args, i), rtol=1e-6, atol=1e-8)


# -- writes through a view of an argument --------------------------------------------

def arg_asarray_written(x):
    a = np.asarray(x)
    a[0] = 5.0 * a[1]
    return np.sum(a * a)


def arg_reshape_written(x):
    a = x.reshape(2, 2)
    a[0, 0] = 5.0 * a[1, 1]
    return np.sum(a * a)


def arg_slice_written(x):
    a = x[1:]
    a[0] = 5.0 * a[1]
    return np.sum(a * a)


def arg_transpose_written(x):
    a = x.T
    a[0] = 5.0 * a[1]
    return np.sum(a * a)


@pytest.mark.parametrize("f, x", [(arg_asarray_written, X), (arg_reshape_written, X),
                                  (arg_slice_written, X), (arg_transpose_written, M)],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_write_through_a_view_of_an_argument(f, x):
    """Python changes the caller's array here; srcgrad's generated code never
    does (the argument is copied first), and its derivatives are those of
    ``f`` applied to a copy."""
    x0 = x.copy()
    on_copy = lambda z: f(z.copy())               # noqa: E731
    g = srcgrad.grad(f)(x0)
    np.testing.assert_array_equal(x0, x)
    np.testing.assert_allclose(g, fd_jacobian(on_copy, (x,), 0).reshape(x.shape), atol=1e-6)
    v = np.random.default_rng(1).normal(size=x.shape)
    value, t = srcgrad.jvp(f)(x0, v)
    np.testing.assert_array_equal(x0, x)
    assert np.isclose(value, on_copy(x)) and np.isclose(t, np.sum(g * v))
    try:
        hv = srcgrad.hvp(f)(x0, v)
    except srcgrad.SrcgradError:
        # the generated gradient reads the reshaped array for its shape after
        # the write (a view a function made: refused); no rule for array_dx
        assert f in (arg_reshape_written, arg_asarray_written)
        return
    np.testing.assert_array_equal(x0, x)
    gf = srcgrad.grad(f)
    fd = (gf(x + 1e-5 * v) - gf(x - 1e-5 * v)) / 2e-5
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-6)


def write_through_view_of_local(u0, k):
    u = u0.copy()
    v = u[1:]
    v[0] = k * u[0]
    return np.sum(u ** 2)


def write_through_view_in_loop(u0, k):
    u = u0.copy()
    v = u[1:]
    for i in range(2):
        v[i] = v[i] * k + u[0]     # changes u[i + 1]
    return np.sum(u ** 2) + np.sum(v)


def test_write_through_a_view_of_a_local():
    """``v[0] = ...`` changes ``u``: written as a change of ``u[1:]``."""
    assert_sound(write_through_view_of_local, (np.array([1., 2., 3.]), 0.5), (0, 1))
    # (hvp: see test_views_of_views)
    assert_sound(write_through_view_in_loop, (np.array([1., 2., 3.]), 0.5), (0, 1),
                 modes=("grad", "jvp"))
    assert_sound(write_through_view_in_loop, (np.array([1., 2., 3.]), 0.5), (0, 1),
                 modes=("hvp",), expect="ok-or-refused")


# -- two views of one array, one of them written ------------------------------------

def overlapping_views(x):
    a = x * 1.0
    b = a[1:]
    c = a[:3]
    b[0] = 7.0 * x[0]          # changes c[1]
    return np.sum(c ** 2)


def overlapping_views_made_after(x):
    a = x * 1.0
    c = a[:3]
    b = a[1:]
    b[0] = 7.0 * c[0]
    return np.sum(c ** 2)


def disjoint_views(x):
    a = x * 1.0
    b = a[2:]
    c = a[:2]
    b[0] = 7.0 * c[1]          # c is not changed
    return np.sum(c ** 2) + np.sum(b ** 2)


def view_in_loop_read_before_write(x):
    a = x * 1.0
    for i in range(3):
        v = a[i:i + 2]
        a[i + 1] = v[0] * v[1]
    return np.sum(a ** 2)


@pytest.mark.parametrize("f", [overlapping_views, overlapping_views_made_after])
def test_overlapping_views(f):
    """The write through one view reaches the other, in every mode."""
    assert_sound(f, (X,))


@pytest.mark.parametrize("f", [disjoint_views, view_in_loop_read_before_write])
def test_views_the_write_does_not_reach(f):
    assert_sound(f, (X,))


def view_read_in_loop_that_writes(x, y):
    a = x * 1.0
    v = a[::2]
    j = 0
    while j < 2:
        a[-2:] *= v * 0.5 + y      # v changes with a: v * 0.5 is not loop invariant
        j += 1
    return np.sum(np.sin(a) * a)


def test_view_of_array_written_in_loop_is_not_hoisted():
    out = {o.mode: o for o in check_modes(view_read_in_loop_that_writes, (X, Y), (0, 1),
                                          modes=("grad", "jvp"))}
    assert out["jvp"].status == "ok", out
    assert out["grad"].status in ("ok", "refused"), out


HESSIAN_CASES = [(f, args, wrt if isinstance(wrt, int) else wrt[0]) for f, args, wrt in SOUND + GENERAL
                 if isinstance(args[wrt if isinstance(wrt, int) else wrt[0]], np.ndarray)]


@pytest.mark.parametrize("f, args, w", HESSIAN_CASES, ids=[c[0].__name__ for c in HESSIAN_CASES])
def test_hessian_is_sound(f, args, w):
    """``hessian`` (batched forward mode over the gradient, no fallback to
    one direction at a time) against finite differences of the gradient."""
    import warnings
    x = args[w]
    g = srcgrad.grad(f, wrt=w)

    def grad_at(z):
        a = list(args)
        a[w] = z
        return g(*a)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        H = srcgrad.hessian(f, wrt=w)(*args)
    n = x.size
    steps = np.eye(n).reshape((n,) + x.shape)
    fd = np.array([(grad_at(x + 1e-5 * e) - grad_at(x - 1e-5 * e)) / 2e-5 for e in steps])
    np.testing.assert_allclose(H.reshape(n, n), fd.reshape(n, n).T, rtol=1e-5, atol=1e-5)


def test_view_read_again_standalone_source():
    """The re-read of a view is plain code: the standalone module runs."""
    df = srcgrad.grad(sp.view_bound_to_name, wrt=(0, 1))
    assert srcgrad.grad(sp.view_bound_to_name, wrt=(0, 1)) is df
    text = srcgrad.source(df, standalone=True)
    assert "v_is_view = is_view(v, u)" in text and "u[1:] = " in text
    ns = {}
    exec(compile(text, "<standalone>", "exec"), ns)
    u0 = np.array([1., 2., 3.])
    name = srcgrad.source(df).split("(")[0].split()[-1]
    for a, b in zip(ns[name](u0, 0.5), df(u0, 0.5)):
        np.testing.assert_allclose(a, b)


def view_read_after_augmented(u0, k):
    u = u0.copy()
    v = u[1:]
    w = u[:2]
    v *= k
    return np.sum(w * v) + np.sum(u)


def test_views_read_again_after_augmented_assignment():
    assert_sound(view_read_after_augmented, (np.array([1., 2., 3.]), 0.5), (0, 1))
    text = srcgrad.source(srcgrad.grad(view_read_after_augmented, wrt=(0, 1)))
    assert "w_now = u[:2]" in text


def test_row_alive_across_a_write():
    """Refused before (tests/bad_programs.py): now ``row`` reads ``a[0]``
    again after the write, and a write into ``row`` is a write into
    ``a[0]``, in every mode."""
    from tests import bad_programs as bad
    assert_sound(bad.writes_while_view_alive, (0.7,))
    assert_sound(bad.writes_into_view_of_live_array, (0.7,))


def returns_view_after_write(x):
    a = x * 1.0
    v = a[1:]
    a[1] = 5.0 * x[0]
    return v


def test_returned_view_after_write():
    """The result is the view itself, written through ``a``."""
    v = np.random.default_rng(2).normal(size=4)
    value, t = srcgrad.jvp(returns_view_after_write)(X, v)
    np.testing.assert_allclose(value, returns_view_after_write(X))
    np.testing.assert_allclose(t, [5.0 * v[0], v[2], v[3]])
    vjp = srcgrad.vjp(returns_view_after_write)
    c = np.array([1.0, 2.0, 3.0])
    value, g = vjp(X, c)
    np.testing.assert_allclose(g, [5.0, 0.0, 2.0, 3.0])


# -- NumPy functions that write into an argument ----------------------------------

def add_at_statement(x):
    a = x * 1.0
    np.add.at(a, [0, 0], x[1])
    return np.sum(a ** 2)


def copyto_statement(x):
    a = np.zeros(4)
    np.copyto(a, x)
    return np.sum(a * x)


def put_statement(x):
    a = x * 1.0
    np.put(a, [0], x[1])
    return np.sum(a ** 2)


@pytest.mark.parametrize("f", [add_at_statement, copyto_statement, put_statement])
def test_numpy_function_writing_an_argument_is_refused(f):
    outcomes = assert_sound(f, (X,), modes=("grad", "jvp"), expect="refused")
    assert all("in place" in o.detail for o in outcomes), outcomes


def test_numpy_call_without_derivative_is_kept():
    def f(x):
        buf = np.zeros(4)
        np.copyto(buf, np.arange(4.))
        np.testing.assert_array_equal(buf, np.arange(4.))
        return np.sum(x * buf)

    assert_sound(f, (X,))


def array_read_out_of_list_then_written(x):
    a = x * 1.0
    lst = [a, x * 2.0]
    r = lst[0]
    r[1] = 5.0 * x[0]           # changes a and lst[0] too
    return np.sum(a ** 2) + np.sum(lst[0] * x)


def test_array_read_out_of_a_list_then_written_is_refused():
    outcomes = assert_sound(array_read_out_of_list_then_written, (X,), modes=("grad", "jvp"),
                            expect="refused")
    assert all("read out of 'lst'" in o.detail for o in outcomes), outcomes


# -- index forms: expressions, None/newaxis, Ellipsis, negative steps ----------------

def index_expressions_in_loop(M):
    m = M * 1.0
    for i in range(2):
        m[i + 1, :] += m[i, ::-1] * 0.5
    return np.sum(m[..., None] * m[None, :, :, None] ** 2)


def newaxis_and_tuple_of_slice(M):
    m = M * 1.0
    m[:, np.newaxis, 1] *= 2.0
    m[(slice(0, 2),)] -= m[1:3][::-1]
    return np.sum(np.sin(m))


def negative_steps_2d(M):
    m = M.copy()
    k = 1
    m[k:k + 2, -1:0:-1] /= 1.0 + m[0, :3]
    return np.sum(m * m)


INDEX_FORMS = [index_expressions_in_loop, newaxis_and_tuple_of_slice, negative_steps_2d]


@pytest.mark.parametrize("f", INDEX_FORMS)
def test_index_forms(f):
    assert_sound(f, (M + 0.05,))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        H = srcgrad.hessian(f)(M + 0.05)
    v = np.random.default_rng(4).normal(size=M.shape)
    np.testing.assert_allclose(np.tensordot(H, v, 2), srcgrad.hvp(f)(M + 0.05, v),
                               rtol=1e-9, atol=1e-9)


def views_taped_in_loop_then_written(x, y):
    a = x * 1.0
    s = 0.0
    v = a[0] * 1.0
    j = 0
    while j < 2:
        s = s + np.sum(np.sin(a[-2:]))       # a[-2:] and a[...] are taped as views
        s = s + np.sum(np.sin(a[...]) * y)
        j += 1
    for i in range(2):
        a[0:2] = v * 0.5
    return np.sum(np.sin(a) * a) + s


def test_views_on_the_tape_see_the_values_restored():
    """A view pushed on the tape is read back after later writes into its
    array: those writes are undone first (found by the fuzzer; wrong before)."""
    assert_sound(views_taped_in_loop_then_written, (X, Y), (0, 1))


# -- views of views, several views written (found by a fuzzer of this file's kind) --

def two_writes_through_a_view(x, y):
    a = x * 1.0
    v = a[2:]
    w = a[:2]
    w[:1] -= y * v[0]
    w[::-1] += y * v[0]         # reads w[::-1], a view of the view w
    return np.sum(a * a)


def views_written_and_augmented(x, y):
    a = x * 1.0
    s = 0.0
    v = a[...]
    w = a[1:3]
    s = s + np.sum(v ** 2)
    v[...] = np.sin(w[-1])
    v[::-1] += y * v[0]
    return np.sum(a * a) + s + np.sum(np.sin(v)) + np.sum(w)


def views_in_loop_and_augmented(x, y):
    a = x * 1.0
    s = 0.0
    v = a[:2]
    w = a[::2]
    v[...] += y * v[0]
    s = s + np.sum(a ** 2)
    for i in range(2):
        v[::-1] *= y * w[0]
    v[...] *= y * v[0]
    return np.sum(a * a) + s + np.sum(np.sin(v)) + np.sum(w)


@pytest.mark.parametrize("f", [two_writes_through_a_view, views_written_and_augmented,
                               views_in_loop_and_augmented])
def test_views_of_views(f):
    if f is views_in_loop_and_augmented:
        # (hvp: the gradient written through a view in a loop tapes, on the path where the
        # view turns out not to be one, the array it then writes into: the second
        # derivative refuses that path, which never runs for NumPy arrays; thirteenth
        # session, tests/test_soundness_r9.py)
        assert_sound(f, (X, Y), (0, 1), modes=("grad", "jvp"))
        assert_sound(f, (X, Y), (0, 1), modes=("hvp",), expect="ok-or-refused")
        return
    assert_sound(f, (X, Y), (0, 1))
