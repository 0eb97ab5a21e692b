"""``srcgrad.check_grad`` of functions that change their arguments in place
(issue #14): every evaluation of the function (and of the gradient) gets its
own deep copy of the arguments' structures (arrays, lists, dicts, named
tuples, dataclasses), so the finite differences are right and the caller's
values are unchanged."""

import collections
import copy
import dataclasses

import numpy as np
import pytest

import srcgrad
from srcgrad.api.check import numerical_grad


@dataclasses.dataclass
class Params:
    a: np.ndarray
    b: float


Pair = collections.namedtuple("Pair", "u v")


def writes_arrays(x, Y):
    x[0] = x[0] * 2.0
    Y[1] = Y[1] + 1.0
    return np.sum(x ** 2 * Y)


def appends(xs, data):
    data.append(xs[0])
    xs[1] = xs[1] * 2.0
    s = 0.0
    for v in data:
        s = s + v * xs[1]
    return s


def sets_attribute(p, w):
    p.b = p.b * w
    return np.sum(p.a ** 2) * p.b


def writes_through_named_tuple(t, Y):
    Y[0] = Y[0] * t.u
    return np.sum(Y * t.v) * t.u


def writes_dict(d):
    d["x"] = d["x"] * 2.0
    d["y"] = 1.0
    return np.sum(d["x"] ** 2) + d["y"]


CASES = [
    (writes_arrays, lambda: (np.array([1.0, 2.0]), np.array([0.5, 1.5])), (0, 1)),
    (appends, lambda: ([1.0, 2.0], [0.5]), 0),
    (sets_attribute, lambda: (Params(np.array([1.0, 2.0]), 1.5), 2.0), (0, 1)),
    (writes_through_named_tuple, lambda: (Pair(1.5, np.array([1.0, 2.0])),
                                          np.array([3.0, 4.0])), (0, 1)),
    (writes_dict, lambda: ({"x": np.array([1.0, 3.0])},), 0),
]


@pytest.mark.parametrize("fun, make, wrt", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("directions", [None, 3])
def test_check_grad_of_a_mutating_function(fun, make, wrt, directions):
    args = make()
    before = copy.deepcopy(args)
    got = srcgrad.check_grad(fun, *args, wrt=wrt, directions=directions)
    # the caller's values are unchanged, the gradient is srcgrad's at the original point
    assert repr(args) == repr(before)
    want = srcgrad.grad(fun, wrt=wrt)(*make())
    assert repr(got) == repr(want)


def _cube(x):
    return x ** 3



def mutating_with_wrong_rule(x, Y):
    Y[0] = Y[0] + 1.0
    return np.sum(_cube(x) * Y)


def test_a_wrong_gradient_is_still_found():
    srcgrad.defvjp(_cube, "x", "g * 2.0 * x ** 2")       # wrong on purpose: 3x^2 is right
    srcgrad.defjvp(_cube, "t * 2.0 * x ** 2")
    x, Y = np.array([1.0, 2.0]), np.array([0.5, 1.5])
    for directions in (None, 2):
        with pytest.raises(srcgrad.GradientCheckError, match="disagree|direction"):
            srcgrad.check_grad(mutating_with_wrong_rule, x, Y, directions=directions)
    assert np.allclose(Y, [0.5, 1.5])


def test_numerical_grad_copies_the_other_arguments():
    x, Y = np.array([1.0, 2.0]), np.array([0.5, 1.5])
    g = numerical_grad(writes_arrays, (x, Y), 0)
    assert np.allclose(Y, [0.5, 1.5]) and np.allclose(x, [1.0, 2.0])
    np.testing.assert_allclose(g, srcgrad.grad(writes_arrays)(x, Y), rtol=1e-6)


def test_shared_values_stay_shared_in_the_copies():
    from srcgrad.api.check import _fresh
    a = np.ones(2)
    p = Params(a, 1.0)
    out = _fresh([a, {"k": a}, p, (a, [a])])
    assert out[0] is not a and out[1]["k"] is out[0] and out[2].a is out[0]
    assert out[3][0] is out[0] and out[3][1][0] is out[0]
    cyc = []
    cyc.append(cyc)
    c = _fresh(cyc)
    assert c is not cyc and c[0] is c
