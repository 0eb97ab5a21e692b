"""The transformation leaves no syntax tree to the garbage collector.

``pipeline`` pauses the cyclic garbage collector while it generates; what a
reference cycle holds when the transformation is over is freed only by the
collector's next pass, which then walks every object of it.  A recursive
closure (``def block(stmts): ... block(s.body)``) or a class made per call
is such a cycle, and one that reaches a tree (through a statement, the
``Analysis``, ``parsed``) left the whole tree to that pass: 600,000 objects
and 0.3-0.8 s of a 1,000-line gradient.  The passes break their cycles
(``del block`` after use, classes of the module); these tests keep it so
for straight-line code and branches.  (Loops still leave a tree behind
through ``analysis/containers.py``'s recursive ``walk``, and calls a few
small helper trees through ``frontend/inline``.)
"""

import gc
import math
import types

import gast
import numpy as np
import pytest

import srcgrad


def straight(x, y, a):
    s = x * y
    t = math.tanh(s + y)
    v = np.tanh(a * s) + t
    w = np.sin(v) * 0.5 + a
    u = np.mean(w * v) + s * t
    return u + np.sum(v)


def branches(x, y, a):
    s = x * y
    if s > 0.1:
        t = math.tanh(s)
        v = a * t
    elif y > 0.0:
        t = s * s
        v = np.sin(a) + t
    else:
        t = 0.5 * s
        v = a
    return t + np.sum(v * v)


def _fresh(f):
    return types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                              f.__closure__)


def _trees_left(make):
    """The syntax tree nodes among the objects the collector frees after ``make()``."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        make()
        gc.collect()
        return sum(isinstance(o, gast.AST) for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


@pytest.mark.parametrize("fun", [straight, branches])
@pytest.mark.parametrize("mode", ["grad", "jvp"])
def test_no_tree_left_to_the_collector(fun, mode, monkeypatch):
    monkeypatch.setenv("SRCGRAD_CACHE", "0")
    args = (0.3, -0.6, np.linspace(-0.9, 0.8, 5))
    made = getattr(srcgrad, mode)(_fresh(fun), wrt=(0, 1, 2))   # (imports, rule tables)
    assert made is not None
    assert _trees_left(lambda: getattr(srcgrad, mode)(_fresh(fun), wrt=(0, 1, 2))) == 0
    g = srcgrad.grad(_fresh(fun), wrt=(0, 1, 2))(*args)
    assert len(g) == 3
