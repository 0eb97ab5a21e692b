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


# * fuzz seed 1303011 (silent wrong value and gradient, since before this session): an array
#   packed into a tuple, read back out of it (s2, s3 = t), then changed by ``a += e``:
#   Python changes s3 too; srcgrad's ``a = a + e`` did not. Names read out of a container
#   that holds the array are now checked like other names for it (refused when still read).
# * fuzz seed 1304070 (a crash this session's expand change caused): the lazy adjoint of a
#   list given to NumPy was expanded into a list.

def packed_then_augmented(x, y):
    a1 = x.copy()
    t4 = (y, a1)
    s2, s3 = t4
    a1 += x
    s8, s9, s10, s11 = s3
    return s9


def packed_then_augmented_unread(x, y):
    a1 = x.copy()
    t4 = (y, a1)
    s2, s3 = t4
    r = np.sum(s3 ** 2)
    a1 += x
    return r + np.sum(a1)


def mean_square_of_sorted(u):
    L1 = sorted(u)
    D2 = dict(a=np.mean(np.square(L1)))
    return sum(D2.values())


X4 = np.array([-0.611786, -0.639414, -0.834234, 0.411903])


def test_an_array_read_out_of_a_tuple_then_changed_in_place():
    assert_sound(packed_then_augmented, (X4, 1.16), 0, modes=("grad", "jvp"),
                 expect="refused")
    assert_sound(packed_then_augmented_unread, (X4, 1.16), 0)


def test_a_list_given_to_numpy_after_sorted():
    assert_sound(mean_square_of_sorted, (np.array([-0.355267, -0.664547, -0.995089]),))


# * fuzz seed 1511081 (a complex gradient of a real argument, returned unchecked by the
#   version for Python floats): the zero adjoint of a real name was made with zeros_like of
#   a complex value of the same shape (the shape-only reference picked any value of that
#   shape); and the float version's exit check now runs where complex values were found.

def complex_then_return_in_loop(y, x):
    y = y + np.imag((y + 0.5j) ** 2)
    D1 = {0.5: 0.5 for k_, v_ in (('a', x),)}
    for q4, s3 in D1.items():
        return y


def test_a_real_argument_gets_a_real_gradient_through_a_loop_return():
    import srcgrad
    g = srcgrad.grad(complex_then_return_in_loop)(0.81, np.ones(4))
    assert type(g) is float and g == pytest.approx(2.0)
    assert_sound(complex_then_return_in_loop, (0.81, np.ones(4)))


# * fuzz seed 1604420 (an hvp crash, present before the fifth session, fixed in the sixth):
#   the tangent of np.square(L) in the hvp of a gradient, L a list changed by L[0] = ..., was
#   multiplied as a list: the gradient's L.append(y) was taken for a tape push (L was made
#   empty and appended to; that it was also indexed and summed was not looked at), so L's
#   kind was lost. A tape is now a list used only through .append and .pop.

def square_of_a_changed_list(y, u, x):
    L1 = [0.5 for e in x if 0.5]
    L1.append(y)
    L1[0] = u if 0.5 > 3 else np.mean(np.square(L1))
    return sum(L1)


def test_hvp_of_square_of_a_changed_list():
    args = (0.456991, np.array([0.484404, 0.323931, -0.394502]), np.array([-0.79, 0.94, -0.79]))
    assert_sound(square_of_a_changed_list, args, 1, modes=("hvp",))
    assert_sound(square_of_a_changed_list, args, 0)     # y reaches the result: nonzero


def test_grad_and_jvp_of_square_of_a_changed_list():
    args = (0.456991, np.array([0.484404, 0.323931, -0.394502]), np.array([-0.79, 0.94, -0.79]))
    assert_sound(square_of_a_changed_list, args, 1, modes=("grad", "jvp"))
