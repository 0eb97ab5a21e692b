"""The float fast path (issue #14): a gradient of scalar code has a version
for Python floats behind a type guard.  The guard tests differentiated
arguments, and data arguments only when they reach the result elementwise
(then a scalar result makes them scalars): a data array reduced by
``np.sum`` is never tested, so the fast path runs for array programs.  The
specialised version is dropped when it is the same as the generic one."""

import math
import sys

import numpy as np

import srcgrad
from tests.modes import assert_sound


def scale_sum(w, Y):
    return np.sum(w * Y)


def scaled_twice(w, Y, c):
    z = w * c
    return np.sum(z * Y)


def scalar_data(x, t):
    return x * t + np.sin(x * t)


def data_in_loop(x, t, Y):
    s = x
    for i in range(3):
        s = s * t + np.cos(s)
    return np.sum(s * Y)


def branch_returns(x):
    if x > 2.0:
        return x ** 3
    if x > 0.0:
        return x * 2.0
    return np.exp(x)


def _guard(df):
    """The first statement of the generated function's body, on one line
    (a long test is broken over lines in parentheses)."""
    lines = srcgrad.source(df).splitlines()[1:]
    out = lines[0]
    for ln in lines[1:]:
        if out.rstrip().endswith(":"):
            break
        out += " " + ln.strip()
    return out


def _called(fun, *args):
    """The names of the generated functions a call runs."""
    names = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith("<srcgrad"):
            names.append(frame.f_code.co_name)
    sys.setprofile(profile)
    try:
        fun(*args)
    finally:
        sys.setprofile(None)
    return names


Y = np.array([0.5, -1.5, 2.0])


def test_a_data_array_is_not_tested_by_the_guard():
    df = srcgrad.grad(scale_sum, wrt=0)
    assert _guard(df) == "    if type(w) is not float and type(w) is not float64:"
    assert "type(Y)" not in srcgrad.source(df)
    # the fast path runs for a float w and an array Y, and is right
    assert _called(df, 0.7, Y)[0] == "d_scale_sum"
    assert "d_scale_sum_generic" not in _called(df, 0.7, Y)
    assert np.isclose(df(0.7, Y), np.sum(Y))
    assert_sound(scale_sum, (0.7, Y), wrt=0)
    assert_sound(scale_sum, (np.array([0.7, 0.2, 1.0]), Y), wrt=0)


def test_data_reaching_a_reduction_through_others_is_not_tested():
    df = srcgrad.grad(scaled_twice, wrt=0)
    assert _guard(df) == "    if type(w) is not float and type(w) is not float64:"
    assert "d_scaled_twice_generic" not in _called(df, 0.7, Y, 1.3)
    assert "d_scaled_twice_generic" not in _called(df, 0.7, Y, Y)
    for c in (1.3, Y):
        assert_sound(scaled_twice, (0.7, Y, c), wrt=0)
    df = srcgrad.grad(data_in_loop, wrt=0)
    assert "type(t)" not in srcgrad.source(df) and "type(Y)" not in srcgrad.source(df)
    assert_sound(data_in_loop, (0.4, 0.9, Y), wrt=0)


def test_scalar_data_are_still_tested():
    # t only reaches the (scalar) result elementwise: a float in practice
    df = srcgrad.grad(scalar_data, wrt=0)
    assert "type(t) is not float and type(t) is not float64" in _guard(df)
    assert "type(x) is not float and type(x) is not float64" in _guard(df)
    assert "d_scalar_data_generic" not in _called(df, 0.3, 1.7)
    assert_sound(scalar_data, (0.3, 1.7), wrt=0)
    jf = srcgrad.jvp(scalar_data, wrt=0)
    assert "type(t) is not float and type(t) is not float64" in _guard(jf)


def test_differentiated_arrays_keep_their_guard():
    df = srcgrad.grad(scale_sum, wrt=(0, 1))
    assert "type(Y) is not float" in _guard(df) and "type(w) is not float" in _guard(df)
    assert_sound(scale_sum, (0.7, Y), wrt=(0, 1))


def test_the_same_version_twice_is_dropped():
    # the float version differed only by the result's scalar check
    df = srcgrad.grad(branch_returns)
    text = srcgrad.source(df)
    assert "_generic" not in text and text.count("def ") == 1
    assert "check_scalar" in text
    for x in (3.0, 1.0, -0.5):
        assert_sound(branch_returns, (x,))


def branch_on_data(x, y):
    z = x * y
    if z > 0.5:
        return np.sum(np.sin(x) * Y) * y
    return np.sum(x * Y)


def keyword_floats(x, scale=2.0, *, shift=1.0):
    return np.sum((x * scale + shift) ** 2)


def math_of_data(x, y):
    return np.sum(np.sin(x) * Y) * math.cos(y) + np.sum(x * y * Y)


def test_data_that_are_numbers_in_practice_are_tested():
    # y decides a branch through values computed from it elementwise (an array
    # there would raise), a float default, an argument of a math function
    for f, args, names in [(branch_on_data, (0.3, 1.7), ("x", "y")),
                           (keyword_floats, (0.3,), ("x", "scale", "shift")),
                           (math_of_data, (0.3, 0.4), ("x", "y"))]:
        guard = _guard(srcgrad.grad(f, wrt=0))
        for n in names:
            assert f"type({n}) is not float and type({n}) is not float64" in guard, (f.__name__, guard)
        assert f"d_{f.__name__}_generic" not in _called(srcgrad.grad(f, wrt=0), *args)
        assert_sound(f, args, wrt=0)
    assert_sound(keyword_floats, (np.array([0.3, -0.2]),), wrt=0)
    assert_sound(keyword_floats, (0.3, np.array([1.0, 2.0])), wrt=0)
