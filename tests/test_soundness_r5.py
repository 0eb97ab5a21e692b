"""Wide-fuzzer findings, round 5 (the 50,000-program run from seed 150000).

* ``x = x[[3, 0, 2, 1]]; b2 = x[1:]; x[-1] = y; return np.sum(b2)``: the
  view analysis took ``x[index]`` with a list index for a possible view of the
  argument, made it a "view read again" candidate, and then dropped ``b2``
  (a view of a candidate); neither was checked, and the write through ``x``
  was lost for ``b2`` (fuzz seed 169914: wrong grad and jvp, no error).
  Indexing with a list is a copy, so ``x[[...]]`` is never a view candidate;
  and when a view of a candidate is dropped, the candidate goes too, so the
  ordinary checks see the whole family (a refusal where exactness is not
  possible, never a silent loss).  With an index array or a mask
  (``z = x[idx]``, a copy the analysis cannot tell from a view), ``z`` stays a
  guarded candidate, and the views made from it are now checked by the
  ordinary aliasing checks instead of being skipped with it (wrong before:
  ``grad`` 0.0 instead of 1.0; now refused when the code runs).
"""

import numpy as np
import pytest

from tests.modes import assert_sound

X = np.array([0.101132, -0.59274, -0.28247, 0.952154])


def list_index_rebinds_argument(y, x):
    x = x[[3, 0, 2, 1]]
    b2 = x[1:]
    x[-1] = y
    return np.sum(b2)


def list_index_new_name(y, x):
    z = x[[3, 0, 2, 1]]
    b2 = z[1:]
    z[-1] = y
    return np.sum(b2 * b2) + np.sum(z)


def list_index_two_dims(y, m):
    z = m[[1, 0], 1:]
    row = z[0]
    z[0, 1] = y * y
    return np.sum(np.sin(row)) + np.sum(z)


def view_of_a_view_written(y, x):
    z = x * 1.0
    v = z[1:]
    w = v[1:]
    z[-1] = y
    return np.sum(w * w) + np.sum(v)


def index_array_copy(y, x):
    idx = np.array([3, 0, 2, 1])
    z = x[idx]
    b2 = z[1:]
    z[-1] = y
    return np.sum(b2)


def mask_copy(y, x):
    z = x[x > 0.0]
    b2 = z[1:]
    z[-1] = y
    return np.sum(b2)


@pytest.mark.parametrize("f", [index_array_copy, mask_copy])
def test_view_of_an_indexed_copy_is_right_or_refused(f):
    assert_sound(f, (0.28, X), wrt=(0, 1), expect="ok-or-refused")


@pytest.mark.parametrize("f, args", [
    (list_index_rebinds_argument, (0.28, X)),
    (list_index_new_name, (0.28, X)),
    (list_index_two_dims, (0.28, np.arange(6.0).reshape(2, 3) / 7.0)),
], ids=lambda v: getattr(v, "__name__", None))
def test_list_index_is_a_copy(f, args):
    assert_sound(f, args, wrt=(0, 1))


def test_view_of_a_view_is_right_or_refused():
    assert_sound(view_of_a_view_written, (0.28, X), wrt=(0, 1), expect="ok-or-refused")
