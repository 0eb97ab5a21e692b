"""Round 3 (wide fuzzer, seeds 1247-15126): shrunk programs that gave
silently wrong gradients or crashed.

* A write into an element of a record's field (``st.v[2] = y``, also
  through a name: ``a = st.v; a[2] = y``) changes the record in place; the
  analysis did not follow it (the write was silently dropped from the
  derivative).  Now refused; a copy of the field (``np.copy(st.v)``) is fine.
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


X = np.array([-0.047782, 0.857401, 0.724134, 0.180967])


def field_write(x, y):                 # seed 1247
    st1 = S(y, x * 1.0)
    st1.v[2] = y
    return np.sum(st1.v)


def field_write_abs(x, y):             # seed 1892
    st1 = S(0.5, np.abs(x))
    st1.v[0] = y
    return np.sum(st1.v)


def field_write_const(x, y):           # seed 2835
    st2 = S(0.5, np.minimum(x, y))
    st2.v[-1] = 0.5
    return np.sum(st2.v)


def field_augmented(x, y):
    st1 = S(0.5, np.abs(x))
    st1.v[0] += y
    return np.sum(st1.v)


def field_alias_write(x, y):
    st1 = S(y, x * 1.0)
    a = st1.v
    a[2] = y
    return np.sum(st1.v)


def field_alias_view_write(x, y):
    st1 = S(y, x * 1.0)
    a = st1.v
    b = a[1:]
    b[0] = y
    return np.sum(st1.v) + st1.w


def field_copy_write(x, y):
    st1 = S(y, x * 1.0)
    a = np.copy(st1.v)
    a[2] = y
    return np.sum(st1.v) + 3.0 * np.sum(a)


def field_read(x, y):
    st1 = S(y, x * 2.0)
    a = st1.v
    return np.sum(a * a) + st1.w


@pytest.mark.parametrize("f", [field_write, field_write_abs, field_write_const,
                               field_augmented, field_alias_write, field_alias_view_write])
@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_write_into_record_field_refused(f, wrt):
    assert_sound(f, [X.copy(), -0.869703], wrt, expect="refused")
    with pytest.raises(srcgrad.UnsupportedError, match="field|attribute"):
        srcgrad.grad(f, wrt=wrt)(X.copy(), -0.869703)


@pytest.mark.parametrize("f", [field_copy_write, field_read])
@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_record_field_read_or_copied_ok(f, wrt):
    assert_sound(f, [X.copy(), -0.869703], wrt, modes=("grad", "jvp"))
    # hvp through a record (add_attr) is refused, not yet differentiated
    assert_sound(f, [X.copy(), -0.869703], wrt, modes=("hvp",), expect="ok-or-refused")


# -- x[index] = x: the written value is the array itself ----------------------
# The reverse sweep added the written part of x's adjoint to the value's
# adjoint (x's own) and then zeroed that part: the contribution was lost.
# Now the part is kept in a temporary, zeroed, then added.

def self_write(y, x):                  # seed 5903
    y = y * x
    y[:] = y
    return np.sum(y)


def self_write_param(x):               # seed 5099
    a1 = x
    a1[:] = a1
    return np.sum(a1)


def self_write_loop(y, x):
    z = x * y
    for k in range(2):
        z[:] = z
        z = z * z
    return np.sum(np.sin(z))


def self_write_shifted(y, x):
    y = y * x
    y[1:] = y[:-1]
    return np.sum(y * y)


XS = np.array([-0.772053, 0.45849, -0.250779, 0.15996])


@pytest.mark.parametrize("f", [self_write, self_write_loop, self_write_shifted])
@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_write_of_array_into_itself(f, wrt):
    assert_sound(f, [-0.709167, XS.copy()], wrt)


def test_write_of_argument_into_itself():
    assert_sound(self_write_param, [XS.copy()], 0)


# -- a container element changed in place through another name ----------------
# ``p = P(b=x, ...); b7 = x; b7[0] = 4`` changes the array stored in ``p``:
# the check for "changed after it was put into another container" followed
# names, not the copies of a name.  Now refused.

from collections import namedtuple  # noqa: E402

P = namedtuple("P", ["a", "b"])


def stored_then_alias_written(x, y):   # seed 3454
    y = y * x
    x = y
    p5 = P(b=x, a="a")
    b7 = x
    b7[0] = 4
    return np.sum(p5.b)


def listed_then_alias_written(x, y):
    y = y * x
    p5 = [y, 2.0]
    b = y
    b[0] = 4
    return np.sum(p5[0])


def record_then_alias_written(x, y):
    y = y * x
    st = S(0.5, y)
    b = y
    b[1] = 4
    return np.sum(st.v)


XP = np.array([0.194986, -0.082622, 0.835527, 0.487509])


@pytest.mark.parametrize("f", [stored_then_alias_written, listed_then_alias_written,
                               record_then_alias_written])
@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_stored_array_written_through_alias_refused(f, wrt):
    assert_sound(f, [XP.copy(), 0.756749], wrt, expect="refused")


# -- out= (or np.copyto ...) overwriting a constant the reverse sweep reads ----
# ``np.sin(0.5, out=b4)`` after ``z = np.dot(b4, ...)``, with ``b4`` not
# depending on the differentiated argument: the derivative of ``dot`` reads
# ``b4``, which the write had changed.  Refused now (it was refused only when
# a derivative flowed into or out of the written array).

def out_after_use(z, y, x):            # seed 12111
    b4 = np.cos(x[:-1])
    z = np.dot(b4, np.dot(y - np.ones((3, 4)), x))
    np.sin(0.5, out=b4)
    return z


def copyto_after_use(z, y, x):
    b4 = np.cos(x[:-1])
    z = np.dot(b4, np.dot(y - np.ones((3, 4)), x))
    np.copyto(b4, 0.5)
    return z


def out_before_use(z, y, x):
    b4 = np.empty(3)
    np.cos(x[:-1], out=b4)
    return np.dot(b4, np.dot(y - np.ones((3, 4)), x))


XO = np.array([0.569578, 0.496013, -0.742232, 0.617123])


@pytest.mark.parametrize("f", [out_after_use, copyto_after_use])
@pytest.mark.parametrize("wrt", [1, 2, (1, 2)])
def test_overwrite_of_read_constant_refused(f, wrt):
    assert_sound(f, [-0.947462, 0.338379, XO.copy()], wrt, expect="refused")


def test_out_before_use_of_constant_ok():
    assert_sound(out_before_use, [-0.947462, 0.338379, XO.copy()], 1)


# -- a view of a view updated in place ------------------------------------------
# ``b2 = a1[::-1]; b2 -= x`` makes the new ``b2`` a view of ``a1`` again;
# ``y = b2[1:]`` read after a later write through ``b2`` routed y's adjoint
# to the value before that write (the masked write was skipped).

def view_of_updated_view(z, x, y):     # seed 11301
    a1 = np.clip(x, z, 0.5)
    b2 = a1[::-1]
    b2 -= x
    b2[b2 > 0.46] = 0.5
    y = b2[1:]
    return np.sum(y)


XV = np.array([0.544578, -0.452091, -0.593075, -0.601831])


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_view_of_view_updated_in_place(wrt):
    assert_sound(view_of_updated_view, [-0.840965, XV.copy(), 0.471123], wrt,
                 modes=("grad", "jvp"))
    assert_sound(view_of_updated_view, [-0.840965, XV.copy(), 0.471123], wrt,
                 modes=("hvp",), expect="ok-or-refused")


# -- hvp: a list's adjoint sliced and added to ----------------------------------
# The gradient code's ``d_L[:] += d_part`` (adjoints of lists add element by
# element) was differentiated by forward mode as a list concatenation: the
# hvp was silently 0.

def list_slice_then_item(y, x):        # seed 14153
    L2 = [x[1]]
    s7 = L2[:][0]
    y = np.tanh(s7)
    return y


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_hvp_through_list_slice(wrt):
    assert_sound(list_slice_then_item, [0.860193, XP.copy()], wrt)


# -- hvp crashes on list adjoints ----------------------------------------------
# (seed 2317) ``d_L[:4] += array_dx(...)``: a concatenation tangent, of the
# wrong length (fixed with the previous case); (seed 3989) the tangent of a
# list adjoint written in place later was copied with ``np.copy`` (an
# array: no ``.pop()``): now a copy of the same type (copy_tangent).

def list_of_array_sliced(x):           # seed 2317
    L3 = list(x)
    x = np.array(L3[:4])
    return np.sum(x * x)


def list_comprehension_popped(y, x):   # seed 3989
    L1 = [y for e in x]
    x = L1[1]
    if y <= 0.5:
        y = np.tanh(L1)
    else:
        pass
    return y + x + sum(L1)


def test_hvp_list_of_array_sliced():
    assert_sound(list_of_array_sliced, [XP.copy()], 0)


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_hvp_list_adjoint_popped(wrt):
    assert_sound(list_comprehension_popped, [0.902335, XP.copy()], wrt)


# -- jvp: a tangent shared with its operand's, written in place ----------------
# ``a1 = x + np.zeros(4)`` has the tangent ``broadcast_like(d_x, a1)``, which
# is ``d_x`` itself; ``a1[:] = ...`` then wrote into ``d_x`` (the caller's
# direction).  The tangent of a value written in place later is now a copy.

def add_zeros_then_overwrite(x):       # seed 5099
    a1 = x + np.zeros(4)
    a1[:] = x * 0.5
    return np.sum(a1)


def test_jvp_tangent_not_shared_when_written():
    assert_sound(add_zeros_then_overwrite, [XP.copy()], 0)
    v = np.ones(4)
    srcgrad.jvp(add_zeros_then_overwrite)(XP.copy(), v)
    assert np.array_equal(v, np.ones(4)), "jvp changed the caller's direction"


def stored_difference_then_alias_written(x, y):   # seed 3454 (jvp)
    y = y * x
    x = y
    p5 = P(b=x - 0.5, a="a")
    b7 = x
    b7[0] = 4
    return np.sum(p5.b)


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_jvp_tangent_of_operand_written_later(wrt):
    # d(x - 0.5) is d_x itself; b7[0] = 4 (b7 is x) must not change it
    assert_sound(stored_difference_then_alias_written, [XP.copy(), 0.756749], wrt,
                 modes=("grad", "jvp"))
    assert_sound(stored_difference_then_alias_written, [XP.copy(), 0.756749], wrt,
                 modes=("hvp",), expect="ok-or-refused")
