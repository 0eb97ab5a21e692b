"""First writes into fresh list adjoints (``optimise/first_writes.py``): the
pass on code (where it may and may not set an item instead of adding to
it), and programs whose adjoints take it, against finite differences."""

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime
from srcgrad.compiler.ir.printer import function, to_source
from srcgrad.compiler.optimise.first_writes import first_writes
from tests.modes import assert_sound


def _run(code):
    fn = function(code)
    first_writes(fn, {"zeros_like": runtime.zeros_like}, {"xs": 0})
    return to_source(fn)


def test_one_write_per_index_sets_the_item():
    out = _run("""
d = zeros_like(xs)
for i in reversed(range(n)):
    if c:
        d[i] = d[i] + v
return d""")
    assert "d[i] = v" in out


@pytest.mark.parametrize("code", [
    # two writes of the same item in one iteration
    "d = zeros_like(xs)\nfor i in range(n):\n    d[i] = d[i] + v\n    d[i] = d[i] + w\nreturn d",
    # a write in an inner loop (the same item several times)
    "d = zeros_like(xs)\nfor i in range(n):\n    for j in range(m):\n        d[i] = d[i] + v\nreturn d",
    # the index changes in the body
    "d = zeros_like(xs)\nfor i in range(n):\n    i = i // 2\n    d[i] = d[i] + v\nreturn d",
    # another index
    "d = zeros_like(xs)\nfor i in range(n):\n    d[i - 1] = d[i - 1] + v\nreturn d",
    # the list is written before the loop
    "d = zeros_like(xs)\nd[0] = d[0] + w\nfor i in range(n):\n    d[i] = d[i] + v\nreturn d",
    # the loop does not run over a range
    "d = zeros_like(xs)\nfor i in ks:\n    d[i] = d[i] + v\nreturn d",
    # the value added reads the list
    "d = zeros_like(xs)\nfor i in range(n):\n    d[i] = d[i] + d[0]\nreturn d",
], ids=["twice", "inner_loop", "index_changes", "other_index", "written_before", "not_range",
        "reads_itself"])
def test_anything_else_is_left_alone(code):
    assert _run(code) == to_source(function(code))


def trajectory(v0, drag, obs):
    x, v = 0.0, v0
    xs = [x]
    vs = [v]
    for i in range(len(obs) - 1):
        v = v - 0.1 * drag * v * abs(v)
        x = x + 0.1 * v
        xs.append(x)
        vs.append(v)
    loss = 0.0
    for xi, vi, oi in zip(xs, vs, obs):
        loss += (xi - oi) ** 2 + 0.01 * vi * xi
    for xi in xs:               # a second loop over the same list: adds to what the first set
        loss += 0.1 * xi * xi
    return loss


OBS = [0.0, 0.31, 0.55, 0.8, 0.97, 1.2]


def test_a_trajectory_on_floats():
    assert_sound(trajectory, (2.0, 0.3, OBS), wrt=(0, 1))
    text = srcgrad.source(srcgrad.grad(trajectory, wrt=(0, 1)))
    fast = text.split("\n\n\ndef ")[0]
    # (one loop sets the items of d_xs, the other adds)
    assert fast.count("d_xs[i_1] = d_xs[i_1] +") + fast.count("d_xs[i_2] = d_xs[i_2] +") == 1
    assert_sound(trajectory, (2.0, 0.3, np.array(OBS)), wrt=(0, 1))
