"""Two clean-ups of reverse loops on numbers (issue #15, the projectile):
the addition of an adjoint set to zero on one side of a branch moves into
the other side (``optimise/branch_zeros.py``), and reads after the restore
of a loop-carried number (``vy = vy_old``) read the old value itself
(``optimise/restores.py``).  Each pass on the shapes it must leave alone,
and programs it changes checked in every mode against finite differences."""

import math

import numpy as np

import srcgrad
from srcgrad.compiler.ir.printer import function, to_source
from srcgrad.compiler.optimise.branch_zeros import move_zero_branches
from srcgrad.compiler.optimise.restores import propagate_restores
from benchmarks.loop_workloads import (adaptive_sim, adaptive_sim_inputs, projectile_inputs,
                                       projectile_loss)
from tests.modes import assert_sound


def body(fn):
    return to_source(fn).split("\n", 1)[1]


ZERO_BRANCH = '''
d_y = 0.0
if c:
    e = a * 2.0
    d_t = e * b
else:
    d_t = 0.0
d_y = d_y + d_t
{more}
return d_y'''


def test_a_zero_branch_moves_the_addition():
    text = body(move_zero_branches(function(ZERO_BRANCH.format(more=""))))
    assert "d_t" not in text and "d_y = d_y + e * b" in text and "else" not in text


def test_a_zero_branch_stays_where_its_name_is_read_again():
    fn = function(ZERO_BRANCH.format(more="z = d_t * 3.0"))
    assert "d_t = 0.0" in body(move_zero_branches(fn))


def test_a_zero_branch_stays_where_the_sum_is_changed_in_place():
    # d_y + 0.0 was a new array on the zero side; skipping it would leave d_y
    # the same object as before, which d_y += ... then changes
    fn = function(ZERO_BRANCH.format(more="d_y += w"))
    assert "d_t = 0.0" in body(move_zero_branches(fn))


RESTORE = '''
s = s0
for i in range(n):
    tape.append(s)
    s = s * 0.5
d_s = 0.0
for i in reversed(range(n)):
    {before}
    s_old = tape.pop()
    s = s_old
    d_s = d_s * 0.5 + s
    {inside}
{after}
return d_s'''


def restored(before="pass", inside="pass", after=""):
    return body(propagate_restores(function(RESTORE.format(before=before, inside=inside,
                                                           after=after))))


def test_a_restore_is_read_as_the_old_value():
    text = restored()
    assert "s = s_old" not in text and "d_s * 0.5 + s_old" in text


def test_a_restore_stays_where_the_name_is_read_elsewhere():
    assert "s = s_old" in restored(before="z = s * 2.0")        # the next iteration
    assert "s = s_old" in restored(after="d_s = d_s + s")          # after the loop
    assert "s = s_old" in restored(inside="s_old = 3.0")           # the old value changes
    assert "s = s_old" in restored(inside="s += 1.0")               # the name changes


def test_programs_the_passes_change_are_sound():
    text = srcgrad.source(srcgrad.grad(projectile_loss, wrt=(0, 1, 2))).split("\n\n\n")[0]
    assert "vy = vy_old" not in text and "d_yi" not in text
    assert_sound(projectile_loss, projectile_inputs({"T": 9}, np.random.default_rng(2)),
                 wrt=(0, 1, 2))
    assert_sound(adaptive_sim, adaptive_sim_inputs({"T": 3}, np.random.default_rng(0)),
                 wrt=(0, 1))


def misfit_shorter(k, obs):
    x = 1.0
    xs = []
    for i in range(5):
        x = x - 0.1 * k * math.sin(x)
        xs.append(x)
    loss = 0.0
    for xi, o in zip(xs, obs):
        loss += (xi - o) ** 2
    return loss + x * k


def test_misfits_of_any_length_are_sound():
    for obs in ([0.2, 0.4], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], []):
        assert_sound(misfit_shorter, (0.7, obs), wrt=0)
