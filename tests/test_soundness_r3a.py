"""Wide-fuzzer seeds 1011-14907 (issue #10, round 3a).

* ``obj.v[i] = y`` writes into the array an object's attribute holds; the
  attribute read was not followed as an alias of ``obj``, so the write was
  lost (gradient 0 for ``y``, an overwritten element of ``x`` still given a
  gradient).  Such a write is refused (seeds 1702, 2187, 2823, ...).
"""

from dataclasses import dataclass

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound


@dataclass
class S:
    w: float
    v: np.ndarray


def attr_element_write(y):
    st4 = S(0.5, np.linspace(1.0, 4))
    st4.v[1] = y
    return np.sum(st4.v)


def attr_element_write_index(y, z):
    st1 = S(z, np.linspace(1.0, 4))
    q2 = 2
    st1.v[q2 % 4] = y
    return np.sum(st1.v)


def attr_element_overwrite(x, y):
    st2 = S(y, np.tanh(x))
    st2.v[-4] = 0.5
    return np.sum(st2.v)


def attr_element_augassign(x, y):
    st2 = S(y, np.tanh(x))
    st2.v[1:] *= y
    return np.sum(st2.v)


X4 = np.array([0.925626, 0.832415, 0.467791, 0.89079])


@pytest.mark.parametrize("f, args, wrt", [
    (attr_element_write, (-0.76544,), 0),
    (attr_element_write_index, (0.213794, -0.707534), 0),
    (attr_element_overwrite, (X4, 0.686753), 0),
    (attr_element_augassign, (X4, 0.686753), (0, 1)),
])
def test_write_into_attribute_element_refused(f, args, wrt):
    assert_sound(f, args, wrt, expect="refused")
    with pytest.raises(srcgrad.UnsupportedError, match="element of an attribute"):
        srcgrad.grad(f, wrt=wrt)(*args)
