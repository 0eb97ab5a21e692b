"""Fuzz seed 3311980 (fourteenth session): a silent wrong gradient present
before the session.  ``st2 = dataclasses.replace(st1)`` makes a new object
holding the same arrays; ``st2.v += y`` changes that array in place in
Python, so ``st1.v`` changes too.  After ``setattr(st1, 'w', ...)`` (a new
object for ``st1``, ``set_field``, which holds what ``st1`` held), the
check that another container still in use may hold the array written in
place (``analysis/aliasing.check_augmented``) looked only at the containers
holding ``st2``'s own arrays' names, not at the other containers holding
what ``st2`` holds: the gradient and the primal value were those of a
program where ``st1.v`` did not change.  Now such a container is checked
when the code runs (``not_a_view``): refused where it holds the array."""

import dataclasses
from dataclasses import dataclass

import numpy as np
import pytest

from tests.modes import assert_sound


@dataclass
class S:
    w: float
    v: np.ndarray


def shrunk(x, y):
    st1 = S(y, x * 1.0)
    st2 = dataclasses.replace(st1)
    setattr(st1, 'w', 0.5)
    st2.v += y                  # st1.v is the same array: it changes too
    return np.sum(st1.v)


def replaced_then_field_set(x, y):
    st1 = S(y, x * 1.0)
    st2 = dataclasses.replace(st1, w=2.0)
    st1.w = 0.25
    st2.v *= y
    return np.sum(st1.v) + st2.w + st1.w


def replaced_old_unused(x, y):
    st1 = S(y, x * 1.0)
    st2 = dataclasses.replace(st1)
    setattr(st1, 'w', 0.5)
    st2.v += y                  # st1 is not read again: Python's change is unseen
    return np.sum(st2.v)


def replaced_with_a_new_array(x, y):
    st1 = S(y, x * 1.0)
    st2 = dataclasses.replace(st1, v=x * 2.0)
    setattr(st1, 'w', 0.5)
    st2.v += y                  # a new array: st1.v is not it
    return np.sum(st1.v) + np.sum(st2.v)


X = np.array([0.485672, -0.442177, 0.95386, 0.028189])
Y = -0.874591


@pytest.mark.parametrize("f", [shrunk, replaced_then_field_set])
def test_a_shared_field_written_in_place_is_refused(f):
    # (found when the code runs: st1's new object holds the array written)
    assert_sound(f, (X, Y), wrt=1, expect="refused")
    assert_sound(f, (X, Y), wrt=0, expect="refused")


@pytest.mark.parametrize("f", [replaced_old_unused, replaced_with_a_new_array])
def test_no_sharing_still_differentiated(f):
    assert_sound(f, (X, Y), wrt=1)
    assert_sound(f, (X, Y), wrt=0)


def test_a_field_read_of_the_other_object_is_refused_too():
    # st1 still in use, even for a number field only: the check is of the
    # object (conservative: a refusal, never a wrong derivative)
    def f(x, y):
        st1 = S(y, x * 1.0)
        st2 = dataclasses.replace(st1)
        setattr(st1, 'w', 0.5)
        st2.v += y
        return np.sum(st2.v) + st1.w
    assert_sound(f, (X, Y), wrt=1, expect="ok-or-refused")


# Fuzz seed 3326646 (the same session, also present before it): an element
# write into a value that may be a list or an array (it was iterated with
# enumerate) is undone in the reverse sweep only if that name is read later;
# a view of it the reverse sweep reads (value = M.T, taped for the product's
# adjoint) saw the new elements.  The undo now counts the views of the name.

def enumerated_then_written(M, x):
    for q1, row in enumerate(M):
        M = M * 0.5
        M[(q1 + 2) % 3] = M.T @ x[:-1]
    return np.sum(M)


M0 = np.array([[-0.81428, -0.569951, -0.750677, -0.128455],
               [-0.300111, 0.131823, -0.312301, -0.732138],
               [-0.635254, 0.09084, 0.513839, -0.318972]])
X0 = np.array([0.62297, -0.265715, -0.469037, 0.73243])


@pytest.mark.parametrize("wrt", [0, 1])
def test_a_view_of_an_iterated_value_sees_the_old_elements(wrt):
    assert_sound(enumerated_then_written, (M0, X0), wrt=wrt, modes=("grad", "jvp"))
    assert_sound(enumerated_then_written, (M0, X0), wrt=wrt, modes=("hvp",),
                 expect="ok-or-refused")
