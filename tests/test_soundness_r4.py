"""Wide-fuzzer findings, round 4: crashes and wrong results found by the long runs.

* The adjoint of a dict is an ``AdjointDict`` whose missing keys read as the
  symbolic zero ``0.0``.  An array element's adjoint read from it, then
  updated in place (``d_e[0] += ...``) or given to ``unbroadcast`` and then
  indexed, crashed (``'float' object is not subscriptable``, fuzz seed 21432).
  ``unbroadcast(0.0, array)`` now has the array's shape, and an element read
  from a dict's adjoint is expanded before an in-place update.
* A negative constant folded from ``(-0.5)`` was printed as ``-0.5 ** 2``,
  which Python reads as ``-(0.5 ** 2)``: the generated primal gave the wrong
  value (fuzz seed 23098, seen by jvp's value check).  Negative constants
  are now printed as negations (``(-0.5) ** 2``, ``(-1).real``).
"""

import numpy as np
import pytest

from tests.modes import assert_sound

X = np.array([0.741021, -0.192389, 0.00083, 0.297205])


def _h0(p, q=0.36, scale=1.0):
    return sum((e for e in p)) + p * 0.5


def dict_unread_branch(x):
    # fuzz seed 21432, shrunk
    D3 = dict(b=_h0(x))
    if x[0] > 5.0:
        return sum(D3.values())
    return np.sum(x) * 0.5


def dict_element_indexed_before(x):
    e = np.sin(x)
    s = e[0]
    D3 = dict(b=e, c=s)
    if x[0] > 5.0:
        return sum(D3["b"])
    return s * 2.0


def dict_element_indexed_taken(x):
    e = np.sin(x)
    s = e[0]
    D3 = dict(b=e, c=s)
    if x[0] < 5.0:
        return sum(D3["b"]) + D3["c"]
    return s * 2.0


@pytest.mark.parametrize("f", [dict_unread_branch, dict_element_indexed_before,
                               dict_element_indexed_taken])
def test_array_adjoint_read_from_a_dict_adjoint(f):
    assert_sound(f, (X,), 0)


def power_of_negative_constant(y, x):
    # fuzz seed 23098, shrunk
    x = np.full_like(x, (-0.5) ** 2)
    s6, s7, s8, s9 = x
    return s6 + y * (-2.0) ** 2 + (-3) ** 2 * x[1]


def test_power_of_a_negative_constant():
    assert_sound(power_of_negative_constant, (-0.170452, X), (0, 1))
    import srcgrad
    for df in (srcgrad.grad(power_of_negative_constant, wrt=(0, 1)),
               srcgrad.jvp(power_of_negative_constant, wrt=0)):
        assert "-0.5 ** 2" not in srcgrad.source(df)
    out, _ = srcgrad.jvp(power_of_negative_constant, wrt=0)(-0.170452, X, 1.0)
    assert out == pytest.approx(power_of_negative_constant(-0.170452, X))
