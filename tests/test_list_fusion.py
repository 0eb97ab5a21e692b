"""Fused list adjoints (``optimise/list_fusion.py``, issue #15: the trajectory
on floats kept in a list): the reverse loop of a misfit over a list is
computed where the trajectory's reverse loop pops each item.  Every mode
against finite differences, for misfits shorter and longer than the
trajectory, and the cases where the pass must leave the code alone."""

import math
import re

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime
from srcgrad.compiler.ir.names import Namer, names_in
from srcgrad.compiler.ir.printer import function, to_source
from srcgrad.compiler.optimise.list_fusion import fuse_list_adjoints
from tests.modes import assert_sound


def trajectory(v0, k, obs):
    x = 0.0
    v = v0
    xs = [x]
    for i in range(len(obs) - 1):
        v = v - 0.1 * k * v * v
        x = x + 0.1 * v
        xs.append(x)
    loss = 0.0
    for xi, oi in zip(xs, obs):
        loss += (xi - oi) ** 2
    return loss


def two_lists(v0, k, obs):
    x, v = 0.0, v0
    xs, vs = [x], [v]
    for i in range(len(obs) - 1):
        v = v - 0.1 * k * math.sin(v)
        x = x + 0.1 * v
        xs.append(x)
        vs.append(v)
    loss = 0.0
    for xi, vi, oi in zip(xs, vs, obs):
        loss += (xi - oi) ** 2 + 0.1 * vi * vi
    return loss


def short_misfit(v0, k, obs):
    # the misfit covers the first items only: those from len(obs[:3]) on stay zero
    x, v = 0.0, v0
    xs = [x]
    for i in range(len(obs) - 1):
        v = v - 0.1 * k * v
        x = x + 0.1 * v * v
        xs.append(x)
    loss = 0.0
    for xi, oi in zip(xs, obs[:3]):
        loss += (xi - oi) ** 2
    return loss


def weighted(v0, k, obs):
    x, v = 0.0, v0
    xs = [x]
    for i in range(len(obs) - 1):
        v = v * (1.0 - 0.1 * k)
        x = x + 0.1 * v
        xs.append(x)
    loss = 0.0
    for i, (xi, oi) in enumerate(zip(xs, obs)):
        loss += (i + 1.0) * (xi - oi) ** 2
    return loss


def neighbours(v0, k, obs):
    # each item read twice (xs[i] and xs[i + 1]): not a first write, left alone
    x, v = 0.0, v0
    xs = [x]
    for i in range(len(obs) - 1):
        v = v - 0.1 * k * v * v
        x = x + 0.1 * v
        xs.append(x)
    loss = 0.0
    for i in range(len(xs) - 1):
        loss += (xs[i + 1] - xs[i] - obs[i]) ** 2
    return loss


def product_misfit(v0, k, obs):
    # the misfit's adjoint carries a product across iterations: left alone
    x, v = 0.0, v0
    xs = [x]
    for i in range(len(obs) - 1):
        v = v - 0.1 * k * v * v
        x = x + 0.1 * v
        xs.append(x)
    loss = 1.0
    for xi, oi in zip(xs, obs):
        loss = loss * (1.0 + (xi - oi) ** 2)
    return loss


OBS = [0.0, 0.12, 0.2, 0.31, 0.35, 0.43, 0.5]
PROGRAMS = [(trajectory, (1.3, 0.4, OBS)), (two_lists, (1.1, 0.6, OBS)),
            (short_misfit, (1.2, 0.5, OBS)), (weighted, (0.9, 0.3, OBS)),
            (neighbours, (1.0, 0.5, OBS)), (product_misfit, (1.1, 0.4, OBS))]
IDS = [f.__name__ for f, _ in PROGRAMS]


@pytest.mark.parametrize("f, args", PROGRAMS, ids=IDS)
def test_every_mode_against_finite_differences(f, args):
    assert_sound(f, args, wrt=(0, 1))


@pytest.mark.parametrize("f, args", PROGRAMS[:4], ids=IDS[:4])
def test_the_misfit_is_computed_where_the_trajectory_pops_it(f, args):
    text = srcgrad.source(srcgrad.grad(f, wrt=(0, 1))).split("\n\n\n")[0]
    assert "zeros_like(xs)" not in text and "d_xs" not in text, text
    assert re.search(r"_from(_\d+)? = len\(xs\) - ", text), text


def test_longer_and_shorter_observations():
    df = srcgrad.grad(trajectory, wrt=(0, 1))
    for obs in (OBS[:2], OBS, OBS + [0.6, 0.7]):
        h = 1e-6
        fd = [(trajectory(1.3 + h, 0.4, obs) - trajectory(1.3 - h, 0.4, obs)) / (2 * h),
              (trajectory(1.3, 0.4 + h, obs) - trajectory(1.3, 0.4 - h, obs)) / (2 * h)]
        np.testing.assert_allclose(df(1.3, 0.4, obs), fd, rtol=1e-6)


# -- the pass on its own: where it must leave the code as it is ---------------------

BASE = '''
d_xs = zeros_like(xs)
for i_1 in reversed(range(n)):
    d_xi = d_loss * 2 * (xs[i_1] - o[i_1])
    d_xs[i_1] = d_xi
d_x = 0.0
for i in reversed(range(m)):
    d_x = d_x + d_xs.pop()
    d_x = d_x * 0.5
d_x = d_x + d_xs[0]
return d_x'''

OBJECTS = {"zeros_like": runtime.zeros_like}


def _fused(text, items=None):
    fn = function(text)
    fuse_list_adjoints(fn, OBJECTS, {"xs": 0} if items is None else items,
                       Namer(names_in(fn)).fresh, lambda: "len")
    return to_source(fn)


def test_the_pattern_is_fused():
    assert "pop()" not in _fused(BASE)


@pytest.mark.parametrize("change", [
    ("    d_x = d_x * 0.5", "    d_x = d_x * 0.5\n    d_loss = d_loss * 0.5"),   # read, changed
    ("    d_x = d_x * 0.5", "    d_x = d_x * 0.5\n    o[0] = 1.0"),             # changed in place
    ("    d_x = d_x * 0.5", "    d_x = d_x * 0.5\n    xs.append(1.0)"),         # the list changes
    ("    d_x = d_x * 0.5", "    d_x = d_x + d_xs.pop()"),                      # two pops
    ("    d_x = d_x + d_xs.pop()", "    if d_x > 0:\n        d_x = d_x + d_xs.pop()"),
    ("d_x = d_x + d_xs[0]", "d_x = d_x + d_xs[k]"),                             # not a constant
    ("d_x = d_x + d_xs[0]", "d_x = d_x + sum(d_xs)"),                           # the whole list
    ("reversed(range(n))", "range(n)"),                                         # not reversed
    ("    d_xi = d_loss * 2 * (xs[i_1] - o[i_1])",
     "    d_xi = d_loss * 2 * (xs[i_1] - o.pop())"),                            # changes o
    ("    d_xs[i_1] = d_xi", "    d_xs[i_1] = d_xi\n    d_xs[0] = d_xi"),       # two writes
    ("return d_x", "return d_x + d_xi"),                                        # its name read after
    ("    d_xs[i_1] = d_xi", "    d_xs[i_1] = d_xi * c\n    c = c * o[i_1]"),     # carried over
    ("    d_xs[i_1] = d_xi", "    d_xs[i_1] = d_xi\n    o[i_1] = 0.0"),          # what it read
])
def test_what_must_stay_as_it_is(change):
    old, new = change
    assert old in BASE
    assert "d_xs" in _fused(BASE.replace(old, new, 1))


def test_the_builtin_len_even_where_a_global_shadows_it(monkeypatch):
    # a global named len in the user's module: the fused code still calls the builtin
    monkeypatch.setitem(globals(), "len", lambda x: 1000)
    srcgrad.clear_cache()
    try:
        df = srcgrad.grad(trajectory, wrt=(0, 1))
        text = srcgrad.source(df).split("\n\n\n")[0]
        assert "= len_" in text, text           # the builtin under a name of its own
    finally:
        monkeypatch.delitem(globals(), "len")
        srcgrad.clear_cache()


def test_a_list_of_arrays_is_not_fused():
    assert "pop()" in _fused(BASE, items={"xs": 1})
