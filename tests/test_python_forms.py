"""The Python users write (issue #14), each in every mode against finite
differences: ``with`` blocks whose context managers change no value,
``d.update`` of a dict the function made, comprehensions in ``while``
conditions; and the refusals that remain (a context manager that may raise)."""

import contextlib
import warnings

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound


def with_errstate(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(x) * np.sum(x)
    return np.sum(y ** 2)


def with_several(x):
    with warnings.catch_warnings(), contextlib.nullcontext():
        with np.printoptions(precision=3):
            y = np.sin(x) * 2.0
            if np.sum(y) > 0:
                return np.sum(y * x)
    return np.sum(y)


def with_raise(x):
    with np.errstate(divide="raise"):
        y = np.log(x)
    return np.sum(y)


def dict_update(x):
    d = {"a": x[0], "b": 1.0}
    d.update({"b": x[1] * d["a"], "c": np.sum(x)})
    d.update(e=d["b"] * 2.0)
    return d["a"] * d["b"] + d["c"] * d["e"]


def while_comprehension(x):
    n = 0
    while sum([x[0] * k for k in range(n)]) < 3.0 and n < 10:
        n += 1
    total = 0.0
    k = 0
    while np.sum([e * e for e in x[:k]]) < 0.5 and k < 3:
        total = total + x[k] ** 2
        k += 1
        if total > 10.0:
            continue
    return x[0] * n + total


X = np.array([0.6, -0.4, 0.3])


@pytest.mark.parametrize("f", [with_errstate, with_several, dict_update, while_comprehension],
                         ids=lambda f: f.__name__)
def test_python_forms(f):
    assert_sound(f, (np.abs(X) + 0.1 if f is with_errstate else X,))


def test_a_context_manager_that_may_raise_is_refused():
    with pytest.raises(srcgrad.UnsupportedError, match="with is not supported") as e:
        srcgrad.grad(with_raise)
    assert "test_python_forms.py" in str(e.value)


def set_of_indices(x):
    s = {k % 2 for k in range(5)}
    return x[0] * len(s) + np.sum(x[sorted(s)] ** 2)


def set_of_values(x):
    s = {v * 2.0 for v in x}
    return sum(s)


def test_set_comprehensions():
    assert_sound(set_of_indices, (X,))
    with pytest.raises(srcgrad.UnsupportedError):      # a set of differentiated values
        srcgrad.grad(set_of_values)(X)
