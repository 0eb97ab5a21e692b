"""In the version of a gradient for Python floats, a float's square in
adjoint code is a product (``x * x``: C's pow, which ``x ** 2`` calls, takes
three times as long); the primal's own ``x ** 2`` stays as written, the
generic version keeps ``** 2``, and a short function whose two versions
differ only so keeps one version and no guard."""

import math

import numpy as np

import srcgrad
from tests.modes import assert_sound
from tests.programs import branch_returns as squares_kept     # x ** 3, x * 2.0, np.exp(x)


def cubic_steps(k, x0):
    x = x0
    for i in range(20):
        x = x + 0.01 * (-k * x ** 3 + math.sin(0.1 * i))
    return x * x


def test_the_float_version_multiplies():
    srcgrad.clear_cache()
    text = srcgrad.source(srcgrad.grad(cubic_steps, wrt=(0, 1)))
    special, generic = text.split("def d_cubic_steps_generic(")[:2]
    adjoint = [ln for ln in special.splitlines() if ln.strip().startswith("d_x")]
    assert any("(x_old * x_old)" in ln or "(x * x)" in ln for ln in adjoint), special
    assert "** 3" in special                    # (the primal as written)
    assert "** 2" in generic and "(x_old * x_old)" not in generic
    assert_sound(cubic_steps, (0.5, 1.2), wrt=(0, 1))
    assert_sound(cubic_steps, (np.float64(0.5), 1.2), wrt=(0, 1))


def test_one_version_when_only_squares_differ():
    srcgrad.clear_cache()
    # the float version's 3 * (x * x) against 3 * x ** 2: one version, no guard
    text = srcgrad.source(srcgrad.grad(squares_kept))
    assert text.count("def ") == 1 and "_generic" not in text
    assert "x ** 2" in text
    for x in (3.0, 0.7, -0.4):
        assert_sound(squares_kept, (x,))


def test_large_floats():
    # x ** 2 of a float past 1e154 raises OverflowError; x * x is inf. The
    # primal's x ** 3 raises first, as it did: the same error from the gradient
    srcgrad.clear_cache()
    df = srcgrad.grad(cubic_steps, wrt=(0, 1))
    try:
        cubic_steps(0.5, 1e200)
    except OverflowError:
        pass
    else:
        raise AssertionError("the primal was expected to overflow")
    try:
        df(0.5, 1e200)
    except OverflowError:
        pass
    else:
        raise AssertionError("the gradient was expected to overflow as the primal does")
