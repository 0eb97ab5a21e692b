"""Versions of the gradient for arrays of a known rank (issue #15).

An element read ``x[i]`` of an array whose rank the compiler knows is a
scalar: no ``unbroadcast``, no ``.copy()``, nothing shared with ``x``.  Local
arrays get their rank from their constructor (``np.zeros(n)``); parameters
read with integer indices get a version behind a guard
``type(x) is not ndarray or x.ndim != 1`` whose fallback is the generic
version.  Each function here is checked in every mode (gradient and jvp
against finite differences, hvp against finite differences of the gradient)
both with the ranks the guard expects and with others (the fallback), and the
generated code is checked for what the version saves.
"""

import math

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound

RNG = np.random.default_rng(15)


def conv1d(x, w):
    n = x.shape[0] - w.shape[0] + 1
    out = np.zeros(n)
    for i in range(n):
        for j in range(w.shape[0]):
            out[i] += w[j] * x[i + j]
    return np.sum(out ** 2)


def conv_len(x, w):
    n = len(x) - len(w) + 1
    out = np.zeros(n)
    for i in range(n):
        for j in range(len(w)):
            out[i] += w[j] * x[i + j]
    return np.sum(out ** 2)


def conv_rows(x, w):
    # x (n, d): rows; w (k,): the guess from x[i + j] is wrong
    n = x.shape[0] - w.shape[0] + 1
    out = np.zeros((n, x.shape[1]))
    for i in range(n):
        for j in range(w.shape[0]):
            out[i] += w[j] * x[i + j]
    return np.sum(out ** 2)


def poly(c, x, y):
    loss = 0.0
    for i in range(len(x)):
        pred = 0.0
        for j in range(len(c)):
            pred = pred + c[j] * x[i] ** j
        r = pred - y[i]
        loss = loss + r * r
    return loss / len(x)


def pairs(pos):
    E = 0.0
    for i in range(pos.shape[0]):
        for j in range(i + 1, pos.shape[0]):
            d = pos[i] - pos[j]
            E = E + 1.0 / (1.0 + np.sum(d * d))
    return E


def matrix_elements(A, v):
    n = A.shape[0]
    B = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            B[i, j] = A[i, j] * v[j] + B[i, j]
            B[i, j] += np.sin(A[j, i])
        B[i] = B[i] * 2.0
    return np.sum(B * B) + B[0, 1]


def step(u, theta):
    return np.array([theta[0] * u[0] - theta[1] * u[0] * u[1],
                     theta[2] * u[0] * u[1] - theta[3] * u[1]])


def ode(theta, u0, obs):
    u = u0
    loss = 0.0
    for i in range(obs.shape[0]):
        k1 = step(u, theta)
        k2 = step(u + 0.05 * k1, theta)
        u = u + 0.05 * (k1 + k2)
        loss = loss + np.sum((u - obs[i]) ** 2)
    return loss


def reread(x):
    out = x * 1.0
    acc = 0.0
    for i in range(1, x.shape[0]):
        out[i] += out[i - 1] * 0.5
        acc = acc + out[i] * out[i - 1]
    return acc + np.sum(out)


def overwritten(x):
    # out[i] is overwritten after it was read into v: the old value is needed
    out = np.zeros(x.shape[0])
    s = 0.0
    for i in range(x.shape[0]):
        out[i] = x[i] * 2.0
        v = out[i]
        out[i] = np.sin(v) + out[i]
        s = s + v * out[i]
    return s


CASES = [
    (conv1d, lambda: (RNG.standard_normal(9), RNG.standard_normal(3)), (0, 1)),
    (conv_len, lambda: (list(RNG.standard_normal(9)), RNG.standard_normal(3)), 1),
    (conv_len, lambda: (RNG.standard_normal(9), list(RNG.standard_normal(3))), 0),
    (conv_rows, lambda: (RNG.standard_normal((7, 2)), RNG.standard_normal(3)), (0, 1)),
    (poly, lambda: (RNG.standard_normal(4), RNG.standard_normal(6), RNG.standard_normal(6)), 0),
    (poly, lambda: (RNG.standard_normal(4), list(RNG.standard_normal(6)), RNG.standard_normal(6)),
     0),
    (pairs, lambda: (RNG.standard_normal((5, 3)),), 0),
    (pairs, lambda: (RNG.standard_normal(5),), 0),
    (matrix_elements, lambda: (RNG.standard_normal((3, 3)), RNG.standard_normal(3)), (0, 1)),
    (matrix_elements, lambda: (RNG.standard_normal((3, 3)), list(RNG.standard_normal(3))), 0),
    (ode, lambda: (RNG.uniform(0.5, 1.0, 4), RNG.uniform(0.5, 1.0, 2),
                   RNG.uniform(0.5, 1.0, (4, 2))), (0, 1)),
    (ode, lambda: (RNG.uniform(0.5, 1.0, 4), RNG.uniform(0.5, 1.0, 2),
                   RNG.uniform(0.5, 1.0, 4)), (0, 1)),
    (reread, lambda: (RNG.standard_normal(6),), 0),
    (overwritten, lambda: (RNG.standard_normal(5),), 0),
]


@pytest.mark.parametrize("f, make, wrt", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_every_mode_with_and_without_the_expected_ranks(f, make, wrt):
    assert_sound(f, make(), wrt=wrt)


def _version(f, wrt):
    """The source of the version behind the rank guard (the first function)."""
    return srcgrad.source(srcgrad.grad(f, wrt=wrt)).split("\n\n\ndef ")[0]


def _guard(f, wrt):
    """The guard's test: at the top of the specialised version, or (a long
    function, compiler/lazy.py) of the function choosing a version."""
    lines = srcgrad.source(srcgrad.grad(f, wrt=wrt)).splitlines()
    k = next(k for k, ln in enumerate(lines)
             if ln.startswith("    if ") and ("ndim" in ln or "type(" in ln))
    out = lines[k]
    while not out.rstrip().endswith(":"):       # (a long test, over lines)
        k += 1
        out += " " + lines[k].strip()
    return out


def test_conv1d_version_has_no_shape_bookkeeping():
    src = _version(conv1d, (0, 1))
    assert "x.ndim != 1" in _guard(conv1d, (0, 1)) and "w.ndim != 1" in _guard(conv1d, (0, 1))
    assert "unbroadcast" not in src and ".copy()" not in src
    # the adjoint of out[i] += ... passes d_out[i] through: never zeroed
    assert "d_out[i] = 0.0" not in src
    x, w = RNG.standard_normal(9), RNG.standard_normal(3)
    srcgrad.check_grad(conv1d, x, w, wrt=(0, 1))


def test_rows_are_not_guessed_to_be_numbers():
    # pos[i] - pos[j] is summed: rows of a matrix, so the guard asks for ndim 2
    assert "pos.ndim != 2" in _version(pairs, 0)
    # obs[i] only ever meets the vector u: a row, so obs is guessed a matrix
    src = _version(ode, (0, 1))
    assert "obs.ndim != 2" in src and "u0.ndim != 1" in src and "theta.ndim != 1" in src


def local(x):
    out = np.zeros(3)
    for i in range(3):
        out[i] = out[i] + x * float(i)
    return np.sum(out * out)


def test_local_arrays_of_known_rank_need_no_guard():
    # out = np.zeros(3) has rank 1 in every version: out[i] is a number; the
    # version for a float x then needs no shape bookkeeping at all
    src = _version(local, 0)
    assert "unbroadcast" not in src and "d_out[i] = 0.0" not in src
    srcgrad.check_grad(local, 0.7)


def squares(z):
    s = 0.0
    for i in range(z.shape[0]):
        s = s + np.abs(z[i]) ** 2
    return s


def test_complex_vectors_still_go_to_the_complex_version():
    z = RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
    # JAX's convention (docs/complex.md): dL/dx - 1j dL/dy
    np.testing.assert_allclose(srcgrad.grad(squares)(z), 2 * np.conj(z))


def adaptive(k, x0, T):
    t = 0.0
    x = x0
    while t < T:
        dt = 0.1 / (1.0 + k * x * x)
        if t + dt > T:
            dt = T - t
        x = x + dt * (-k * x ** 3 + np.sin(t))
        t = t + dt
    return x * x


@pytest.mark.parametrize("T", [1.0, 1, np.float64(1.0), np.array(1.0)])
def test_a_while_bound_is_a_number_int_or_float(T):
    # T is compared in the while test: the fast version takes ints and floats
    assert_sound(adaptive, (0.7, 0.5, T), wrt=(0, 1))


def test_old_values_of_a_loop_travel_in_its_one_tuple():
    src = _version(adaptive, (0, 1))
    assert "type(T) is not float and type(T) is not int and type(T) is not float64" in \
        _guard(adaptive, (0, 1))
    # x and t overwritten once per iteration: saved in x_old, t_old, one push;
    # the reverse sweep reads x_old itself (optimise/restores.py)
    assert src.count("tape.append(") == 1 and "x_old = x" in src and "x = x_old" not in src
    assert any("x_old, t_old" in ln and "tape.pop()" in ln for ln in src.splitlines())
    assert "unbroadcast" not in src and "zeros_like" not in src


def test_numpy_float_scalars_take_the_fast_version():
    # an optimiser's step k - lr * dk makes k a np.float64 (the data are arrays):
    # the version for floats takes those too, not only Python floats
    assert "type(k) is not float and type(k) is not float64" in _guard(adaptive, (0, 1))
    for k, x0 in [(np.float64(0.7), np.float64(0.5)), (0.7, np.float64(0.5))]:
        assert_sound(adaptive, (k, x0, 1.0), wrt=(0, 1))


def trajectory(v, drag):
    x = 0.0
    xs = [x]
    for i in range(5):
        v = v - 0.1 * drag * v * v
        x = x + 0.1 * v
        xs.append(x)
    loss = 0.0
    for i in range(len(xs)):
        loss = loss + (xs[i] - 0.3 * i) ** 2
    return loss


def trajectory_rows(v, drag):
    # items of different ranks: nothing is assumed about them
    x = np.zeros(2) + v
    xs = [0.0]
    for i in range(3):
        x = x - 0.1 * drag * x
        xs.append(x)
    return sum(np.sum(xs[i] ** 2) for i in range(len(xs)))


def trajectory_summed(v):
    xs = [v]
    for i in range(3):
        xs.append(xs[i] * 0.5 + 1.0)
    total = sum(xs)               # read as a whole: not followed, still right
    return total * xs[2]


def test_items_of_a_list_only_appended_to_have_a_rank():
    """An item of a list made by a display and only appended to has the rank
    of every value put in it: numbers here, so no unbroadcast for them."""
    assert_sound(trajectory, (1.3, 0.2), wrt=(0, 1))
    text = srcgrad.source(srcgrad.grad(trajectory, wrt=(0, 1))).split("\n\n\n")[0]
    assert "unbroadcast" not in text
    assert_sound(trajectory_rows, (1.3, 0.2), wrt=(0, 1))
    assert_sound(trajectory_summed, (1.3,))


def misfit(v, obs):
    total = 0.0
    for o in obs:
        total = total + (v - o) ** 2
    return total


def misfit_branch(v, obs, c):
    total = 0.0
    for o in obs:
        if c > 0.0:
            total = total + (v * o) ** 2
        else:
            total = total * 0.5 + v
    return total


def misfit_reset(v, obs):
    for o in obs:
        total = 0.0
        total = total + (v - o) ** 2
    return total


def misfit_in_branch(v, obs):
    if len(obs) == 0:
        return v * 0.0
    total = 0.0
    for o in obs:
        total = total + (v - o) ** 2
    return total


def misfit_loop_around(v, obs):
    out = 0.0
    for k in range(2):
        total = 0.0
        for o in obs:
            total = total + (v - o) ** 2
        out = out + total
    return out


def test_terms_of_a_scalar_sum_are_scalars():
    """``grad`` checks that the result is a scalar before the reverse sweep;
    a sum started outside loops and only ever added to (or scaled) is then a
    scalar all along, and so is every term: no unbroadcast of the terms,
    whatever the data's items are."""
    obs = [0.3, np.float64(1.1), 2.0]
    assert_sound(misfit, (1.3, obs), wrt=0)
    text = srcgrad.source(srcgrad.grad(misfit, wrt=0)).split("\n\n\n")[0]
    assert "unbroadcast" not in text
    for c in (1.0, -1.0):
        assert_sound(misfit_branch, (1.3, obs, c), wrt=0)
    assert_sound(misfit_reset, (1.3, obs), wrt=0)
    assert_sound(misfit_in_branch, (1.3, obs), wrt=0)       # the sum in an else branch
    text = srcgrad.source(srcgrad.grad(misfit_in_branch, wrt=0)).split("\n\n\n")[0]
    assert "unbroadcast" not in text
    assert_sound(misfit_loop_around, (1.3, obs), wrt=0)


def test_a_term_that_is_an_array_is_still_refused():
    """The same sum with an array term is not a scalar: the check refuses
    it before any adjoint is computed on the scalar assumption."""
    obs = [0.3, np.array([1.0, 2.0])]
    with pytest.raises(srcgrad.errors.NonScalarOutputError):
        srcgrad.grad(misfit, wrt=0)(1.3, obs)
    with pytest.raises(srcgrad.errors.NonScalarOutputError):
        srcgrad.grad(misfit_branch, wrt=0)(1.3, obs, 1.0)
    for f in (misfit_in_branch, misfit_loop_around):
        with pytest.raises(srcgrad.errors.NonScalarOutputError):
            srcgrad.grad(f, wrt=0)(1.3, obs)


def rhs(u, theta):
    x, y = u[0], u[1]
    return np.array([theta[0] * x - theta[1] * x * y, theta[2] * x * y - theta[3] * y])


def two_steps(theta, u0):
    u = u0
    for i in range(2):
        k1 = rhs(u, theta)
        k2 = rhs(u + 0.1 * k1, theta)
        u = u + 0.05 * (k1 + k2)
    return np.sum(u ** 2)


def with_vector(theta, u0):
    k = np.array([theta[0], theta[1] * theta[2]])
    return np.sum((u0 + k) ** 2 * theta[3])


def test_vectors_of_numbers_have_a_known_shape():
    """``np.array([a, b])`` of numbers has shape (2,) and so has any
    elementwise operation of it with vectors: its adjoint is the vector's
    own, no unbroadcast, no per-element conversion (array_dx).  An operand
    of unknown shape is still reduced: ``u0`` of shape (1,), a number, or
    rows that the vector broadcasts against."""
    theta = np.array([1.1, 0.4, 0.3, 0.9])
    assert_sound(two_steps, (theta, np.array([1.0, 0.5])), wrt=(0, 1))
    text = srcgrad.source(srcgrad.grad(two_steps, wrt=(0, 1))).split("\n\n\n")[0]
    assert "array_dx" not in text
    assert text.count("unbroadcast") <= 3      # only against u, of unknown shape
    for u0 in (np.array([1.0, 0.5]), np.array([0.7]), 0.7, np.array([[1.0, 0.5], [0.2, 0.3]])):
        assert_sound(with_vector, (theta, u0), wrt=(0, 1))


def filtered(a, C, ys):
    m = np.zeros(2)
    ll = 0.0
    for t in range(ys.shape[0]):
        m = a * m + 0.5
        v = ys[t] - C @ m
        ll = ll + v @ v
    return ll


def test_a_row_met_by_a_matrix_product_is_not_guessed_a_number():
    """``ys[t] - C @ m``: a matrix product is never a number, so the read
    ``ys[t]`` says nothing about ys's rank; no version guarded on
    ``ys.ndim == 1`` (which 2-D observations would never take)."""
    C = np.array([[1.0, 0.5], [0.2, 0.3], [0.1, 0.9]])
    ys = RNG.standard_normal((4, 3))
    assert_sound(filtered, (0.7, C, ys), wrt=(0, 1))
    text = srcgrad.source(srcgrad.grad(filtered, wrt=(0, 1)))
    assert "ys.ndim" not in text


def track(v, obs):
    xs = [math.cos(v)]
    for i in range(3):
        xs.append(xs[i] * 0.9 + math.sin(v))
    loss = 0.0
    for x, o in zip(xs, obs):
        loss = loss + (x - o) ** 2
    for k in range(len(xs)):
        loss = loss + xs[k] * xs[0] + xs[-1]      # the same items read again
    return loss


def test_items_of_a_list_of_numbers_add_up_in_place():
    """The adjoint of an item read from a list of numbers (only appended to)
    is added to the list's adjoint by plain item assignment, rebinding the
    item (never ``+=`` on a value that may be shared), not by ``add_item``."""
    obs = [0.3, np.float64(1.1), 2.0, -0.5]
    assert_sound(track, (1.3, obs), wrt=0)
    text = srcgrad.source(srcgrad.grad(track, wrt=0)).split("\n\n\n")[0]
    assert "add_item" not in text and "d_xs[k] = d_xs[k] + " in text
