"""Soundness of loops (issue #10): ``for`` headers over arrays, lists,
``enumerate``, ``zip``, ``reversed``, ``list(...)``, ``sorted(...)``, tuples
of values and dict views are read as Python reads them, or refused; loop
variables that become active inside the loop; and the arguments of the
generated ``jvp``/``vjp``/``hvp`` of functions with defaults.

Every program is checked with ``tests.modes.assert_sound`` (gradient, jvp
and hvp against finite differences).  Where the hvp is ``"ok-or-refused"``,
the generated gradient calls a runtime helper (``restructure`` for a
parameter iterated like a list, ``add_item``/``save_item`` for lists and
dicts) that has no tangent rule yet: a clear refusal, never a wrong number.
"""

import inspect

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import UnsupportedError

from tests import soundness_programs as sp
from tests.modes import assert_sound

X = np.array([0.5, -0.3, 0.8, 0.2])
Y = 0.7
M = np.arange(12.).reshape(3, 4) / 10


def sound(f, args, wrt=0, hvp="ok"):
    """grad and jvp right; hvp right (or, with ``hvp="ok-or-refused"``, a
    clear refusal)."""
    assert_sound(f, args, wrt, modes=("grad", "jvp"))
    assert_sound(f, args, wrt, modes=("hvp",), expect=hvp)


def summed(f):
    def total(x, y):
        return np.sum(f(x, y))
    total.__name__ = f"sum_of_{f.__name__}"
    return total


def refused(f, args, match):
    for mode in (srcgrad.grad, srcgrad.jvp):
        with pytest.raises(UnsupportedError, match=match):
            mode(f)(*args) if mode is srcgrad.grad else mode(f)(*args, *args[:1])


# -- the cases of the issue ------------------------------------------------------

def test_rebind_iterated():
    # Python iterates the original x: the gradient is [1, 1, 1, 1], not [1, 2, 4, 8]
    assert np.allclose(srcgrad.grad(sp.rebind_iterated)(X), 1.0)
    sound(sp.rebind_iterated, (X,), hvp="ok-or-refused")


def test_enumerate_zip_scale():
    sound(sp.enumerate_zip_scale, (X, Y), (0, 1), hvp="ok-or-refused")


def test_enumerate_zip_nested():
    sound(sp.enumerate_zip_nested, (X, X[::-1] * 2.0), (0, 1), hvp="ok-or-refused")


def test_for_var_changed_in_while():
    sound(sp.for_var_changed_in_while, (0.3, Y), (0, 1))
    sound(summed(sp.for_var_changed_in_while), (np.array([0.3, -0.4]), Y), (0, 1))


def test_enumerate_sorted_dict():
    d = {'b': np.array([0.5, -0.3, 0.8]), 'a': np.array([0.1, 0.2])}
    sound(sp.enumerate_sorted_dict, (0.4, d), 0)
    # with respect to the dict: the gradient is a dict of arrays
    gA, gd = srcgrad.grad(sp.enumerate_sorted_dict, wrt=(0, 1))(0.4, d)
    assert isinstance(gd, dict) and gd.keys() == d.keys()
    expect = {'a': np.cos(d['a']) * 1.0, 'b': np.cos(d['b']) * 2.0}   # sorted: a first
    for k in d:
        assert np.allclose(gd[k], expect[k])
    assert gA == 1.0
    t = {'b': np.array([0.3, 0.1, -0.2]), 'a': np.array([1.0, -0.5])}
    value, tangent = srcgrad.jvp(sp.enumerate_sorted_dict, wrt=1)(0.4, d, t)
    assert np.isclose(value, sp.enumerate_sorted_dict(0.4, d))
    assert np.isclose(tangent, sum(np.sum(expect[k] * t[k]) for k in d))


def dict_items(A, d):
    for k, v in d.items():
        A = A * np.sum(np.cos(v))
    for i, v in enumerate(d.values()):
        A = A * (1.0 + i * np.sum(v))
    for k in d.keys():
        A = A + np.sum(d[k] ** 2)
    return A


def test_loops_over_dict_views_wrt_the_dict():
    d = {'b': np.array([0.5, -0.3, 0.8]), 'a': np.array([0.1, 0.2])}
    g = srcgrad.grad(dict_items, wrt=1)(0.4, d)
    h = 1e-6
    for k in d:
        for j in range(d[k].size):
            up = {kk: v.copy() for kk, v in d.items()}
            down = {kk: v.copy() for kk, v in d.items()}
            up[k][j] += h
            down[k][j] -= h
            fd = (dict_items(0.4, up) - dict_items(0.4, down)) / (2 * h)
            assert np.isclose(g[k][j], fd, rtol=1e-6, atol=1e-8)


def dict_parameter_keys(A, d):
    s = A
    for k in d:
        s = s * k
    return s


def dict_parameter_enumerate(A, d):
    s = A
    for i, k in enumerate(d):
        s = s * (k + i)
    return s


def _times_keys(xs, s):
    for k in xs:
        s = s * k
    return s


def dict_parameter_to_helper(A, d):
    return _times_keys(d, A)


@pytest.mark.parametrize("f", [dict_parameter_keys, dict_parameter_enumerate,
                               dict_parameter_to_helper])
def test_iterating_a_dict_parameter_without_evidence_is_refused(f):
    # nothing shows d is a dict: the loop reads d[0], d[1] ..., which for this
    # dict are values, not keys -- the generated code checks and refuses
    d = {1: 2.0, 0: 3.0}
    for make in (srcgrad.grad, srcgrad.value_and_grad):
        with pytest.raises(UnsupportedError, match="'d' is a dict"):
            make(f)(0.5, d)
    with pytest.raises(UnsupportedError, match="'d' is a dict"):
        srcgrad.jvp(f)(0.5, d, 1.0)
    # a list is iterated as before
    assert np.isclose(srcgrad.grad(f)(0.5, [2.0, 3.0]), f(1.0, [2.0, 3.0]))


# -- the iterable is evaluated once, before the loop ------------------------------

def range_rebind(x, y):
    n = 3
    for i in range(n):
        n = n - 1
        y = y * x
    return y


def rebind_nested(x):
    s = 0.0
    for e in x:
        for j in range(2):
            x = x * 1.5
            s = s + e * np.sum(x)
    return s


def rebind_inner_iter(x):
    s = 0.0
    for k in range(2):
        for e in x:
            x = x * 1.5
            s = s + e
    return s


def target_is_iterable(x):
    s = 0.0
    for x in x:
        s = s + x * x
    return s


def zip_swapped_targets(x, y):
    s = 0.0
    for x, y in zip(y, x):
        s = s + x * np.sin(y)
    return s


def rows_rebind(M):
    s = 0.0
    for r in M:
        M = M * 0.5
        s = s + np.sum(r * M[0])
    return s


def tuple_of_values(x, y):
    s = 0.0
    for i, e in enumerate((x, y)):
        s = s + (i + 1) * np.sum(e)
        x = x * 2.0
    return s


@pytest.mark.parametrize("f,args,wrt,hvp", [
    (range_rebind, (Y, 0.3), (0, 1), "ok"),
    (rebind_nested, (X,), 0, "ok-or-refused"),
    (rebind_inner_iter, (X,), 0, "ok-or-refused"),
    (target_is_iterable, (X,), 0, "ok-or-refused"),
    (zip_swapped_targets, (X, X * 2.0), (0, 1), "ok-or-refused"),
    (rows_rebind, (M,), 0, "ok-or-refused"),
    (tuple_of_values, (X, X[:2]), (0, 1), "ok"),
], ids=lambda v: getattr(v, "__name__", None))
def test_iterable_evaluated_once(f, args, wrt, hvp):
    sound(f, args, wrt, hvp)


# -- writes into the iterated array: later items see them, as in Python -----------

def write_iterated(x):
    x = x * 1.0
    s = 0.0
    for e in x:
        x[0] = x[0] + e * x[1]
        s = s + e * e
    return s


def write_iterated_reversed(x):
    x = x * 1.0
    s = 0.0
    for e in reversed(x):
        x[0] = x[0] * e
        s = s + e
    return s + np.sum(x)


def write_later_row(M):
    M = M * 1.0
    s = 0.0
    for k in range(len(M) - 1):
        M[k + 1] = M[k + 1] + M[k] * 0.5
    for r in M:
        s = s + np.sum(r * r)
    return s


def write_list_iterated(x):
    xs = [x[0], x[1], x[2]]
    s = 0.0
    for e in xs:
        xs[2] = xs[2] * e
        s = s + e
    return s


def write_next_item(x):
    xs = [x[0], x[1], x[2]]
    s = 0.0
    for i, e in enumerate(xs):
        if i + 1 < len(xs):
            xs[i + 1] = xs[i + 1] + e
        s = s + e * e
    return s


def write_zipped(x, y):
    x = x * 1.0
    s = 0.0
    for a, b in zip(x, y):
        x[3] = x[3] + a * b
        s = s + a
    return s + x[3]


def test_writes_into_zipped_array():
    sound(write_zipped, (X, X * 2.0), (0, 1), "ok-or-refused")


@pytest.mark.parametrize("f,args,hvp", [
    (write_list_iterated, (X,), "ok-or-refused"),
    (write_next_item, (X,), "ok-or-refused"),
    (write_iterated, (X,), "ok"),
    (write_iterated_reversed, (X,), "ok"),
    (write_later_row, (M,), "ok-or-refused"),
], ids=lambda v: getattr(v, "__name__", None))
def test_writes_into_the_iterated_array(f, args, hvp):
    sound(f, args, 0, hvp)


# -- enumerate, zip, reversed, list(...) and nested or starred targets -------------

def star_nested(x, y):
    s = 0.0
    for i, (a, *rest) in enumerate(zip(x, y, x * y)):
        s = s + (i + 1) * a * rest[0] + np.sin(rest[1])
    return s


def enumerate_tuple_target(x):
    s = 0.0
    for t in enumerate(x):
        s = s + t[0] * t[1]
    return s


def enumerate_start_keyword(x):
    s = 0.0
    for i, e in enumerate(x, start=1):
        s = s + i * e
    return s


def enumerate_start_positional(x):
    s = 0.0
    for i, e in enumerate(x, 2):
        s = s + i * e * e
    return s


def zip_unequal(x, y):
    s = 0.0
    for a, b in zip(x, y[:2]):
        s = s + a * b
    return s


def zip_strict(x, y):
    s = 0.0
    for a, b in zip(x, y, strict=True):
        s = s + a * b
    return s


def zip_three(x, y):
    s = 0.0
    for a, b, c in zip(x, y, x[1:]):
        s = s + a * b * c
    return s


def reversed_array(x):
    s = 0.0
    for e in reversed(x):
        s = s * 0.5 + e
    return s


def reversed_range(x):
    s = 0.0
    for i in reversed(range(4)):
        s = s * 0.5 + x[i]
    for i in reversed(range(1, 4)):
        s = s * 0.5 + x[i] * i
    for i in reversed(range(0, 4, 2)):
        s = s * 0.5 + x[i] * i
    return s


def reversed_list_enumerate(x):
    s = 0.0
    for i, e in reversed(list(enumerate(x))):
        s = s * 0.5 + (i + 1) * e
    return s


def list_enumerate(x):
    s = 0.0
    for i, e in list(enumerate(x)):
        s = s + (i + 1) * e
    return s


def list_zip(x):
    s = 0.0
    for a, b in list(zip(x, x)):
        s = s + a * b
    return s


def zip_list_and_array(x):
    xs = [x[0] * 2.0, x[1], x[2]]
    s = 0.0
    for a, b in zip(xs, x):
        s = s + a * b
    return s


def enumerate_built_list(x):
    ys = []
    for e in x:
        ys.append(e * e)
    s = 0.0
    for i, y in enumerate(ys):
        s = s + (i + 1.0) * y
    return s


def zip_list_of_arrays_reversed(x):
    ys = [x, x * 2.0]
    s = 0.0
    for i, (a, b) in enumerate(zip(ys, reversed(ys))):
        s = s + np.sum(a * b) * (i + 1)
    return s


def zip_range(x):
    s = 0.0
    for k, e in zip(range(1, 10), x):
        s = s + k * e
    return s


def enumerate_items(x, y):
    d = {'a': x, 'b': y}
    s = 0.0
    for i, (k, v) in enumerate(d.items()):
        s = s + np.sum(v) * (i + 1)
    return s


def rows(M):
    s = 0.0
    for r in M:
        s = s + np.sum(r * r)
    for a, b, c, d in M:
        s = s + a * d - b * c
    return s


def enumerate_rows(M):
    s = 0.0
    for i, (r, w) in enumerate(zip(M, M[::-1])):
        s = s + (i + 1) * np.sum(r * w)
    return s


def break_in_enumerate_zip(x):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, x[1:])):
        if a * b < -0.2:
            break
        s = s + a * b
    else:
        s = s * 2.0
    return s


@pytest.mark.parametrize("f,args,wrt,hvp", [
    (star_nested, (X, X * 2.0), (0, 1), "ok"),
    (enumerate_tuple_target, (X,), 0, "ok-or-refused"),
    (enumerate_start_keyword, (X,), 0, "ok-or-refused"),
    (enumerate_start_positional, (X,), 0, "ok-or-refused"),
    (zip_unequal, (X, X * 2.0), (0, 1), "ok-or-refused"),
    (zip_strict, (X, X * 2.0), (0, 1), "ok-or-refused"),
    (zip_three, (X, X * 2.0), (0, 1), "ok-or-refused"),
    (reversed_array, (X,), 0, "ok-or-refused"),
    (reversed_range, (X,), 0, "ok"),
    (sp.reversed_list_enumerate, (X,), 0, "ok-or-refused"),
    (reversed_list_enumerate, (X,), 0, "ok-or-refused"),
    (list_enumerate, (X,), 0, "ok-or-refused"),
    (list_zip, (X,), 0, "ok-or-refused"),
    (sp.list_enumerate, (X,), 0, "ok-or-refused"),
    (sp.list_zip, (X,), 0, "ok-or-refused"),
    (zip_list_and_array, (X,), 0, "ok-or-refused"),
    (enumerate_built_list, (X,), 0, "ok-or-refused"),
    (zip_list_of_arrays_reversed, (X,), 0, "ok"),
    (zip_range, (X,), 0, "ok-or-refused"),
    (enumerate_items, (X, X * 2.0), (0, 1), "ok-or-refused"),
    (rows, (M,), 0, "ok-or-refused"),
    (enumerate_rows, (M,), 0, "ok-or-refused"),
    (break_in_enumerate_zip, (X,), 0, "ok-or-refused"),
], ids=lambda v: getattr(v, "__name__", None))
def test_iteration_forms(f, args, wrt, hvp):
    sound(f, args, wrt, hvp)


def test_zip_strict_raises_as_python_does():
    with pytest.raises(ValueError, match="different lengths"):
        srcgrad.grad(zip_strict)(X, X[:3])
    with pytest.raises(ValueError):
        zip_strict(X, X[:3])


def test_zip_stops_at_the_shortest():
    g = srcgrad.grad(zip_unequal, wrt=(0, 1))(X, X * 2.0)
    assert np.allclose(g[0], [X[0] * 2.0, X[1] * 2.0, 0.0, 0.0])
    assert np.allclose(g[1], [X[0], X[1], 0.0, 0.0])


# more combinations of the iteration forms
def enum_enum(x):
    s = 0.0
    for i, (j, e) in enumerate(enumerate(x, 1)):
        s = s + i * j * e
    return s
def zip_enum(x, y):
    s = 0.0
    for (i, a), b in zip(enumerate(x), y):
        s = s + i * a * b
    return s
def enum_rev(x):
    s = 0.0
    for i, e in enumerate(reversed(x)):
        s = s * 0.5 + i * e
    return s
def rev_tuple_lit(x, y):
    s = 1.0
    for e in reversed((x, y)):
        s = s * np.sum(e) + 1.0
    return s
def zip_rows_cols(M):
    s = 0.0
    for r, c in zip(M, M.T):
        s = s + np.sum(r[:3] * c)
    return s
def nested_loops_same_seq(x):
    s = 0.0
    for a in x:
        for b in x:
            s = s + a * b
    return s
def nested_rebind_outer_seq(x):
    s = 0.0
    for a in x:
        for b in x:
            s = s + a * b
        x = x[::-1] * 0.5
    return s
def enum_list_built_with_rebind(x):
    ys = [x[0], x[1]]
    s = 0.0
    for i, y in enumerate(ys):
        ys = [y * 2.0, y]
        s = s + y * (i + 1)
    return s
def list_tuple_arg(x):
    s = 0.0
    for a, b in tuple(zip(x, x[1:])):
        s = s + a * b
    return s
def zip_strict_false(x, y):
    s = 0.0
    for a, b in zip(x, y, strict=False):
        s = s + a * b
    return s
def start_expr(x):
    k = 2
    s = 0.0
    for i, e in enumerate(x, start=k + 1):
        k = k * 2
        s = s + i * e
    return s
def star_middle(x, y):
    s = 0.0
    for a, *mid, b in zip(x, y, x, y):
        s = s + a * b * mid[0] * mid[1]
    return s
def star_empty(x):
    s = 0.0
    for a, *rest in zip(x):
        s = s + a * len(rest)
    return s


@pytest.mark.parametrize("f,args,wrt,hvp", [
    (enum_enum, (X,), 0, "ok-or-refused"),
    (zip_enum, (X, X * 2.0), (0, 1), "ok-or-refused"),
    (enum_rev, (X,), 0, "ok-or-refused"),
    (rev_tuple_lit, (X, X[:2]), (0, 1), "ok"),
    (zip_rows_cols, (M,), 0, "ok"),
    (nested_loops_same_seq, (X,), 0, "ok-or-refused"),
    (nested_rebind_outer_seq, (X,), 0, "ok-or-refused"),
    (enum_list_built_with_rebind, (X,), 0, "ok"),
    (list_tuple_arg, (X,), 0, "ok-or-refused"),
    (zip_strict_false, (X, X * 2.0), (0, 1), "ok-or-refused"),
    (start_expr, (X,), 0, "ok-or-refused"),
    (star_middle, (X, X * 2.0), (0, 1), "ok-or-refused"),
    (star_empty, (X,), 0, "ok-or-refused"),
], ids=lambda v: getattr(v, "__name__", None))
def test_more_iteration_forms(f, args, wrt, hvp):
    sound(f, args, wrt, hvp)


# dicts and sets are iterated as list(...) gives them (keys, members); NumPy's
# iterators are not arrays
def dictcomp_iter(x):
    s = 0.0
    for k in {i: x[i] for i in range(3)}:
        s = s + k * x[k]
    return s
def dict_lit_iter(x):
    s = 0.0
    for k in {1: x[0], 0: x[1]}:
        s = s + k * x[k]
    return s
def dict_call_iter(x):
    s = 0.0
    for k in dict(a=x[0], b=x[1]):
        s = s + len(k) * x[0]
    return s
def enum_dict_lit(x):
    s = 0.0
    for i, k in enumerate({2: x[0], 0: x[1]}):
        s = s + (i + k) * x[k]
    return s
def nd_index(M):
    s = 0.0
    for idx in np.ndindex(M.shape):
        s = s + M[idx] ** 2
    return s
def nd_enum(M):
    s = 0.0
    for idx, v in np.ndenumerate(M):
        s = s + v ** 2
    return s
def nd_iter(M):
    s = 0.0
    for v in np.nditer(M):
        s = s + v ** 2
    return s
def flat_iter(M):
    s = 0.0
    for v in M.flat:
        s = s + v ** 2
    return s
def ravel_iter(M):
    s = 0.0
    for v in M.ravel():
        s = s + v ** 2
    return s
def set_iter(x):
    s = 0.0
    for k in {0, 2}:
        s = s + x[k]
    return s
def str_iter(x):
    s = 0.0
    for c in "ab":
        s = s + x[0] * len(c)
    return s
def map_iter(x):
    s = 0.0
    for v in map(np.sin, x):
        s = s + v
    return s
def filter_iter(x):
    s = 0.0
    for v in filter(lambda e: e > 0, x):
        s = s + v
    return s
def iter_iter(x):
    s = 0.0
    for v in iter(x):
        s = s + v
    return s


@pytest.mark.parametrize("f,args,expect", [
    (dictcomp_iter, (X,), "ok"),
    (dict_lit_iter, (X,), "ok"),
    (dict_call_iter, (X,), "ok"),
    (enum_dict_lit, (X,), "ok"),
    (nd_index, (M,), "ok"),
    (set_iter, (X,), "ok"),
    (str_iter, (X,), "ok"),
    (ravel_iter, (M,), "ok-or-refused"),
    (nd_enum, (M,), "refused"),
    (nd_iter, (M,), "refused"),
    (map_iter, (X,), "refused"),
    (filter_iter, (X,), "refused"),
    (iter_iter, (X,), "refused"),
], ids=lambda v: getattr(v, "__name__", None))
def test_iterating_dicts_sets_and_numpy_iterators(f, args, expect):
    if expect == "ok-or-refused":
        sound(f, args, 0, hvp="ok-or-refused")
    else:
        assert_sound(f, args, 0, expect=expect)


def star_rows(M):
    s = 0.0
    for a, *rest in M:          # refused before; rest is a list, as Python makes it
        s = s + a * sum(rest)
    return s


def test_starred_loop_target():
    assert_sound(star_rows, (M,), wrt=0, expect="ok")


# -- refused: what the desugaring cannot read as Python does ------------------------


def reversed_enumerate(x):
    s = 0.0
    for i, e in reversed(enumerate(x)):
        s = s + e
    return s


def appends_to_iterated(x):
    xs = [x[0], x[1]]
    for e in xs:
        if len(xs) < 5:
            xs.append(e * 2.0)
    return sum(xs)


def updates_iterated(x):
    s = 0.0
    for e in x:
        x += e
        s = s + np.sum(x)
    return s


def writes_while_iterating_copy(x):
    x = x * 1.0
    s = 0.0
    for e in list(x):
        x[0] = x[0] + e
        s = s + e * x[0]
    return s


def writes_later_row_while_iterating(M):
    M = M * 1.0
    s = 0.0
    for k, r in enumerate(M):
        if k + 1 < len(M):
            M[k + 1] = M[k + 1] + r * 0.5      # r is a view of M
        s = s + np.sum(r * r)
    return s


def write_and_rebind_iterated(x):
    x = x * 1.0
    s = 0.0
    for e in x:
        x[2] = x[2] + e          # the loop's array: later items see it ...
        x = x * 2.0              # ... but x is another array from here on
        s = s + e * e
    return s


def too_many_names(x):
    s = 0.0
    for a, b, c in zip(x, x):
        s = s + a
    return s


def unpacks_index(x):
    s = 0.0
    for (i, j), e in enumerate(x):
        s = s + e
    return s


@pytest.mark.parametrize("f,args,match", [
    (reversed_enumerate, (X,), "reversed"),
    (appends_to_iterated, (X,), "changes the length"),
    (updates_iterated, (X,), "op="),
    (writes_while_iterating_copy, (X,), "list"),
    (too_many_names, (X,), "3 names for items of 2 values"),
    (write_and_rebind_iterated, (X,), "x_iterated"),
    (unpacks_index, (X,), "index of enumerate"),
], ids=lambda v: getattr(v, "__name__", None))
def test_refused(f, args, match):
    refused(f, args, match)
    assert_sound(f, args, 0, expect="refused")


def test_writing_a_later_row_while_iterating_rows():
    # r is a view of M: forward mode follows the write exactly (tangent views
    # mirror the values'); the reverse sweep refuses it when the code runs
    outcomes = assert_sound(writes_later_row_while_iterating, (M,), 0, expect="ok-or-refused")
    assert [o.status for o in outcomes if o.mode == "jvp"] == ["ok"]


# -- a loop variable that becomes active in the loop --------------------------------

def loop_var_in_while(x, y):
    s = x
    for i in range(4):
        c = 0
        while c < 2:
            c += 1
            i = i + s * 0.2
        y = y * (1.0 + 0.3 * np.tanh(i))
    return y


def loop_var_in_inner_for(x, y):
    for i in range(3):
        for j in range(2):
            i = i * x + 0.1
        y = y * np.sin(i)
    return y


def loop_var_in_branch(x, y):
    for i in range(3):
        if i > 1:
            i = x * i
        y = y + i * i
    return y


def enumerate_index_active(x, y):
    s = 0.0
    for i, e in enumerate(x):
        for k in range(2):
            i = i + y * e
        s = s + np.sin(i)
    return s


@pytest.mark.parametrize("f,args,wrt,hvp", [
    (loop_var_in_while, (0.3, Y), (0, 1), "ok"),
    (summed(loop_var_in_while), (X, Y), (0, 1), "ok"),
    (loop_var_in_inner_for, (0.3, Y), (0, 1), "ok"),
    (loop_var_in_branch, (0.3, Y), (0, 1), "ok"),
    (enumerate_index_active, (X, Y), (0, 1), "ok-or-refused"),
], ids=lambda v: getattr(v, "__name__", None))
def test_loop_variable_made_active(f, args, wrt, hvp):
    sound(f, args, wrt, hvp)


# -- a name first assigned in a loop and read by a later iteration: loop carried
# (SSA treated it as one value per iteration: the tape saved the new value,
# not the one the adjoint reads -- a silently wrong gradient)
def first_iter_defines(x):
    for i in range(3):
        if i == 0:
            t = x
        else:
            t = t * x
    return t
def while_first_defines(x):
    k = 0
    while k < 3:
        if k == 0:
            t = x * 1.0
        else:
            t = t * np.sin(x)
        k += 1
    return t
def defined_in_loop_used_after(x):
    for i in range(3):
        u = x * i
    return u * x
def nested_first_defines(x):
    s = 0.0
    for j in range(2):
        for i in range(3):
            if i == 0:
                t = x + j
            else:
                t = t * x
        s = s + t
    return s
def first_defines_array(x):
    for i in range(3):
        if i == 0:
            t = x * 1.0
        else:
            t = np.sin(t) * x
    return np.sum(t)
def first_defines_with_break(x):
    for i in range(5):
        if i == 0:
            t = x
        else:
            t = t * x
        if t > 2.0:
            break
    return t
def first_defines_list(x):
    for i in range(3):
        if i == 0:
            ys = [x]
        else:
            ys.append(ys[-1] * x)
    return sum(ys)
def first_defines_two(x):
    for i in range(4):
        if i == 0:
            a = x
            b = 1.0
        else:
            a, b = b * x, a + b
    return a * b


@pytest.mark.parametrize("f,args,hvp", [
    (first_iter_defines, (0.7,), "ok"),
    (while_first_defines, (0.7,), "ok"),
    (defined_in_loop_used_after, (0.7,), "ok"),
    (nested_first_defines, (0.7,), "ok"),
    (first_defines_array, (X,), "ok"),
    (first_defines_with_break, (1.3,), "ok"),
    (first_defines_with_break, (0.7,), "ok"),
    (first_defines_list, (0.7,), "ok-or-refused"),
    (first_defines_two, (0.7,), "ok"),
], ids=lambda v: getattr(v, "__name__", None))
def test_first_assigned_in_the_loop(f, args, hvp):
    sound(f, args, 0, hvp)


def fd_continue(x):
    for i in range(4):
        if i == 0:
            t = x
            continue
        t = t * np.cos(t) + x
    return t
def fd_nested_inner(x):
    s = 0.0
    for i in range(3):
        for j in range(3):
            if j == 0:
                u = x * i
            else:
                u = u * x
        s = s + u
    return s
def fd_outer_carried_in_inner(x):
    for i in range(3):
        for j in range(2):
            if i == 0 and j == 0:
                v = x
            else:
                v = np.sin(v) + x
    return v
def fd_while_break(x):
    k = 0
    while True:
        if k == 0:
            w = x
        else:
            w = w * x + 0.1
        k += 1
        if k > 3:
            break
    return w
def fd_elementwrite(x):
    for i in range(3):
        if i == 0:
            a = x * 1.0
        else:
            a[i] = a[i - 1] * x[i]
    return np.sum(a)


@pytest.mark.parametrize("f,args", [
    (fd_continue, (0.7,)), (fd_nested_inner, (0.7,)), (fd_outer_carried_in_inner, (0.7,)),
    (fd_while_break, (0.7,)), (fd_elementwrite, (X,)),
], ids=lambda v: getattr(v, "__name__", None))
def test_first_assigned_in_the_loop_with_jumps_and_nesting(f, args):
    sound(f, args)


def test_first_assigned_in_the_loop_keeps_the_float_version():
    text = srcgrad.source(srcgrad.grad(first_iter_defines))
    assert text.startswith("def d_first_iter_defines(x):\n    if type(x) is not float and type(x) is not float64:")


# -- the loop variable after the loop ------------------------------------------------

def empty_range_keeps_variable(x):
    i = x
    for i in range(0):
        pass
    return i * x


def empty_sequence_keeps_variable(x):
    e = 2.0 * x[0]
    for e in x[:0]:
        pass
    return e * x[1]


def last_index(x):
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] * i
    return s * x[i]


def last_item(x):
    s = 0.0
    for e in x:
        s = s + e
    return s * e


def enumerate_rebind(x):
    s = 0.0
    for i, e in enumerate(x):
        x = x * 2.0
        s = s + (i + 1) * e * x[0]
    return s


def comprehension_enumerate_zip(x, y):
    return sum(i * a * b for i, (a, b) in enumerate(zip(x, y)))


def comprehension_starred(x, y):
    return sum([a * sum(rest) for a, *rest in zip(x, y, x)])


@pytest.mark.parametrize("f,args,wrt,hvp", [
    (empty_range_keeps_variable, (0.3,), 0, "ok"),
    (empty_sequence_keeps_variable, (X,), 0, "ok"),
    (last_index, (X,), 0, "ok"),
    (last_item, (X,), 0, "ok-or-refused"),
    (enumerate_rebind, (X,), 0, "ok-or-refused"),
    (comprehension_enumerate_zip, (X, X * 2.0), (0, 1), "ok-or-refused"),
    (comprehension_starred, (X, X * 2.0), (0, 1), "ok-or-refused"),
], ids=lambda v: getattr(v, "__name__", None))
def test_loop_variable_after_the_loop_and_comprehensions(f, args, wrt, hvp):
    sound(f, args, wrt, hvp)


# -- TASK B: the extra arguments of jvp, vjp and hvp ----------------------------------

def with_options(x, y, num=5, *, scale=2.0):
    return np.sum(np.sin(x) * y) * num * scale


def positional_only(x, y=0.5, /):
    return np.sum(x * x) * y ** 2


def test_with_default_issue_case():
    tx, ty = X * 0.5, 1.0
    value, t = srcgrad.jvp(sp.with_default, wrt=(0, 1))(X, 0.7, tx, ty)
    gx, gy = srcgrad.grad(sp.with_default, wrt=(0, 1))(X, 0.7)
    assert np.isclose(value, sp.with_default(X, 0.7))
    assert np.isclose(t, np.sum(gx * tx) + gy * ty)
    assert_sound(sp.with_default, (X, 0.7), (0, 1))


def _expected(num, scale, x=X, y=Y):
    gx = np.cos(x) * y * num * scale
    gy = np.sum(np.sin(x)) * num * scale
    return gx, gy


@pytest.mark.parametrize("num,scale,kw", [(5, 2.0, {}), (3, 2.0, {"num": 3}),
                                          (3, 0.5, {"num": 3, "scale": 0.5}),
                                          (5, 0.5, {"scale": 0.5})])
def test_generated_functions_with_defaults(num, scale, kw):
    tx, ty = np.array([0.3, -0.1, 0.2, 0.4]), -0.6
    gx, gy = _expected(num, scale)
    value = with_options(X, Y, **kw)
    # jvp: required arguments, then the tangents; defaults by keyword
    jf = srcgrad.jvp(with_options, wrt=(0, 1))
    for v, t in (jf(X, Y, tx, ty, **kw), jf(x=X, y=Y, d_x=tx, d_y=ty, **kw),
                 jf(X, Y, d_y=ty, d_x=tx, **kw)):
        assert np.isclose(v, value) and np.isclose(t, np.sum(gx * tx) + gy * ty)
    v, t = srcgrad.jvp(with_options)(X, Y, tx, **kw)
    assert np.isclose(t, np.sum(gx * tx))
    # vjp: required arguments, then the cotangent
    vf = srcgrad.vjp(with_options, wrt=(0, 1))
    for v, (cx, cy) in (vf(X, Y, 2.0, **kw), vf(X, Y, cotangent=2.0, **kw)):
        assert np.isclose(v, value) and np.allclose(cx, 2 * gx) and np.isclose(cy, 2 * gy)
    # hvp: the Hessian of sum(sin(x) * y) * num * scale along (tx, ty)
    hf = srcgrad.hvp(with_options, wrt=(0, 1))
    hx = (-np.sin(X) * Y * tx + np.cos(X) * ty) * num * scale
    hy = np.sum(np.cos(X) * tx) * num * scale
    for ux, uy in (hf(X, Y, tx, ty, **kw), hf(X, Y, t_x=tx, t_y=ty, **kw)):
        assert np.allclose(ux, hx) and np.isclose(uy, hy)
    # jacobian and hessian keep the function's own signature
    positional = (num,) if "num" in kw else ()
    rest = {k: v for k, v in kw.items() if k != "num"} if positional else kw
    for mode in ("forward", "reverse"):
        jx, jy = srcgrad.jacobian(with_options, wrt=(0, 1), mode=mode)(X, Y, *positional, **rest)
        assert np.allclose(jx, gx) and np.isclose(jy, gy)
    for batch in (256, None):
        H = srcgrad.hessian(with_options, wrt=(0, 1), batch=batch)(X, Y, **kw)
        assert np.allclose(H[0][0], np.diag(-np.sin(X) * Y * num * scale))
        assert np.allclose(H[0][1], np.cos(X) * num * scale)
        assert np.allclose(H[1][0], np.cos(X) * num * scale)
        assert np.isclose(H[1][1], 0.0)


def test_signatures_of_generated_functions():
    sig = lambda f: str(inspect.signature(f))        # noqa: E731
    assert sig(srcgrad.jvp(with_options, wrt=(0, 1))) == "(x, y, d_x, d_y, *, scale=2.0, num=5)"
    assert sig(srcgrad.vjp(with_options)) == "(x, y, cotangent, *, scale=2.0, num=5)"
    assert sig(srcgrad.hvp(with_options, wrt=1)) == "(x, y, t_y, *, scale=2.0, num=5)"
    assert sig(srcgrad.grad(with_options)) == str(inspect.signature(with_options))
    # no defaults: exactly as before
    assert sig(srcgrad.jvp(sp.rebind_iterated)) == "(x, d_x)"
    assert sig(srcgrad.vjp(sp.rebind_iterated)) == "(x, cotangent)"
    assert sig(srcgrad.hvp(sp.for_var_changed_in_while, wrt=(0, 1))) == "(x, y, t_x, t_y)"
    assert sig(srcgrad.jvp(positional_only, wrt=(0, 1))) == "(x, /, d_x, d_y, *, y=0.5)"


def test_positional_only_and_wrt_with_default():
    tx, ty = X * 0.5, 0.25
    y = 0.8
    gx, gy = 2 * X * y ** 2, 2 * y * np.sum(X * X)
    v, t = srcgrad.jvp(positional_only, wrt=(0, 1))(X, tx, ty, y=y)
    assert np.isclose(v, positional_only(X, y)) and np.isclose(t, np.sum(gx * tx) + gy * ty)
    v, t = srcgrad.jvp(positional_only, wrt=1)(X, ty)       # y's default, 0.5
    assert np.isclose(t, 2 * 0.5 * np.sum(X * X) * ty)
    v, (cx, cy) = srcgrad.vjp(positional_only, wrt=(0, 1))(X, 1.0, y=y)
    assert np.allclose(cx, gx) and np.isclose(cy, gy)
    hx, hy = srcgrad.hvp(positional_only, wrt=(0, 1))(X, tx, ty, y=y)
    assert np.allclose(hx, 2 * y ** 2 * tx + 4 * y * X * ty)
    assert np.isclose(hy, 4 * y * np.sum(X * tx) + 2 * np.sum(X * X) * ty)
    H = srcgrad.hessian(positional_only, wrt=1)(X, y)
    assert np.isclose(H, 2 * np.sum(X * X))
    J = srcgrad.jacobian(positional_only, wrt=1)(X, y)
    assert np.isclose(J, gy)
    assert_sound(positional_only, (X, y), (0, 1))


def _scaled_by(k):
    def scaled(x, scale=k):
        return np.sum(x * x) * scale
    return scaled


def test_defaults_from_closures_and_partials():
    import functools
    tx = np.array([1.0, 0.5, -0.5, 2.0])
    f = _scaled_by(3.0)                      # a default the def line cannot show
    jf = srcgrad.jvp(f)
    assert str(inspect.signature(jf)) == "(x, d_x, *, scale=3.0)"
    assert np.isclose(jf(X, tx)[1], np.sum(2 * X * tx) * 3.0)
    assert np.isclose(jf(X, tx, scale=2.0)[1], np.sum(2 * X * tx) * 2.0)
    assert np.allclose(srcgrad.vjp(f)(X, 1.0, scale=2.0)[1], 4.0 * X)
    assert np.allclose(srcgrad.hvp(f)(X, tx, scale=2.0), 4.0 * tx)
    p = functools.partial(with_options, X)   # (y, num=5, *, scale=2.0)
    assert str(inspect.signature(srcgrad.jvp(p))) == "(y, d_y, *, scale=2.0, num=5)"
    dy = np.sum(np.sin(X)) * 3 * 2.0
    assert np.isclose(srcgrad.jvp(p)(Y, 1.0, num=3)[1], dy)
    assert np.isclose(srcgrad.vjp(p)(Y, 1.0, num=3)[1], dy)
    assert np.isclose(srcgrad.hvp(p)(Y, 1.0, num=3), 0.0)
    assert np.isclose(srcgrad.jacobian(p)(Y, 3), dy)
    assert np.isclose(srcgrad.hessian(p)(Y, num=3), 0.0)
    q = functools.partial(with_options, num=3)   # (x, y, *, num=3, scale=2.0)
    v, t = srcgrad.jvp(q, wrt=(0, 1))(X, Y, tx, 1.0)
    assert np.isclose(t, srcgrad.jvp(with_options, wrt=(0, 1))(X, Y, tx, 1.0, num=3)[1])


def jvp_inside(x):
    v, t = srcgrad.jvp(with_options, wrt=0)(x, 0.7, x * 0.5, num=3)
    return t


def vjp_inside(x):
    v, (g, gy) = srcgrad.vjp(with_options, wrt=(0, 1))(x, 0.7, 1.0, scale=0.5)
    return np.sum(g * g)


def test_generated_functions_with_defaults_called_in_differentiated_code():
    sound(jvp_inside, (X,))
    sound(vjp_inside, (X,), hvp="ok-or-refused")
