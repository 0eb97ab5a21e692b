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
* A list or tuple given to an elementwise rule (``np.divide(C, [x, y])``,
  ``np.arctan2([x, y], C)``) crashed in the generated code: the rule's
  template multiplied the Python list (``TypeError: can't multiply sequence``).
  Templates now read such an argument as ``np.asarray(name)``, as NumPy does.
"""

import numpy as np
import pytest
import scipy.linalg

import srcgrad

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


# --- an array read out of a list after the list's element was rebound ----------------
# The Hessian through a helper with several results (``eigh_da``, ``cho_factor_da``)
# differentiates the generated gradient, which does ``d_out = zeros_like(out);
# d_out[0] += ...; eigh_da(d_out, ...)``, and the source of eigh_da reads
# ``gw, gv = g``.  The view analysis made ``gw = d_out[0]`` a "view read again"
# candidate (``d_out`` is written), and ``is_view`` refused every array read out of a
# list.  ``d_out[0] = e`` rebinds the list's element: ``gw`` is no view of anything
# unless an array held in the list is written into (through another name), which the
# analysis now tells ``is_view``; then it still refuses.

def list_element_rebound_then_read(x):
    lst = [x * 1.0, x * 2.0]
    lst[0] = lst[0] + x
    v = lst[0]
    return np.sum(v ** 3) + np.sum(lst[1] * v)


def list_element_read_written_through_other_name(x):
    a = x * 1.0
    lst = [a, x * 2.0]
    lst[1] = x * 3.0
    v = lst[0]
    r = lst[0]
    r[1] = 5.0 * x[0]
    return np.sum(v ** 2) + np.sum(lst[0] * x)


def eigh_values_cubed(s):
    return np.sum(np.linalg.eigh(s)[0] ** 3)


def eigh_vectors_used(s):
    w, v = np.linalg.eigh(s)
    return np.sum(w * X[:3]) + np.sum(v[:, 0] ** 2 * X[:3]) + np.sum(v[1] ** 3)


def cho_factor_unpacked(k):
    L, lower = scipy.linalg.cho_factor(k)
    return np.sum(np.tril(L) ** 3)


def qr_both_used(m):
    q, r = np.linalg.qr(m)
    return np.sum(r ** 2) + np.sum(q ** 3)


_SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, -0.7], [0.5, -0.7, 2.0]])


def test_list_element_rebound_then_read_is_exact():
    assert_sound(list_element_rebound_then_read, (X,), modes=("grad", "jvp", "hvp"))


def test_array_of_a_list_written_through_another_name_is_still_refused():
    assert_sound(list_element_read_written_through_other_name, (X,), modes=("grad", "jvp"),
                 expect="refused")


@pytest.mark.parametrize("f, x", [(eigh_values_cubed, _SPD), (eigh_vectors_used, _SPD),
                                  (cho_factor_unpacked, _SPD),
                                  (qr_both_used, np.arange(1.0, 7.0).reshape(3, 2) ** 0.5)],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_hessian_through_helpers_with_several_results(f, x):
    assert_sound(f, (x,), modes=("grad", "jvp", "hvp"))


# --- items of a tuple or list read with integer indices have their own shapes --------
# The shape analysis took ``x[0]`` and ``x[1]`` (reads with an integer) for one shape,
# which is right for an array but not for the results of ``np.linalg.eigh``,
# ``np.linalg.svd``, ``np.split`` or a tuple argument: the adjoint of ``w`` in
# ``v * w`` was not reduced (``d_values[0] += d_w`` crashed, shape (3,) against (3, 3)).
# Only reads of an array certainly made by an elementwise (or reduction) primitive
# are now taken to have one shape.

def tuple_argument_items(p):
    a = p[0]
    b = p[1]
    return np.sum(a * b)


def eigh_items_broadcast(s):
    r = np.linalg.eigh(s)
    return np.sum(r[0] * r[1] ** 3)


def eigh_reconstruct(s):
    w, v = np.linalg.eigh(s)
    b = (v * w) @ v.T
    return np.sum(b ** 2 * _SPD)


def split_items(x):
    parts = np.split(x, [1])
    a = parts[0]
    b = parts[1]
    return np.sum(a * b)


def test_items_of_a_tuple_argument_keep_their_shapes():
    p = (np.array([1.0, 2.0, 3.0]), np.arange(6.0).reshape(2, 3))
    import srcgrad
    da, db = srcgrad.grad(tuple_argument_items)(p)
    np.testing.assert_allclose(da, p[1].sum(axis=0))
    np.testing.assert_allclose(db, np.broadcast_to(p[0], (2, 3)))


@pytest.mark.parametrize("f, x", [(eigh_items_broadcast, _SPD), (eigh_reconstruct, _SPD),
                                  (split_items, X)], ids=lambda v: getattr(v, "__name__", ""))
def test_items_of_several_results_keep_their_shapes(f, x):
    assert_sound(f, (x,), modes=("grad", "jvp", "hvp"))


# -- lists given to elementwise rules (crashed: a template's x * x saw a Python list) ----

C32 = np.array([[0.5, -0.2], [0.1, 0.3], [0.7, 0.2]])


def list_tanh(x, y):
    return np.sum(np.tanh([x, y]) * C32)


def list_logaddexp(x, y):
    return np.sum(np.logaddexp([x, y], C32))


def list_arctan2(x, y):
    return np.sum(np.arctan2([x, y], C32))


def list_hypot(x, y):
    return np.sum(np.hypot([x, y], C32) * C32)


def list_divide(x, y):
    return np.sum(np.divide(C32, [x, y]))


def list_multiply_column(x, y):
    return np.sum(np.multiply([x, y], [[1.0], [2.0], [3.0]]) ** 2)


def tuple_power(x, y):
    return np.sum(np.power((x, y), C32 + 1.0))


@pytest.mark.parametrize("f", [list_tanh, list_logaddexp, list_arctan2, list_hypot, list_divide,
                               list_multiply_column, tuple_power],
                         ids=lambda f: f.__name__)
def test_lists_given_to_elementwise_rules(f):
    assert_sound(f, (0.3, 0.6), wrt=(0, 1))


# -- ``lst[k] op= e`` on a list or dict of arrays ------------------------------------

def list_element_augmented(x):
    a = x * 1.0
    lst = [a, x * 2.0]
    lst[0] += x                 # Python: a.__iadd__(x), so a changes too
    return np.sum(a ** 2)


def list_element_augmented_fresh(x):
    lst = [x * 1.0, x * 2.0]
    lst[0] += x                 # nobody else holds lst[0]: exact as lst[0] = lst[0] + x
    lst[1] *= x
    return np.sum(lst[0] ** 2) + np.sum(lst[1])


def list_element_augmented_dead_name(x):
    a = x * 1.0
    lst = [a, x * 2.0]
    lst[0] += x
    a = x * 3.0                 # the old a is no longer read
    return np.sum(a) + np.sum(lst[0] ** 2)


def list_element_augmented_twice(x):
    a = x * 1.0
    lst = [a, a]
    lst[0] += x                 # lst[1] is the same array
    return np.sum(lst[1] ** 2)


def list_element_augmented_appended(x):
    a = x * 1.0
    lst = []
    lst.append(a)
    lst.append(x * 2.0)
    for i in range(2):
        lst[i] += x
    return np.sum(a * lst[1])


def dict_element_augmented(x):
    a = np.sin(x)
    d = {"u": a, "v": x}
    d["u"] *= 2.0
    return np.sum(a) + np.sum(d["u"])


def list_element_read_out_augmented(x):
    lst = [x * 1.0, x * 2.0]
    b = lst[0]
    lst[0] += x                 # b is the same array
    return np.sum(b ** 2)


def list_of_numbers_augmented(x):
    z = 0.0
    acc = [z, z]
    for i in range(3):
        acc[0] += x[i]
        acc[1] += x[i] ** 2
    return acc[0] * acc[1]


def array_element_augmented(x):
    m = np.outer(x, x)
    row = m[1] * 1.0
    m[1] += x                   # an array: written back, as Python does
    return np.sum(m ** 2) + np.sum(row)


@pytest.mark.parametrize("f", [list_element_augmented, list_element_augmented_twice,
                               list_element_augmented_appended, dict_element_augmented,
                               list_element_read_out_augmented])
def test_list_element_augmented_on_a_shared_array_is_refused(f):
    with pytest.raises(srcgrad.SrcgradError, match="in place"):
        srcgrad.grad(f)(X)
    assert_sound(f, (X,), wrt=0, expect="ok-or-refused")


@pytest.mark.parametrize("f", [list_element_augmented_fresh, list_element_augmented_dead_name,
                               list_of_numbers_augmented, array_element_augmented])
def test_list_element_augmented_with_no_other_holder_is_exact(f):
    assert_sound(f, (X,), wrt=0, modes=("grad", "jvp"), expect="ok")
    assert_sound(f, (X,), wrt=0, expect="ok-or-refused")   # hvp may refuse the tape's view


# numbers are immutable: ``d[k] op= v`` on a float another name holds is exact (checked when
# the code runs: the element is not an array)

def dict_of_floats_augmented(x):
    y = x[0] * 1.0
    d = {"a": y, "b": 2.0}
    d["a"] += y * y
    d["b"] *= x[1]
    return d["a"] + y + d["b"]


def list_of_floats_augmented_twice(x):
    s = x[0] * 2.0
    acc = [s, s]
    acc[0] += x[1]
    return acc[0] * acc[1] + s


def dict_of_shared_arrays_at_run_time(x):
    y = x * 1.0
    d = {"a": y, "b": 2.0}
    d["a"] += x                 # y is an array: d["a"] is y, changed in place
    return np.sum(d["a"] * y)


@pytest.mark.parametrize("f", [dict_of_floats_augmented, list_of_floats_augmented_twice])
def test_augmented_element_holding_a_number_is_exact(f):
    assert_sound(f, (X,), wrt=0, modes=("grad", "jvp"), expect="ok")
    # hvp may refuse srcgrad's own dict helpers (restore_item's ``del``)
    assert_sound(f, (X,), wrt=0, expect="ok-or-refused")


def test_augmented_element_holding_a_shared_array_is_refused_when_it_runs():
    with pytest.raises(srcgrad.SrcgradError, match="holds the same array"):
        srcgrad.grad(dict_of_shared_arrays_at_run_time)(X)
    assert_sound(dict_of_shared_arrays_at_run_time, (X,), wrt=0, expect="refused")
