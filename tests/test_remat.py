"""Values a loop body defines that are cheap to compute again are recomputed
by the reverse sweep instead of taped (transforms/reverse/remat.py), and a
forward sweep left computing nothing the gradient reads is removed
(optimise/dead_code.py).  Each case: the gradient against finite
differences in every mode, and what the tape holds."""

import math
import re

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


def covariance_steps(A, q, C, ys):
    """The Kalman filter's covariance recursion: products of products."""
    P = np.eye(A.shape[0])
    m = np.zeros(A.shape[0])
    ll = 0.0
    for t in range(ys.shape[0]):
        m = A @ m
        P = A @ P @ A.T + q * np.eye(A.shape[0])
        S = C @ P @ C.T + np.eye(C.shape[0])
        Sinv = np.linalg.inv(S)
        K = P @ C.T @ Sinv
        v = ys[t] - C @ m
        m = m + K @ v
        P = P - K @ S @ K.T
        ll = ll - v @ Sinv @ v
    return ll


def _kalman_inputs():
    rng = np.random.default_rng(3)
    A = 0.9 * np.eye(3) + 0.05 * rng.standard_normal((3, 3))
    return A, 0.2, rng.standard_normal((2, 3)), rng.standard_normal((4, 2))


def test_links_of_product_chains_are_computed_again():
    """A product read only as a factor of the next product (``K @ S`` of
    ``K @ S @ K.T``, ``v @ Sinv`` of ``v @ Sinv @ v``, ``A @ P`` of ``A @ P @
    A.T``) is computed again from the factors the tuple holds anyway, as a
    hand adjoint re-associates the chain instead of keeping it; the old
    arrays ``m`` and ``P`` travel in the same tuple (one push an
    iteration)."""
    args = _kalman_inputs()
    assert_sound(covariance_steps, args, wrt=(0, 1, 2))
    text = _primary(srcgrad.grad(covariance_steps, wrt=(0, 1, 2)))
    pushed = [line.strip() for line in text.splitlines() if "tape.append(" in line]
    assert len(pushed) == 1 and "m_old" in pushed[0] and "P_old" in pushed[0], pushed
    reverse = text[text.index("reversed("):].splitlines()
    # (3.10 writes tuple targets in parentheses)
    popped = reverse[1].split("=")[0].translate(str.maketrans(",()", "   ")).split()
    for product in ("K @ S", "A @ P_old"):
        again = [line.split(" = ")[0].strip() for line in reverse
                 if line.endswith(" = " + product)]
        assert again and again[0] not in popped, (product, reverse)


def used_elementwise(W, x0):
    """``z = W @ h`` read by ``np.maximum``: not a link of a chain (a hand
    adjoint keeps it), so the tape holds it."""
    h = x0
    s = 0.0
    for t in range(3):
        z = W @ h
        h = np.maximum(z, 0.1 * z)
        s = s + np.sum(h)
    return s


def test_a_product_read_elementwise_stays_on_the_tape():
    rng = np.random.default_rng(4)
    args = (rng.standard_normal((3, 3)), rng.standard_normal(3))
    assert_sound(used_elementwise, args, wrt=(0, 1))
    text = _primary(srcgrad.grad(used_elementwise, wrt=(0, 1)))
    reverse = [line.strip() for line in text[text.index("reversed("):].splitlines()]
    assert not [line for line in reverse if "W @ h" in line and not line.startswith("#")]
    assert reverse[1].lstrip("(").startswith("z, h_old"), reverse      # (3.10: "(z, h_old) =")



def columns_left_out(M, x):
    s = 0.0
    for j in range(M.shape[1]):
        rest = np.concatenate((M[:, :j], M[:, j + 1:]), axis=1)
        # (s scaled: the adjoint of s changes from one iteration to the next, so
        # the reverse loop cannot run as the forward goes, optimise/eager_reverse.py)
        s = 0.5 * s + np.sum(np.sin(rest @ x[:-1])) * M[0, j]
    return s


def test_a_value_read_only_for_its_shape_tapes_the_shape():
    """The pieces ``np.concatenate`` joins (two views and a tuple), whose
    adjoint reads only the first one's width, travel as that width
    (shape_reads.py: the recursive determinant's minors)."""
    rng = np.random.default_rng(5)
    args = (rng.standard_normal((3, 4)), rng.standard_normal(4))
    assert_sound(columns_left_out, args, wrt=(0, 1))
    text = _primary(srcgrad.grad(columns_left_out, wrt=(0, 1)))
    assert "rest_3_dim = rest_3[0].shape[1]\n" in text, text
    reverse = text[text.index("reversed("):]
    popped = reverse.splitlines()[1].split("=")[0].translate(str.maketrans(",()", "   ")).split()
    assert "rest_3_dim" in popped and "rest_3" not in popped, popped
    assert "d_rest[:, :rest_3_dim]" in reverse and " rest_3[" not in reverse


def shape_read_in_a_branch(M, x):
    s = 0.0
    for j in range(M.shape[1]):
        parts = (M[:, :j], M[:, j + 1:])
        if x[j] > 0.0:
            s = s + np.sum(np.concatenate(parts, axis=1) @ x[:-1])
        # (M[0, j]: a matrix, so np.concatenate's adjoint reads a width)
        s = s * 0.9 + M[0, j]
    return s


def test_a_shape_read_only_in_a_branch_keeps_the_value():
    """Read inside an ``if`` of the reverse sweep, the shape would be taken
    at every iteration's end, where the branch might not run: the value
    stays on the tape."""
    rng = np.random.default_rng(6)
    args = (rng.standard_normal((3, 4)), np.array([0.5, -0.3, 0.8, 0.2]))
    assert_sound(shape_read_in_a_branch, args, wrt=(0, 1))
    text = _primary(srcgrad.grad(shape_read_in_a_branch, wrt=(0, 1)))
    assert "parts[0].shape[1]" in text, text        # (read inside the reverse's if)
    assert "_dim" not in text and "_shape =" not in text, text
    # the rule itself, on a block whose only reads of the name are inside an if
    from srcgrad.compiler.ir.printer import function
    from srcgrad.compiler.transforms.reverse.shape_reads import shape_read, shape_reads
    inside = function("if c:\n    w = parts[0].shape[1]").body
    assert shape_read(shape_reads(inside, ()), "parts", 1) is None
    outside = function("w = parts[0].shape[1]").body
    assert shape_read(shape_reads(outside, ()), "parts", 1) is not None


def rnn(W, x0):
    x = x0
    for t in range(4):
        x = x + 0.1 * np.tanh(W @ x)
    return np.sum(x ** 2)


def test_outer_products_of_an_old_array_are_batched():
    """``d_W += matmul_dx(d_h, W, x_old)`` with ``x_old`` popped from the
    iteration's tuple (``x_2, x_old = tape.pop()``: unpacking changes no
    array) still becomes one matrix product after the loop
    (``optimise/outer_products.py``; 1.6 times the hand adjoint's time for
    the RNN benchmark while the tuple's unpacking was taken for a write)."""
    rng = np.random.default_rng(7)
    args = (rng.standard_normal((3, 3)) / 2.0, rng.standard_normal(3))
    assert_sound(rnn, args, wrt=(0, 1))
    text = _primary(srcgrad.grad(rnn, wrt=(0, 1)))
    # (3.10 writes tuple targets in parentheses)
    assert re.search(r"x_old\)? = tape\.pop\(\)", text) and "matmul_dx_sum(" in text, text
    assert "d_W += matmul_dx(" not in text
