"""Regressions found in the fifth session (2026-11-29): by the everyday Hessian
set checked against autograd (tests/test_hessian_everyday.py) and by hand.

* A name only one branch of an ``if`` assigns, read under the same condition
  later: the reverse sweep zeroed its adjoint on the other path with
  ``zeros_like(name)``, an ``UnboundLocalError`` there (now the zero ``0.0``,
  which that path never reads).
"""

import numpy as np
import pytest

from tests.modes import assert_sound


def one_branch_names(x):
    c = np.sum(x) > 0
    if c:
        a = x * 2.0
    else:
        b = np.exp(x)
    if c:
        return np.sum(a ** 2)
    return np.sum(b * 3.0)


def one_branch_in_a_loop(x):
    s = 0.0
    for i in range(3):
        if x[i] > 0:
            t = x[i] ** 2
        else:
            u = np.sin(x[i])
        if x[i] > 0:
            s = s + t * x[0]
        else:
            s = s + u
    return s


def branchy(x):
    if np.sum(x) > 0.0:
        return np.sum(x ** 3 * np.array([1.0, 2.0, 3.0]))
    return np.sum(np.exp(x))


@pytest.mark.parametrize("f", [one_branch_names, one_branch_in_a_loop, branchy],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [np.array([0.5, 0.2, -0.1]), np.array([-0.5, 0.2, -0.4])],
                         ids=["positive", "negative"])
def test_names_assigned_by_one_branch(f, x):
    assert_sound(f, (x,))


# * ``a, b = v`` read ``v[0]`` and ``v[1]`` without checking that ``v`` has two
#   items: a program Python rejects got a value (now ValueError, like Python).

def unpack_two(x, v):
    a, b = v
    return a * x + b


def test_unpacking_checks_the_number_of_items():
    import srcgrad
    assert srcgrad.grad(unpack_two)(2.0, [1.0, 3.0]) == 1.0
    for v, word in (([1.0, 3.0, 4.0], "too many"), ([1.0], "not enough")):
        with pytest.raises(ValueError, match=word):
            srcgrad.grad(unpack_two)(2.0, v)
        with pytest.raises(ValueError, match=word):
            srcgrad.jvp(unpack_two)(2.0, v, 1.0)
        with pytest.raises(ValueError, match=word):
            unpack_two(2.0, v)
