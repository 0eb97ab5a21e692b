"""Symbolic dimensions (``analysis/dims.py``): arrays made by different
operations whose axes are the same argument's axes or constants have one
shape, so their adjoints need no ``unbroadcast`` and values kept only for
their shape leave the tape (the Kalman filter: 15 values taped per step,
now 11).  Every program here is checked in every mode against finite
differences, with the traps where broadcasting does happen: a vector of
length 1, a product changing a loop-carried matrix's shape, a constant
length that equals an argument's only at run time."""

import numpy as np
import pytest

import srcgrad
from benchmarks.loop_workloads import kalman_inputs, kalman_loglik
from tests.modes import assert_sound

RNG = np.random.default_rng(11)
A3 = np.eye(3) * 0.8 + 0.1 * RNG.standard_normal((3, 3))
B32 = RNG.standard_normal((3, 2))
X3 = RNG.standard_normal(3)


def first_version(df):
    return srcgrad.source(df).split("\n\n\n")[0]


def filter_step(A, x, obs):
    n = A.shape[0]
    m = np.zeros(n)
    P = np.eye(n)
    ll = 0.0
    for t in range(obs.shape[0]):
        m_2 = A @ m
        P = A @ P @ A.T + 0.1 * np.eye(n)
        m = m_2 + P @ (obs[t] - m_2) * 0.5
        ll = ll + np.sum(m * x) + np.sum(P * P) * 0.01
    return ll + A[0, 0] * x[0]


def with_a_bias(A, x, b):
    # b may have length 1: A @ x + b broadcasts
    y = A @ x + b
    return np.sum(np.sin(y)) * A[0, 1] + b[0]


def shape_changes_in_a_loop(A, B):
    P = np.eye(A.shape[0])
    for i in range(2):
        P = P @ A
    Q = P @ B               # (3, 2): another shape than P
    return np.sum(Q * Q) + np.sum(P) * A[1, 1] + B[0, 0]


def constant_length(x):
    # np.zeros(3) has the length of x only when x has length 3
    y = np.zeros(3) + x * x
    return np.sum(np.cos(y)) * x[0]


def gram(A):
    G = A.T @ A + np.eye(A.shape[1])
    H = np.linalg.inv(G)
    return np.sum(H * G) + np.sum(np.outer(A[:, 0], A[0]) * A) * A[0, 0]


def columns(A):
    total = 0.0
    for j in range(A.shape[1]):
        c = A[:, j] * 2.0 + A[:, 0]
        total = total + np.sum(c * c) * A[0, j]
    return total


@pytest.mark.parametrize("f, args", [
    (filter_step, (A3, X3, RNG.standard_normal((4, 3)))),
    (with_a_bias, (A3, X3, np.array([0.3]))),
    (with_a_bias, (A3, X3, np.array([0.3, -0.2, 0.5]))),
    (shape_changes_in_a_loop, (A3, B32)),
    (constant_length, (X3,)),
    (constant_length, (np.array([0.4]),)),
    (gram, (B32,)),
    (columns, (B32,)),
])
def test_sound(f, args):
    assert_sound(f, args, wrt=0)
    assert_sound(f, args, wrt=tuple(range(len(args))))


def test_the_filter_reduces_only_what_may_broadcast():
    text = first_version(srcgrad.grad(filter_step, wrt=(0, 1)))
    reverse = text.split("for t in reversed")[1]
    # m_2 = A @ m, P @ (...) and 0.1 * np.eye(n): all of A.shape[0]; x and obs[t]
    # have lengths of their own (equal only when the function runs)
    assert reverse.count("unbroadcast") == 3, text
    assert "unbroadcast(d_m, m_2)" not in reverse and "unbroadcast(d_P" not in reverse


def test_kalman_tapes_eight_values_a_step_in_one_push():
    # (eleven in three pushes before the old m and P travelled in the tuple and
    # the links of product chains, K @ S, v @ Sinv, A @ P, were computed again:
    # transforms/reverse/remat.py)
    text = first_version(srcgrad.grad(kalman_loglik, wrt=(0, 1, 2)))
    pushed = [ln for ln in text.splitlines() if "tape.append(" in ln]
    assert len(pushed) == 1, pushed
    assert pushed[0].count(",") + 1 == 8, pushed
    assert "unbroadcast(d_m, m_1)" not in text and "unbroadcast(-d_P, P_6)" not in text
    args = kalman_inputs({"T": 6}, np.random.default_rng(3))
    assert_sound(kalman_loglik, args, wrt=(0, 1, 2))


def test_broadcast_operands_keep_their_reduction():
    # b of length 1 broadcasts against A @ x: its adjoint is summed
    df = srcgrad.grad(with_a_bias, wrt=2)
    assert "unbroadcast" in first_version(df)
    text = first_version(srcgrad.grad(shape_changes_in_a_loop, wrt=(0, 1)))
    assert text.count("unbroadcast") >= 0          # (sound above: what counts)
