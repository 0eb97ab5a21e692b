"""Higher order through loops, branches, helpers and tuples (issue #13):
third and fourth derivatives, ``jvp(grad(grad(f)))``, each checked against
central finite differences of the order below; and the inactive element of
a tuple (``t = (x, 2.0)``), which gets no tangent and no adjoint."""

import numpy as np

import srcgrad

from tests.modes import assert_sound

EPS = 1e-5


def fd(g, x, eps=EPS):
    """Central finite difference of the scalar function ``g`` at ``x``."""
    return (g(x + eps) - g(x - eps)) / (2 * eps)


def close(a, b, rtol=2e-5, atol=1e-6):
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def nth(f, n):
    for _ in range(n):
        f = srcgrad.grad(f)
    return f


# --------------------------------------------------------------------------
# a constant element of a tuple is inactive

def power_of_a_pair(x):
    t = (x, 2.0)
    return np.power(t[0], t[1])


def power_of_a_copied_pair(x):
    t = (x, 2.0)
    u = t
    return np.power(u[0], u[-1])


def power_of_a_nested_pair(x):
    t = ((x, 2.0), 1.0)
    return np.power(t[0][0], t[0][1]) * t[1]


def power_through_a_helper(t):
    return np.power(t[0], t[1])


def power_of_a_pair_in_a_helper(x):
    return power_through_a_helper((x, 3.0))


TUPLE_FUNCTIONS = (power_of_a_pair, power_of_a_copied_pair, power_of_a_nested_pair,
                   power_of_a_pair_in_a_helper)


def test_a_constant_tuple_element_has_no_tangent():
    """jvp gave nan at a negative x: the tangent of the constant 2.0 made the
    rule compute log(x)."""
    for f in TUPLE_FUNCTIONS:
        assert_sound(f, (-1.5,), wrt=0)
        assert_sound(f, (0.8,), wrt=0)


def test_a_constant_tuple_element_at_second_order():
    for f in TUPLE_FUNCTIONS:
        d2 = nth(f, 2)(-1.5)
        assert np.isfinite(d2) and close(d2, fd(nth(f, 1), -1.5))


def test_the_constant_element_is_not_differentiated():
    tangent = srcgrad.source(srcgrad.jvp(power_of_a_pair))
    gradient = srcgrad.source(srcgrad.grad(power_of_a_pair))
    assert "np.log" not in tangent and "np.log" not in gradient


def exponent_in_a_tuple(x, y):
    t = (x, y)
    return np.power(t[0], t[1])


def test_an_active_tuple_element_still_has_its_derivative():
    assert_sound(exponent_in_a_tuple, (1.3, 0.7), wrt=(0, 1))
