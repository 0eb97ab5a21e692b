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


# -- sets: iterated as list(...) gives them (members) -------------------------------------
def set_display_loop(x):
    s = {1, 2}
    return x[0] * len({i for i in s})


def set_of_constants(x):
    s = {0.5, 2.0, 3.0}
    t = 0.0
    for v in s:
        t = t + v * x[0] ** 2
    return t + sum(x[k] * v for k, v in enumerate(sorted(s)))


def set_operations(x):
    a = {k % 3 for k in range(7)}
    b = frozenset([1, 2, 5])
    t = 0.0
    for k in a | b:
        t = t + x[k % 3] * k
    for k in a - b:
        t = t + x[k] ** 2
    for k in a.union(b).intersection({0, 5}):
        t = t * x[1]
    u = a
    u |= {4}
    return t + sum([x[k % 3] for k in u]) + sum(x[i] for i in {j for j in u if j < 3})


def set_comprehension_nested(x):
    evens = {k for k in range(6) if k % 2 == 0}
    pairs = {(i, j) for i in evens for j in {1, 2} if i + j < 6}
    total = 0.0
    for i, j in pairs:
        total = total + x[i % 3] * x[j]
    return total * len(pairs) + np.sum(x[sorted({k % 3 for k in evens})])


def set_from_helper(x):
    def members(n):
        return {k for k in range(n)}
    s = members(3)
    return sum([x[k] * 2.0 for k in s])


def set_unknown_listed(x):
    s = set.union({0}, {2})
    return sum([x[k] for k in list(s)]) + sum(x[k] for k in sorted(s))


def set_unknown(x):
    s = set.union({0}, {2})
    return sum([x[k] for k in s])


def set_loop_adds(x):
    s = {0, 1}
    t = 0.0
    for k in s:
        s.add(k + 2)
        t = t + x[k]
    return t


@pytest.mark.parametrize("f", [set_display_loop, set_of_constants, set_operations,
                               set_comprehension_nested, set_from_helper, set_unknown_listed],
                         ids=lambda f: f.__name__)
def test_sets(f):
    assert_sound(f, (X,))


def test_a_set_the_compiler_cannot_see_is_refused_when_the_code_runs():
    # a name whose value the source does not show to be a sequence is checked
    with pytest.raises(srcgrad.UnsupportedError, match="'s' is a set") as e:
        srcgrad.grad(set_unknown)(X)
    assert "sorted(s)" in str(e.value)
    with pytest.raises(srcgrad.UnsupportedError, match="changes the length of 's'"):
        srcgrad.grad(set_loop_adds)


def test_a_set_argument():
    def total(x, s):
        return sum(x[k] for k in sorted(s)) + sum([x[k] ** 2 for k in list(s)])
    assert_sound(total, (X, {0, 2}))
    with pytest.raises(srcgrad.UnsupportedError, match="'s' is a set"):
        srcgrad.grad(lambda x, s: sum(x[k] for k in s))(X, {0, 2})


# -- a name bound on some paths only, copied where another branch merges ----------------
def correlated_branches(x, c):
    if c:
        v = x * 2.0
    if c:
        v = v * 3.0          # merge: the other path copies 'v', which it never bound
    if c:
        return np.sum(v)
    return np.sum(x)


@pytest.mark.parametrize("c", [True, False])
def test_correlated_branches(c):
    assert_sound(correlated_branches, (X, c))
