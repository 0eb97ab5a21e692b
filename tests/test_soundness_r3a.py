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


def dict_items_written_in_loop(x, y):
    D1 = {'a': x, 'b': y}
    for q4, s3 in D1.items():
        D1['b'] = s3
    return sum(D1.values())


def dict_values_written_in_loop(x, y):
    D1 = {'a': x, 'b': y}
    for s3 in D1.values():
        D1['b'] = s3 * D1['b']
    return D1['b']


def dict_items_other_written(x, y):
    D1 = {'a': x, 'b': y}
    out = {}
    for q4, s3 in D1.items():
        out[q4] = s3 * y
    return sum(out.values())


@pytest.mark.parametrize("f, expected", [
    (dict_items_written_in_loop, (2.0, 0.0)),        # 2 x
    # (x y)^2
    (dict_values_written_in_loop, (2 * 0.659488 * 1.021239 ** 2, -2 * 0.659488 ** 2 * 1.021239)),
])
def test_loop_over_dict_view_written_by_loop(f, expected):
    # Python's items()/values() view is live: the loop sees the value it wrote
    # (seed 1011); iterating a copy made before the loop gave the wrong value
    args = (0.659488, -1.021239)
    np.testing.assert_allclose(srcgrad.grad(f, wrt=(0, 1))(*args), expected, rtol=1e-9)
    # grad and jvp agree with finite differences; hvp may refuse the loop
    assert_sound(f, args, (0, 1), expect="ok-or-refused")


def test_loop_over_dict_view_writing_elsewhere():
    assert_sound(dict_items_other_written, (0.659488, -1.021239), (0, 1))


def _ones_like_row(p, q=0.9, *, scale=1.0):
    return np.ones(4)


def _overwrite_then_scale(p, q=0.24, *, scale=1.0):
    a1 = p + _ones_like_row(0.5)
    a1[-3] = 0.5
    scale = a1
    return p * scale


def inlined_elementwise_then_written(x):
    return _overwrite_then_scale(np.outer(x, x)).sum()


def test_tangent_of_elementwise_result_written_in_place():
    # jvp: d_a1 = broadcast_like(d_p, a1) is d_p itself when the shapes agree;
    # d_a1[-3] = 0.0 then zeroed a row of d_p too (seed 3974: jvp and hvp wrong)
    x = np.array([-0.622893, 0.856676, -0.840866, 0.535298])
    assert_sound(inlined_elementwise_then_written, (x,), 0)


def list_slice_to_array(x):
    L3 = list(x)
    x = np.array(L3[:4])
    return np.sum(np.sin(x))


def list_slice_to_array_part(x):
    L3 = list(x)
    return np.sum(np.sin(np.array(L3[1:3])) * x[:2])


@pytest.mark.parametrize("f", [list_slice_to_array, list_slice_to_array_part])
def test_hvp_of_list_slice_adjoint(f):
    # the gradient adds into d_L3[:4] (a list slice) an array: NumPy's
    # addition, which the hvp took for list concatenation (seed 8481: crash)
    x = np.array([-0.257877, 0.691405, -0.327009, -0.58722])
    assert_sound(f, (x,), 0)


def view_of_updated_view_written(u):
    a2 = np.linspace(1.0, 4)
    b4 = a2[:]
    b4 -= 0.5
    b5 = b4[:]
    b5 *= u[1]
    return np.sum(a2)


def view_of_updated_view_written_active(u):
    a2 = np.linspace(1.0, 4) * u[0]
    b4 = a2[:]
    b4 -= 0.5
    b5 = b4[:]
    b5 *= u[1]
    return np.sum(a2)


@pytest.mark.parametrize("f", [view_of_updated_view_written,
                               view_of_updated_view_written_active])
def test_view_of_updated_view_written(f):
    # b4 -= 0.5 keeps b4 a view of a2, so b5 = b4[:] is a view of a view;
    # the write b5 *= ... went into b4 only, a2's derivative was lost
    # (seed 10844: grad and jvp wrong).  Refused, as b5 = a2[:][:] is.
    assert_sound(f, (np.array([-0.430617, 0.775745, 0.130132]),), 0, expect="refused")


def dict_comprehension_get_default(M, y):
    D5 = {0.5: M for k_, v_ in (('b', 0.5),)}
    y = np.tanh(D5.get('a', 0.5))
    return y


def dict_get_default(M, y):
    D5 = {0.5: M, 'b': np.sin(M)}
    return np.tanh(D5.get('a', 0.5)) + np.sum(D5.get('b', M))


@pytest.mark.parametrize("f", [dict_comprehension_get_default, dict_get_default])
def test_hvp_copies_dict_adjoint(f):
    # the gradient copies the dict adjoint (d_D5.copy()); its tangent was
    # np.copy(t_d_D5), a 0-d object array (seed 11226, 9805: hvp crash)
    M = np.array([[-0.652223, -0.980116, -0.831201, -0.946119],
                  [-0.301074, -0.216715, -0.08866, 0.139072],
                  [-0.506084, 0.453179, -0.310885, -0.622299]])
    assert_sound(f, (M, 0.870748), 0)


def list_comprehension_into_dict(x):
    L4 = [e for e in x]
    D5 = dict(a=L4[1], b=np.tanh(L4[1]))
    return sum(D5.values())


def list_comprehension_sorted(x, y):
    L3 = [e for e in x]
    y = np.tanh(sum(sorted(L3)))
    return y


def copy_of_list_to_array(x):
    L = [np.sin(e) for e in x]
    return np.sum(np.copy(L) * x)


@pytest.mark.parametrize("f, args", [
    (list_comprehension_into_dict, (np.array([0.988448, -0.716726, 0.378147, 0.331067]),)),
    (list_comprehension_sorted, (np.array([0.281967, -0.948793, 0.774217, -0.691521]),
                                 -0.402217)),
    (copy_of_list_to_array, (np.array([0.281967, -0.948793, 0.774217, -0.691521]),)),
])
def test_hvp_copies_list_adjoint(f, args):
    # a list adjoint written in place later (d_L.pop()) had its tangent
    # copied with np.copy: an array, which has no pop (seeds 13247, 4490)
    assert_sound(f, args, 0)
