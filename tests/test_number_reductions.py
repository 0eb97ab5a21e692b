"""The sum or mean of a number is that number: where the analysis knows the
argument of ``np.sum`` or ``np.mean`` is a number (rank 0: the version for
Python floats), its adjoint is ``g`` itself (``defranks(np.sum, (0,), "g")``,
``rules/numpy_rules.py``) instead of ``unreduce(g, 0.0, None, False)``, which
made a 0-d array and turned every later adjoint into a NumPy scalar (a
three-line float gradient took 10 µs instead of 0.3).  Arrays keep the
rule's template.  Every program checked in every mode against finite
differences."""

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound


def sum_and_mean(x, y):
    return np.sum(np.sin(x) * y) + np.mean(x * x)


def keepdims_of_a_number(x, y):
    s = np.sum(x * y, keepdims=True)
    return np.mean(s * x) + np.sum(np.cos(y), axis=None)


def in_a_loop(x, n):
    acc = 0.0
    for i in range(n):
        acc = acc + np.sum(x * i) * np.mean(np.tanh(acc + x))
    return acc


def _specialised(df):
    return srcgrad.source(df).split("\n\n\n")[0]


@pytest.mark.parametrize("f, args, wrt", [
    (sum_and_mean, (0.3, 0.5), (0, 1)),
    (keepdims_of_a_number, (0.3, -0.7), (0, 1)),
    (in_a_loop, (0.4, 4), 0),
])
def test_the_float_version_reduces_nothing(f, args, wrt):
    srcgrad.clear_cache()
    text = _specialised(srcgrad.grad(f, wrt=wrt))
    assert "type(x) is not float" in srcgrad.source(srcgrad.grad(f, wrt=wrt))
    assert "unreduce" not in text, text
    assert_sound(f, args, wrt=wrt)


def test_arrays_keep_the_rules_template():
    srcgrad.clear_cache()
    x, y = np.array([0.3, -0.2, 0.8]), np.array([0.5, 1.5, -1.0])
    generic = srcgrad.source(srcgrad.grad(sum_and_mean, wrt=(0, 1))).split("\n\n\n")[1]
    assert "d_x = 2.0 * (x / np.size(x))" in generic      # the mean of an array
    assert_sound(sum_and_mean, (x, y), wrt=(0, 1))
    assert_sound(sum_and_mean, (x, 0.5), wrt=(0, 1))
    assert_sound(keepdims_of_a_number, (x, y), wrt=(0, 1))
