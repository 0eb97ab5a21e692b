"""What one step of a reverse loop costs on numbers (issue #15, the
projectile): a number made by a call, ``/`` or ``**`` that the step reads
more than once travels in the tuple the step pushes anyway instead of being
computed again (``transforms/reverse/remat.py``, ``recomputable``); one read
once is computed again, and a loop all of whose values can be computed
again still pushes nothing; and the adjoint
of the user's result, a copy of the seed ``1.0``, is folded into the
constant factors it meets (``d_loss * 2 * e`` is ``2.0 * e``:
``optimise/constants.py``).  Each program is checked in every mode."""

import math

import numpy as np

import srcgrad
from benchmarks.loop_workloads import projectile_inputs, projectile_loss
from tests.modes import assert_sound


def first_version(df):
    return srcgrad.source(df).split("\n\n\n")[0]


def reverse_loop(text):
    body = text.split("in reversed(")[1]
    return "\n".join(ln for ln in body.splitlines()[1:]
                     if ln.startswith("        ") and not ln.strip().startswith("#"))


def test_the_projectile_keeps_its_speed():
    text = first_version(srcgrad.grad(projectile_loss, wrt=(0, 1, 2)))
    assert "tape.append((speed, vx_old, vy_old))" in text, text
    assert "math.sqrt" not in reverse_loop(text)
    assert "2.0 * loss_" in text and "d_loss * 2" not in text
    assert_sound(projectile_loss, projectile_inputs({"T": 12}, np.random.default_rng(1)),
                 wrt=(0, 1, 2))


def decay(k, x0, n):
    # every value of a step can be computed again: no tape at all
    total = 0.0
    for i in range(n):
        total = total + math.exp(-k * i) * x0 / (1.0 + i)
    return total


def damped(k, x0, n):
    # x is carried from step to step (its old value is pushed); the step's
    # exp is read once (by the division): computed again, the tuple does
    # not grow
    x = x0
    loss = 0.0
    for i in range(n):
        r = math.exp(-k * x * x) / (1.0 + x * x)
        x = x - 0.1 * r * x
        loss += (x - 0.5) ** 2
    return loss


def test_a_loop_computing_everything_again_pushes_nothing():
    text = first_version(srcgrad.grad(decay, wrt=(0, 1)))
    assert "tape" not in text, text
    assert_sound(decay, (0.3, 1.2, 6), wrt=(0, 1))


def test_a_number_read_once_is_computed_again():
    text = first_version(srcgrad.grad(damped, wrt=(0, 1)))
    assert "math.exp" in reverse_loop(text), text
    assert "tape.append((loss_1, x_old))" in text
    assert "2.0 * " in text and "d_loss * 2" not in text
    assert_sound(damped, (0.3, 1.2, 6), wrt=(0, 1))
