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
    with pytest.raises(srcgrad.UnsupportedError, match="element of an attribute"):
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


# * A symbolic zero (an object's field no derivative reached, ``d_st['v']``)
#   was returned as the scalar 0.0 for an array argument (seed 4255).

def unused_field_of_argument(x):
    st1 = S(0.5, x * 1.0)
    return st1.w


def test_zero_gradient_through_an_unused_field_has_the_argument_shape():
    g = srcgrad.grad(unused_field_of_argument)(X)
    assert isinstance(g, np.ndarray) and g.shape == X.shape and not g.any()
    assert_sound(unused_field_of_argument, [X], 0, modes=("grad", "jvp"))


# * A write into ``b = m.T`` (a view made by an attribute or a view method)
#   while ``m`` was re-read through the runtime view guard of ``m = a[idx]``
#   (a conditional write into ``m``): the write into ``b`` was not seen as a
#   write into ``m`` (gradient 0 for the written value, seed 6096).  The
#   syntactic sharing now follows view attributes and methods.

def write_through_transpose_after_guarded_write(M, y, z):
    M = M[[2, 0, 1]]
    n1 = 0
    while y < -0.41 and n1 < 3:
        M[2, n1 % 4] = 1
        break
    b7 = M.T
    b7[0] = z
    return np.sum(M)


def write_through_reshape_after_guarded_write(M, y, z):
    M = M[[2, 0, 1]]
    if y < 0:
        M[2, 1] = 1
    b = M.reshape(12)
    b[0] = z
    return np.sum(M * M)


@pytest.mark.parametrize("f", [write_through_transpose_after_guarded_write,
                               write_through_reshape_after_guarded_write])
def test_write_through_view_attribute_is_never_wrong(f):
    M = np.arange(12.0).reshape(3, 4) / 5.0
    for y in (-0.7, 0.5):
        assert_sound(f, [M, y, -0.95], (0, 2), expect="ok-or-refused")
        assert_sound(f, [M, y, -0.95], 2, expect="ok-or-refused")


# * ``x[i] = x`` (an array written with itself): the adjoint of the value was
#   added into the adjoint that was then zeroed (gradient 0, seed 8452).

def assign_self_slice(x):
    a1 = x * 1.0
    a1[:] = a1
    return np.sum(a1 * a1)


def assign_self_broadcast(x):
    a1 = x * 2.0
    a1[1:3] = a1[1:3]
    a1[::2] = a1[::2]
    return np.sum(np.sin(a1))


@pytest.mark.parametrize("f", [assign_self_slice, assign_self_broadcast])
def test_write_an_array_into_itself(f):
    assert_sound(f, [np.array([0.99552, 0.248572, 0.742832, 0.316957])], 0)


# * ``p = P(b=M); M *= 0.5``: the augmented assignment changes the array the
#   container holds (Python changes ``p.b`` too); it was differentiated as
#   ``M = M * 0.5``, a new array (seed 12553).  Now checked when the code
#   runs, as for views: an error if the container still holds that array.

from collections import namedtuple

P = namedtuple("P", ["a", "b"])


def augmented_after_packing(y, M):
    M = M ** 2
    p3 = P(b=M, a=y)
    M *= 0.5
    return np.sum(p3.b)


def augmented_after_list(y, M):
    M = M ** 2
    p3 = [M, y]
    M += y
    return np.sum(p3[0])


def augmented_float_after_packing(y, M):
    M = M ** 2
    p3 = (y, M)
    y *= 0.5
    return np.sum(p3[1]) * p3[0] + y


def augmented_copy_after_packing(y, M):
    M = M ** 2
    p3 = P(b=M.copy(), a=y)
    M = M * 0.5
    return np.sum(p3.b) + np.sum(M)


MM = np.array([[0.95, 0.0039, -0.449, 0.79], [-0.897, -0.13, 0.837, 0.953]])


@pytest.mark.parametrize("f", [augmented_after_packing, augmented_after_list])
def test_augmented_assignment_of_a_packed_array_is_never_wrong(f):
    assert_sound(f, [-1.005, MM], 1, expect="refused")
    assert_sound(f, [-1.005, MM], (0, 1), expect="refused")


@pytest.mark.parametrize("f", [augmented_float_after_packing, augmented_copy_after_packing])
def test_augmented_assignment_without_sharing_still_differentiated(f):
    assert_sound(f, [-1.005, MM], (0, 1), expect="ok-or-refused")
    assert srcgrad.grad(f, wrt=(0, 1))(-1.005, MM) is not None


# * ``b5 = A3[:]; b5 += y; b6 = b5[1]; b6 *= 0.5``: ``b5 += y`` rebinds
#   ``b5`` to the same array, which the syntactic sharing (and the runtime
#   view guard that rewrites writes into views as writes into their array)
#   did not follow: ``b6``'s write went into the rebound ``b5`` only, not
#   into ``A3`` (seed 15400).

def augmented_views_of_views(y):
    A3 = np.arange(12.0).reshape(3, 4)
    b5 = A3[:]
    b5 += y
    b6 = b5[1]
    b6 *= 0.5
    return np.sum(A3)


def augmented_view_then_read(y):
    A3 = np.arange(12.0).reshape(3, 4) * y
    b5 = A3[1:]
    b5 += y
    return np.sum(A3 * A3)


@pytest.mark.parametrize("f", [augmented_views_of_views, augmented_view_then_read])
def test_augmented_assignment_through_views_is_never_wrong(f):
    assert_sound(f, [-0.683646], 0, expect="ok-or-refused")


# * hvp differentiates the generated gradient, where an adjoint dict is
#   copied (``d_D2.copy()``); the tangent of that copy was ``np.copy`` of a
#   dict, a 0-d object array (IndexError, seed 14849).

import math


def _h0(p, q=0.83, *, scale=1.0):
    s1 = p
    D2 = {0.5: v_ for k_, v_ in (("b", s1),)}
    return D2.get("zz", 0.5)


def dict_default_through_helper(u):
    s1 = math.sin(_h0(u))
    return s1


def dict_value_through_helper(u):
    D2 = {k: v * u for k, v in (("a", 2.0), ("b", 3.0))}
    D3 = D2.copy()
    D3["a"] = D3["a"] * u
    return np.sum(D3["a"] * D2["b"])


def test_hvp_through_a_copied_adjoint_dict():
    assert_sound(dict_default_through_helper, [np.array([0.523157, 0.326062, 0.400455])], 0)
    # hvp refuses the generated code's save_item (not a crash, never wrong)
    assert_sound(dict_value_through_helper, [np.array([0.523157, 0.326062, 0.400455])], 0,
                 expect="ok-or-refused")


def view_updated_then_rebound_in_loop(y, x, z):
    a1 = y - x
    b2 = a1[:]
    b2 += x
    n3 = 0
    while x[-3] * z < 0.13 and n3 < 3:
        n3 = n3 + 1
        b2 = np.cos(b2)
    return y + z + np.sum(b2)


@pytest.mark.parametrize("wrt", [0, 1, (0, 1, 2)])
def test_view_updated_in_place_then_rebound_in_a_loop(wrt):
    # fuzz seed 17968: the name made by `b2 += x` on a view is bound again in the
    # loop; it was followed as the view throughout (wrong value in jvp, wrong grad)
    x = np.array([0.09029, 0.083692, -0.942968, -0.811506])
    assert_sound(view_updated_then_rebound_in_loop, (1.120985, x, -1.172366), wrt)
