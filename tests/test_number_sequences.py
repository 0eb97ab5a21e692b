"""Data arguments read element by element only (``for o in obs``, ``obs[i]``,
``len(obs)``) are assumed, in the specialised version of a gradient, to hold
numbers: a list or tuple of numbers or a 1-D array, checked by its guard
(``runtime.number_sequence``; ``analysis/rank_guesses.sequence_candidates``).
The sum over them is then a number, and the forward sweep no longer computes
a loss nobody reads just to check its type (issue #15, the projectile
benchmark).  Anything else -- a list of arrays, rows of a matrix, a list
holding an array -- takes the generic version; every case against finite
differences in every mode.
"""

import math

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound


def misfit(v0, drag, obs):
    x, v = 0.0, v0
    xs = [x]
    for i in range(len(obs) - 1):
        v = v - 0.1 * drag * v * abs(v)
        x = x + 0.1 * v
        xs.append(x)
    loss = 0.0
    for xi, oi in zip(xs, obs):
        loss += (xi - oi) ** 2
    return loss


def weighted(k, obs, w):
    loss = 0.0
    for i in range(len(obs)):
        loss = loss + w * (math.sin(k * i) - obs[i]) ** 2
    return loss


def rows(k, obs):
    # obs[i] meets a vector: the guard sends rows to the generic version
    u = np.array([k, 2.0 * k])
    loss = 0.0
    for i in range(len(obs)):
        loss = loss + np.sum((u - obs[i]) ** 2)
    return loss


def summed(k, obs):
    # obs is read whole (np.sum): not element by element only
    loss = 0.0
    for o in obs:
        loss = loss + (k - o) ** 2
    return loss + k * np.sum(obs)


OBS = [0.0, 0.31, 0.55, 0.8, 0.97, 1.2]


@pytest.mark.parametrize("obs", [OBS, tuple(OBS), np.array(OBS), [1, 0, 2, 1, 0, 3],
                                 [0.0, np.float64(0.3), 0.5, 0.8, 1.0, 1.2]],
                         ids=["list", "tuple", "array", "ints", "float64s"])
def test_sequences_of_numbers_take_the_specialised_version(obs):
    assert_sound(misfit, (2.0, 0.3, obs), wrt=(0, 1))
    df = srcgrad.grad(misfit, wrt=(0, 1))
    text = srcgrad.source(df)
    assert "not number_sequence(obs)" in text
    # the specialised version computes no loss: its forward sweep ends with the simulation
    fast = text.split("\n\n\ndef ")[0]
    assert "loss" not in fast.split("\n    # line ")[0]       # (the reverse sweep's first comment)
    assert "check_scalar" not in fast


@pytest.mark.parametrize("obs", [[np.array([0.0, 0.1]), np.array([0.3, 0.2]), np.array([0.5, 0.4])],
                                 np.array([[0.0, 0.1], [0.3, 0.2], [0.5, 0.4]]),
                                 [0.0, np.array([0.3, 0.2]), 0.5]],
                         ids=["list_of_arrays", "matrix", "mixed"])
def test_anything_else_takes_the_generic_version(obs):
    # elements that are arrays: the loss is an array, refused by the generic version's check
    assert_sound(misfit, (2.0, 0.3, obs), wrt=(0, 1), modes=("grad",), expect="refused")


def test_a_weight_and_an_index():
    assert_sound(weighted, (0.7, OBS, 1.5), wrt=(0, 2))
    assert_sound(weighted, (0.7, np.array(OBS), 1.5), wrt=0)
    assert "number_sequence(obs)" in srcgrad.source(srcgrad.grad(weighted, wrt=(0, 2)))


def vector_rows(u, obs):
    # obs[i] meets a vector known as one (u[0] is read: u is guessed a vector): no guess
    loss = u[0] * 0.5
    for i in range(len(obs)):
        loss = loss + np.sum((u - obs[i]) ** 2)
    return loss


def test_rows_and_whole_reads():
    assert_sound(rows, (0.7, np.array([[0.1, 0.2], [0.3, 0.5]])), wrt=0)
    assert_sound(rows, (0.7, [np.array([0.1, 0.2]), np.array([0.3, 0.5])]), wrt=0)
    assert_sound(rows, (0.7, [0.1, 0.3]), wrt=0)
    assert_sound(vector_rows, (np.array([0.7, 0.2]), np.array([[0.1, 0.2], [0.3, 0.5]])), wrt=0)
    assert "number_sequence" not in srcgrad.source(srcgrad.grad(vector_rows))
    assert_sound(summed, (0.7, OBS), wrt=0)
    assert_sound(summed, (0.7, np.array(OBS)), wrt=0)
    assert "number_sequence" not in srcgrad.source(srcgrad.grad(summed))


def test_the_export_runs_the_guard_with_numpy_only():
    text = srcgrad.source(srcgrad.grad(misfit, wrt=(0, 1)), standalone=True)
    assert "def number_sequence(" in text
    ns = {}
    exec(compile(text, "exported", "exec"), ns)
    got = ns["d_misfit"](2.0, 0.3, OBS)
    want = srcgrad.grad(misfit, wrt=(0, 1))(2.0, 0.3, OBS)
    np.testing.assert_allclose(got, want, rtol=1e-14)
