"""Values a loop body defines that are cheap to compute again are recomputed
by the reverse sweep instead of taped (transforms/reverse/remat.py), and a
forward sweep left computing nothing the gradient reads is removed
(optimise/dead_code.py).  Each case: the gradient against finite
differences in every mode, and what the tape holds."""

import math

import numpy as np

import srcgrad
from tests.modes import assert_sound


def conv(x, w):
    out = np.zeros(x.shape[0] - w.shape[0] + 1)
    for i in range(out.shape[0]):
        for j in range(w.shape[0]):
            out[i] += w[j] * x[i + j]
    return np.sum(out ** 2)


def pairs(pos):
    E = 0.0
    for i in range(pos.shape[0]):
        for j in range(i + 1, pos.shape[0]):
            d = pos[i] - pos[j]
            r2 = np.sum(d * d)
            E = E + 1.0 / r2
    return E


def written_after_the_loop(x):
    s = 0.0
    for i in range(3):
        v = x[i] * 2.0
        s = s + np.sin(v)
    x = x.copy()
    x[0] = 5.0
    return s + np.sum(x)


def argument_written_in_the_loop(x, n):
    y = x * 1.0
    s = 0.0
    for i in range(n):
        v = y[i % 3] * 0.5
        y[i % 3] = np.cos(v)
        s = s + v * v
    return s + np.sum(y)


def list_grown_in_the_loop(x):
    xs = [x[0]]
    s = 0.0
    for i in range(3):
        v = xs[i] * 1.5
        xs.append(np.sin(v))
        s = s + v * xs[-1]
    return s


def _primary(df):
    return srcgrad.source(df).split("\n\n\n")[0]


def test_convolution_tapes_nothing():
    x, w = np.linspace(-1.0, 1.0, 9), np.array([0.3, -0.2, 0.5])
    assert_sound(conv, (x, w), wrt=(0, 1))
    text = _primary(srcgrad.grad(conv, wrt=(0, 1)))
    assert "tape" not in text
    assert "value_1 = w[j]" in text[text.index("reversed"):]


def test_pairs_recompute_differences():
    pos = np.random.default_rng(0).normal(size=(4, 3))
    assert_sound(pairs, (pos,))
    text = _primary(srcgrad.grad(pairs))
    assert "d = pos[i] - pos[j]" in text[text.index("reversed"):]


def test_values_changed_in_place_are_taped():
    x = np.array([0.3, -0.4, 0.9, 0.2])
    assert_sound(written_after_the_loop, (x,))
    assert_sound(argument_written_in_the_loop, (x[:3], 5))
    assert_sound(list_grown_in_the_loop, (x,))


def test_forward_loop_computing_nothing_needed_is_removed():
    def source_of(f):
        return _primary(srcgrad.grad(f))
    text = source_of(pairs)
    # the energy itself is not needed for the gradient: no forward loop at all
    assert text.count("for i in") == 1 and "for i in reversed" in text


def row_of_an_iterated_value(y, M):
    # fuzz seed 551 (wide grammar, found on the merged compiler before the
    # final commit): M is iterated, so it may be a list or an array; the row
    # read out of it is a view of an array written in place afterwards, and a
    # number read from that row must come from the tape, not from the row
    for q1, a3 in enumerate(M):
        M = M * 0.5
        y = 0.5
        M[:, q1 % 4] = max(y, y + M[q1][2])
    return np.sum(M)


def test_a_view_of_a_container_changed_in_place_is_taped():
    M = np.array([[0.805, -0.154, -0.837, 0.446], [-0.181, 0.624, 0.627, 0.582],
                  [-0.359, 0.783, -0.764, 0.384]])
    assert_sound(row_of_an_iterated_value, (-0.514, M), wrt=1, modes=("grad", "jvp"))


def stepped(k, x0):
    t, x = 0.0, x0
    while t < 1.0:
        dt = 0.1 / (1.0 + k * x * x)
        if t + dt > 1.0:
            dt = 1.0 - t
        x = x + dt * (-k * x ** 3 + math.sin(t))
        t = t + dt
    return x * x


def test_values_made_of_old_numbers_are_recomputed_from_them():
    """A loop-carried number whose old value travels in the tuple (x_old)
    gives the values computed from it before the iteration changes it
    (``k * x``, ``x ** 3``, ``math.sin(t)``) again in the reverse sweep: the
    tuple holds what a hand adjoint keeps (the branch taken, the step, the
    old x and t), not every intermediate."""
    assert_sound(stepped, (0.5, 1.2), wrt=(0, 1))
    text = srcgrad.source(srcgrad.grad(stepped, wrt=(0, 1))).split("\n\n\n")[0]
    pushed = [line.strip() for line in text.splitlines() if "tape.append(" in line]
    assert len(pushed) == 1 and pushed[0].startswith("tape.append((cond, dt_") and \
        pushed[0].endswith(", x_old, t_old))"), pushed
    assert "x_old ** 3" in text and "math.sin(t_old)" in text


def rebound_counter(x, y):
    s = 0.0
    for i in range(3):
        e = x[i]
        for k in range(2):
            i = i + 1
        s = s + np.sin(i * y) * e
    return s


def test_a_value_read_before_its_name_is_rebound_is_not_recomputed_from_it():
    """``e = x[i]`` reads the loop variable before the inner loop rebinds it:
    the tuple holds its last value, so ``e`` is taped, not recomputed from it
    (silently wrong from the seventh session's recomputation until this fix:
    d/dy -21.41 against -11.52)."""
    x = np.array([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5])
    assert_sound(rebound_counter, (x, 0.7), wrt=(0, 1))
