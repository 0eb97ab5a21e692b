"""List and tuple repetition, ``[x] * n`` (eighteenth session, found by hand).

Before, ``[x] * 2`` of a list display was taken for NumPy's product (the
list read as an array, times 2): every mode was silently wrong (the
gradient of ``sum([x] * 2)[0] * x`` was 3x for 2x) or crashed.  Now a
list or tuple that srcgrad knows (a display, ``list(...)``, a
comprehension, a name bound to one) times a count is a repetition: its
adjoint adds the adjoints of the copies (``runtime.seq_repeat_dx``), its
tangent repeats the tangents.  A known list times a value that turns out
not to be an int (NumPy's product of a list and an array) is refused when
it runs.  A value srcgrad cannot tell is a list (a parameter, a value read
out of a dict) and that is repeated or concatenated is refused when the
lengths of its adjoint and its value disagree, never summed or cut short
(``runtime.check_length`` in ``add_item``, ``restructure`` and
``broadcast_like``)."""

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound

A = np.arange(16.0).reshape(4, 4) / 10
X = np.array([0.7, 0.5, 0.2, -0.4])


def display_times_two(x):
    L = [x] * 2
    return np.sum(L[0] * x)          # the gradient was 3x, not 2x


def three_copies(x):
    L = [x] * 3
    return np.sum(L[0] * L[2])


def count_first(x):
    L = 2 * [x]
    return np.sum(L[1] ** 2)


def numbers_repeated(x):
    L = [x[0], x[1]] * 2
    return L[3] * L[0]


def tuple_repeated(x):
    t = (x,) * 2
    return np.sum(t[1] * x)


def loop_over_copies(x):
    L = [x] * 2
    s = 0.0
    for e in L:
        s = s + np.sum(e)
    return s


def name_repeated(x):
    L = [x]
    L = L * 3
    return np.sum(np.stack(L) ** 2)


def into_an_array(x):
    L = [x[0]] * 4
    return np.sum(np.array(L) * x)


def zeros_then_filled(x):
    ys = [0.0] * 4
    for i in range(4):
        ys[i] = x[i] ** 2
    return sum(ys)


def count_argument(x, n=3):
    L = [x] * n
    return np.sum(np.stack(L) * np.arange(3.0)[:, None] * x)


def augmented(x):
    L = [x]
    L *= 3
    return np.sum(L[2] * L[0])


def nested(x):
    L = [[x] * 2] * 2
    return np.sum(L[1][0] * x)


def unpacked(x):
    a, b, c = (x[0],) * 3
    return a * b * c


def element_written(x):
    L = [x[0], x[1]] * 2
    L[1] = x[3]
    return L[0] * L[1] * L[3]


def count_from_len(x):
    m = len(x) // 2
    L = [np.sin(x)] * m
    return np.sum(sum(L) * x)


def of_list_call(x):
    L = list(x) * 2
    return L[0] * L[5] + L[4]


def none_then_more(x):
    L = [x] * 0 + [x * 2]
    return np.sum(L[0])


def copy_written(x):
    L = [x] * 2
    L[0] = L[0] * 3.0
    return np.sum(L[0] * L[1])


REPEATED = [display_times_two, three_copies, count_first, numbers_repeated, tuple_repeated,
            loop_over_copies, name_repeated, into_an_array, zeros_then_filled,
            count_argument, augmented, nested, unpacked, element_written, count_from_len,
            of_list_call, none_then_more, copy_written]


@pytest.mark.parametrize("f", REPEATED)
def test_repetition_every_mode(f):
    assert_sound(f, (X,))


def test_the_gradient_of_a_repetition():
    assert np.allclose(srcgrad.grad(display_times_two)(X), 2 * X)
    assert np.allclose(srcgrad.grad(three_copies)(X), 2 * X)


def display_times_array(x):
    w = [0.5, 0.25, 1.0, 2.0] * x        # NumPy's product: refused, not repeated
    return np.sum(w ** 2)


def array_times_display(x):
    w = x * [0.5, 0.25, 1.0, 2.0]
    return np.sum(w ** 2)


@pytest.mark.parametrize("f", [display_times_array, array_times_display])
def test_a_known_list_times_an_array_is_refused(f):
    assert_sound(f, (X,), expect="refused")


def dict_value_repeated(x):
    d = {"a": [x[0], x[1]]}
    v = d["a"]                           # a list srcgrad does not know is one
    w = v * 2
    return w[0] * w[3]


def dict_values_concatenated(x):
    d = {"a": [x[0], x[1]]}
    w = d["a"] + d["a"]
    return w[0] * w[3]


@pytest.mark.parametrize("f", [dict_value_repeated, dict_values_concatenated])
def test_an_unknown_list_repeated_is_refused_not_wrong(f):
    assert_sound(f, (X,), expect="ok-or-refused")


def test_a_list_argument_repeated_is_refused_not_wrong():
    def f(x, L):
        M = L * 2
        return M[0] * M[3] * x[0]
    # (the gradient with respect to L was [0.84, 0.0] for [0.42, 0.21])
    with pytest.raises(srcgrad.UnsupportedError, match="lengths 2 and 4"):
        srcgrad.grad(f, wrt=1)(X, [0.3, 0.6])


def slice_written(x):
    L = [x, x * 2]
    L[0:1] = [np.ones(4)]                # the reverse zeroed the slice with 0.0: a crash
    return np.sum(np.dot(A, L[0]) * x) + np.sum(L[1])


def slice_written_at_the_end(x):
    L = [x, x * 2, x * 3]
    L[1:] = [np.ones(4), x]
    return np.sum(np.dot(A, L[1]) * L[2] * L[0])


def stepped_slice_written(x):
    L = [x[0], x[1], x[2]]
    L[::2] = [1.0, x[3]]
    return L[0] * L[1] * L[2]


@pytest.mark.parametrize("f", [slice_written, slice_written_at_the_end, stepped_slice_written])
def test_a_slice_of_a_list_written(f):
    assert_sound(f, (X,))


# Fuzz seed 3720258 (the same session, on the grammar that makes lists by
# repetition): a name bound to a repetition was not known as a list, so a
# slice written into it was zeroed in the reverse as an array's (0.0 into a
# list's slice: a crash).  container_kinds now knows [x] * n is a list.

def repeated_then_slice_written(x, y):
    L1 = [np.linalg.norm(x[1:] ** 2)] * 3
    L1[0:1] = [x[0] * y + L1[1] * 0.25]
    return sum(L1) * 0.73


def test_a_slice_written_into_a_repeated_list():
    assert_sound(repeated_then_slice_written, (X, -1.0), wrt=1)
    assert_sound(repeated_then_slice_written, (X, -1.0), wrt=0)


# Found reviewing the change: 'L[0] += e' changes the array at L[0] in place,
# and the check that no other slot or name holds it (aliasing.check_element,
# element_unshared when the code runs) did not know which values list(t),
# a + b and a * n hold: it compared the rules' names with "list" and
# "concat", which the container rules are not called ("container list").
# The gradient was that of a program where L[1] did not change.  Now
# analysis/holders.py puts the elements of t, a, b into the new list, twice
# for a repetition.

def repeated_array_changed_in_place(x):
    L = [x * 1.0] * 2
    L[0] += x                            # L[1] is the same array: it changes too
    return np.sum(L[1] * x)


def concatenated_twice_changed_in_place(x):
    a = x * 1.0
    L = [a] + [a]
    L[0] += x
    return np.sum(L[1] * x)


def copied_list_changed_in_place(x):
    a = x * 1.0
    L = list((a, a))
    L[0] += x
    return np.sum(L[1] * x)


def concatenated_name_still_used(x):
    a = x * 1.0
    L = [a] + [x * 2.0]
    L[0] += x                            # a changes too
    return np.sum(L[1] * x) + np.sum(a * x)


@pytest.mark.parametrize("f", [repeated_array_changed_in_place,
                               concatenated_twice_changed_in_place,
                               copied_list_changed_in_place, concatenated_name_still_used])
def test_an_array_held_twice_and_changed_in_place_is_refused(f):
    assert_sound(f, (X,), expect="refused")


def distinct_arrays_concatenated(x):
    L = [x * 1.0, x * 2.0] + [x * 3.0]
    L[0] += x
    return np.sum(L[0] * L[2])


def repeated_numbers_changed(x):
    L = [0.0] * 3
    L[0] += x[0]
    L[2] += x[1] * L[0]
    return L[0] * L[2]


@pytest.mark.parametrize("f", [distinct_arrays_concatenated, repeated_numbers_changed])
def test_unshared_elements_changed_in_place(f):
    assert_sound(f, (X,))
