"""Wide-fuzzer findings, round 3 (helper r3c): silently wrong gradients.

* ``st.v[i] = value`` writes into the array a dataclass field holds (the
  normaliser reads the field into a temporary, ``a = st.v; a[i] = value``):
  the temporary is the object's own array, so the write changes ``st``.
  Analysis treated the field read as independent of ``st`` (the write was
  lost for the gradient: seeds 1551, 2166, 2431, 2967); it is now refused
  while the object is still used afterwards.
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


def field_write_const(x):
    st1 = S(0.5, 0.5 + x)
    st1.v[-2] = 0.5
    return np.sum(st1.v)


def field_write_active(x, y):
    st2 = S(0.5, x * 2.0)
    st2.v[1] = y
    return np.sum(st2.v)


def field_write_into_constant(x):
    st3 = S(0.5, np.linspace(1.0, 4.0, 4))
    st3.v[-2] = x[1]
    return np.sum(st3.v)


X = np.array([-0.751793, -0.933442, -0.944556, 0.038451])


@pytest.mark.parametrize("f, args, wrt", [
    (field_write_const, [X], 0),
    (field_write_active, [X, 0.6], 1),
    (field_write_active, [X, 0.6], (0, 1)),
    (field_write_into_constant, [X], 0),
])
def test_write_into_dataclass_field_is_never_wrong(f, args, wrt):
    assert_sound(f, args, wrt, expect="refused")


def test_write_into_dataclass_field_names_the_construct():
    with pytest.raises(srcgrad.UnsupportedError, match="field .v of 'st1'"):
        srcgrad.grad(field_write_const)(X)


def field_read_only(x):
    st = S(0.5, x * 2.0)
    a = np.copy(st.v)
    a[0] = 1.0
    return np.sum(a) + np.sum(st.v)


def test_copy_of_field_still_differentiated():
    assert_sound(field_read_only, [X], 0, modes=("grad", "jvp"))   # hvp: add_attr refused


# * ``x = x[index]`` in a loop keeps the name ``x`` (loop-carried): the
#   reverse sweep added the gathered adjoint into ``d_x`` and then zeroed it
#   as the consumed adjoint of the new ``x`` (gradient 0, seed 3544).

def gather_in_loop(x):
    for s2 in x:
        x = x[[3, 0, 2, 1]]
    return np.sum(x)


def gather_repeats_in_loop(x):
    for k in range(3):
        x = x[[3, 0, 0, 1]] * np.array([1.0, 2.0, 3.0, 4.0])
    return np.sum(x * x)


def gather_2d_in_loop(M, y):
    n = 0
    while n < 2:
        M = M[[2, 0, 1]] * y
        n += 1
    return np.sum(M[0] * M[2])


@pytest.mark.parametrize("f, args, wrt", [
    (gather_in_loop, [np.array([-0.784287, -0.891358, 0.331642, 0.398055])], 0),
    (gather_repeats_in_loop, [np.array([-0.78, -0.89, 0.33, 0.39])], 0),
    (gather_2d_in_loop, [np.arange(12.0).reshape(3, 4) / 7.0, 0.8], (0, 1)),
])
def test_gather_into_the_same_name_in_a_loop(f, args, wrt):
    assert_sound(f, args, wrt)
