"""The Python users write (issue #14): objects.  Attribute assignment and
augmented assignment on dataclasses and plain objects made in the function
or passed as arguments, each in every mode against finite differences; the
caller's objects never change; and the refusals (two names for one object,
objects held elsewhere, named tuples and frozen dataclasses as Python does)."""

import dataclasses
from collections import namedtuple

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound
from tests.test_containers import check

X = np.array([0.6, -0.4, 0.3])


@dataclasses.dataclass
class P:
    a: object
    b: object


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: float
    b: float


class Plain:
    def __init__(self, a, b):
        self.a = a
        self.b = b


Pair = namedtuple("Pair", "a b")


# -- attribute assignment ------------------------------------------------------------

def local_object(x):
    p = P(a=x, b=2.0)
    p.a = p.a * 3
    p.b += p.a
    return p.a * p.b


def local_in_loop(x):
    s = P(x, 0.5)
    for i in range(4):
        s.b = s.b - 0.1 * s.a
        s.a += 0.1 * s.b * s.a
    return s.a * s.b


def local_in_branches(x):
    s = P(x, 1.0)
    if x > 0:
        s.a = s.a * x
    else:
        s.b = 3.0 * x
    k = 0
    while s.a < 5.0 and k < 10:
        s.a *= 1.5
        k += 1
    return s.a + s.b * x


def argument_object(p, x):
    p.a = x * p.a
    p.b += p.a
    return p.a * p.b


def argument_arrays(p, x):
    p.a += x
    p.b = p.b * np.sin(x)
    return np.sum(p.a * p.b)


def new_attribute(p, x):
    p.extra = x * x
    return p.extra * p.a


def with_setattr(x):
    s = P(x, 2.0)
    setattr(s, "b", s.a * s.b)
    return s.b ** 2


def _step(s, dt):
    s.b = s.b + dt * s.a
    s.a = s.a - dt * s.b


def helper_changes_its_argument(x):
    s = P(x, 0.3)
    for i in range(3):
        _step(s, 0.1)
    return s.a * s.b


def _advance(s, dt):
    s.a = s.a * dt
    return s


def helper_returns_its_argument(x):
    s = P(x, 0.3)
    s = _advance(s, 2.0)
    s.b = 5.0 * x
    return s.b * s.a


def read_out_of_a_dead_container(x):
    items = [P(x, 1.0), 3.0]
    p = items[0]
    p.a = 2.0 * x
    return p.a * p.b


def argument_object_of_a_loop(p, xs):
    for i in range(len(xs)):
        p.a = p.a + xs[i] * p.b
        p.b = p.b * 0.9
    return np.sum(p.a ** 2)


@dataclasses.dataclass
class S:
    w: float
    v: np.ndarray


def field_replaced_by_a_constant(u, y):
    # (fuzz seed 4200091: the tangent of the new field was a bare 0.0)
    st = S(0.5, y * np.ones(3))
    st.v = u
    st.w = st.v[0]
    return np.sum(st.v) + st.w


def field_becomes_a_number(u, y):
    st = S(0.5, y * np.ones(3))
    st.v = u
    st.v = st.v[2]
    st.w = st.w * y
    return st.v + st.w


@dataclasses.dataclass
class Outer:
    inner: P
    scale: float


def nested_reads(o, x):
    # (s.inner.pos: one attribute read at a time)
    return o.inner.a * x ** 2 + o.inner.b * o.scale * x


CASES = [
    (nested_reads, (Outer(P(1.5, -0.5), 2.0), 0.7), 1),
    (field_replaced_by_a_constant, (X.copy(), 0.62), 1),
    (field_becomes_a_number, (X.copy(), 0.62), 1),
    (local_object, (0.7,), 0),
    (local_in_loop, (0.7,), 0),
    (local_in_branches, (0.7,), 0),
    (local_in_branches, (-0.7,), 0),
    (argument_object, (P(1.5, 2.0), 0.7), 1),
    (argument_object, (Plain(1.5, 2.0), 0.7), 1),
    (argument_arrays, (P(X.copy(), 2 * X), X.copy()), 1),
    (new_attribute, (P(1.5, 2.0), 0.7), 1),
    (with_setattr, (0.7,), 0),
    (helper_changes_its_argument, (0.7,), 0),
    (helper_returns_its_argument, (0.7,), 0),
    (read_out_of_a_dead_container, (0.7,), 0),
    (argument_object_of_a_loop, (P(X.copy(), 0.5), X.copy()), 1),
]


@pytest.mark.parametrize("f,args,wrt", CASES, ids=[f"{c[0].__name__}-{i}"
                                                  for i, c in enumerate(CASES)])
def test_attribute_assignment_in_every_mode(f, args, wrt):
    srcgrad.clear_cache()
    assert_sound(f, args, wrt)


@pytest.mark.parametrize("f,args", [
    (nested_reads, (Outer(P(1.5, -0.5), 2.0), 0.7)),
    (argument_object, (P(1.5, 2.0), 0.7)),
    (argument_object, (Plain(1.5, 2.0), 0.7)),
    (argument_arrays, (P(X.copy(), 2 * X), X.copy())),
    (argument_object_of_a_loop, (P(X.copy(), 0.5), X.copy())),
])
def test_gradient_with_respect_to_the_object(f, args):
    check(f, *args, wrt=(0, 1))


def test_hvp_and_hessian_with_respect_to_the_object():
    g = srcgrad.grad(argument_object, wrt=(0, 1))
    hv = srcgrad.hvp(argument_object, wrt=(0, 1))(P(1.5, 2.0), 0.7, P(1.0, 0.5), 0.3)
    h = 1e-6
    up = g(P(1.5 + h, 2.0 + 0.5 * h), 0.7 + 0.3 * h)
    down = g(P(1.5 - h, 2.0 - 0.5 * h), 0.7 - 0.3 * h)
    assert np.allclose([hv[0].a, hv[0].b, hv[1]],
                       [(up[0].a - down[0].a) / (2 * h), (up[0].b - down[0].b) / (2 * h),
                        (up[1] - down[1]) / (2 * h)], rtol=1e-5)

    def f(x):
        return argument_arrays(P(X.copy(), 2 * X), x)
    gf = srcgrad.grad(f)
    fd = np.array([(gf(X + 1e-6 * e) - gf(X - 1e-6 * e)) / 2e-6 for e in np.eye(3)])
    assert np.allclose(srcgrad.hessian(f)(X.copy()), fd, atol=1e-6)


def test_the_callers_object_is_unchanged():
    p = P(1.5, 2.0)
    srcgrad.grad(argument_object, wrt=(0, 1))(p, 0.7)
    srcgrad.jvp(argument_object, wrt=1)(p, 0.7, 1.0)
    assert p == P(1.5, 2.0)


def test_generated_code_makes_new_objects():
    text = srcgrad.source(srcgrad.grad(local_object))
    assert "p_3 = set_field(p, 'a', p_2)" in text
    assert "check_field_iadd(p_3, 'b', 'p', " in text
    assert "check_unshared(p, 'p', (x,), ('x',))" in srcgrad.source(
        srcgrad.grad(argument_object, wrt=1))


# -- refusals ------------------------------------------------------------------------

def copy_is_the_same_object(x):
    p = P(x, 1.0)
    q = p
    q.a = 2.0 * x
    return p.a * q.a


def held_in_a_list(x):
    p = P(x, 1.0)
    items = [p, 3.0]
    p.a = 2.0 * x
    return items[0].a * p.a


def read_out_of_a_list_in_use(x):
    items = [P(x, 1.0), 3.0]
    p = items[0]
    p.a = 2.0 * x
    return items[0].a * p.a


def history_of_one_object(x):
    s = P(x, 1.0)
    hist = []
    for i in range(3):
        s.a = s.a * 1.5
        hist.append(s)
    return hist[0].a + s.a


def returned_object_is_the_argument(x):
    s = P(x, 0.3)
    t = _advance(s, 2.0)
    t.b = 5.0 * x
    return s.b * t.a


def read_out_of_an_argument(q, x):
    inner = q.a
    inner.a = x
    return inner.a * 2.0


G = P(1.0, 2.0)


def global_object(x):
    G.a = x
    return G.a


def global_object_by_another_name(x):
    q = G
    q.a = x
    return q.a * x


def nested_attribute(p, x):
    p.a.b = x
    return x


@pytest.mark.parametrize("f,args,wrt,text", [
    (copy_is_the_same_object, (0.7,), 0, "'p', which is the same object, is still used"),
    (held_in_a_list, (0.7,), 0, "'items', which holds it, is still used"),
    (read_out_of_a_list_in_use, (0.7,), 0, "'items', which holds it, is still used"),
    (returned_object_is_the_argument, (0.7,), 0, "'s', which is the same object"),
    (read_out_of_an_argument, (P(P(1.0, 2.0), 3.0), 0.7), 1,
     "an object read out of the argument 'q'"),
    (global_object, (0.7,), 0, "assignment to an attribute of 'G', which is not a variable"),
    (global_object_by_another_name, (0.7,), 0, "it may be the object 'G' of the module"),
    (nested_attribute, (P(P(1.0, 2.0), 3.0), 0.7), 1,
     "assignment to an attribute of an attribute"),
])
def test_refused_when_transformed(f, args, wrt, text):
    with pytest.raises(srcgrad.UnsupportedError, match=text):
        srcgrad.grad(f, wrt=wrt)(*args)
    with pytest.raises(srcgrad.UnsupportedError, match=text):
        srcgrad.jvp(f, wrt=wrt)(*args, 1.0)


def test_a_history_of_one_object_is_refused():
    with pytest.raises(srcgrad.UnsupportedError):
        srcgrad.grad(history_of_one_object)(0.7)


def aliased_arguments(p, q, x):
    p.a = x
    return q.a * x


def array_field_read_before(x):
    p = P(x * 1.0, 1.0)
    w = p.a
    p.a += 1.0
    return np.sum(w * p.a)


def array_put_into_the_object(x):
    arr = x * 1.0
    p = P(a=arr, b=1.0)
    p.a += 1.0
    return np.sum(arr * p.a)


def one_array_in_two_fields(x):
    arr = x * 1.0
    p = P(a=arr, b=arr)
    p.a += 1.0
    return np.sum(p.b * p.a)


class WithSetattr:
    def __init__(self, a):
        object.__setattr__(self, "a", a)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, 2 * value)


class WithProperty:
    def __init__(self, a):
        self._a = a

    @property
    def a(self):
        return self._a

    @a.setter
    def a(self, v):
        self._a = 2 * v


class WithSlots:
    __slots__ = ("a",)

    def __init__(self, a):
        self.a = a


def assigns_a(p, x):
    p.a = x
    return p.a * x


@pytest.mark.parametrize("f,args,wrt,text", [
    (aliased_arguments, (G, G, 0.7), 2, "the argument 'p' is also 'q'"),
    (array_field_read_before, (X,), 0, "'p_a' is a view of 'w'"),
    (array_put_into_the_object, (X,), 0, "'p_a' is a view of 'arr'"),
    (one_array_in_two_fields, (X,), 0, r"changes the ndarray p.a in place, and p.b holds it"),
    (assigns_a, (WithSetattr(1.0), 0.7), 1, "defines __setattr__"),
    (assigns_a, (WithProperty(1.0), 0.7), 1, "is a property or descriptor"),
    (assigns_a, (WithSlots(1.0), 0.7), 1, "has __slots__"),
    (assigns_a, (X, 0.7), 1, "assignment to the attribute .a of a ndarray"),
])
def test_refused_when_the_code_runs(f, args, wrt, text):
    with pytest.raises(srcgrad.UnsupportedError, match=text):
        srcgrad.grad(f, wrt=wrt)(*args)
    tangent = np.ones_like(args[wrt]) if isinstance(args[wrt], np.ndarray) else 1.0
    with pytest.raises(srcgrad.UnsupportedError, match=text):
        srcgrad.jvp(f, wrt=wrt)(*args, tangent)


def named_tuple_made_here(x):
    p = Pair(x, 2.0)
    p.a = 3.0 * x
    return p.a


@pytest.mark.parametrize("f,args,error", [
    (named_tuple_made_here, (0.7,), AttributeError),
    (assigns_a, (Pair(1.0, 2.0), 0.7), AttributeError),
    (assigns_a, (Frozen(1.0, 2.0), 0.7), dataclasses.FrozenInstanceError),
])
def test_immutable_objects_raise_as_python_does(f, args, error):
    with pytest.raises(error):
        f(*args)
    with pytest.raises(error):
        srcgrad.grad(f, wrt=len(args) - 1)(*args)
    with pytest.raises(error):
        srcgrad.jvp(f, wrt=len(args) - 1)(*args, 1.0)


# -- dataclasses.replace and namedtuple._replace -------------------------------------------

def replace_local(x):
    p = P(x, 2.0)
    q = dataclasses.replace(p, b=p.a * 3.0)
    r = dataclasses.replace(q, a=q.b * x, b=q.a + 1.0)
    return p.a * q.b + r.a * r.b


def replace_named_tuple_local(x):
    p = Pair(x, 2.0)
    q = p._replace(b=p.a * 3.0)
    r = q._replace(a=q.b * x, b=q.a + 1.0)
    return p.a * q.b + r.a * r.b + r[0]


def replace_argument(p, x):
    q = dataclasses.replace(p, b=x * p.a)
    return q.a * q.b + p.b


def replace_named_tuple_argument(p, x):
    q = p._replace(a=x * p.b)
    return q.a * q.b + p.a


def replace_in_a_loop(x):
    s = Pair(x * 1.0, 0.5)
    for i in range(3):
        s = s._replace(a=np.sin(s.a) * s.b + x, b=s.b * 0.9 + np.sum(s.a) * 0.1)
    t = P(s.a, s.b)
    t = dataclasses.replace(t, b=t.b * np.sum(t.a))
    return np.sum(t.a * t.b)


def copy_by_replace_then_assign(x):
    p = P(x, 2.0)
    q = dataclasses.replace(p)
    q.a = 3.0 * x
    return p.a * q.a


def _with_b(s, v):
    return dataclasses.replace(s, b=v)


def replace_in_a_helper(x):
    s = P(x, 0.3)
    for i in range(2):
        s = _with_b(s, s.b * s.a + 1.0)
    return s.a * s.b


REPLACE_CASES = [
    (replace_local, (0.7,), 0),
    (replace_named_tuple_local, (0.7,), 0),
    (replace_argument, (P(1.5, 2.0), 0.7), 1),
    (replace_named_tuple_argument, (Pair(1.5, 2.0), 0.7), 1),
    (replace_in_a_loop, (X.copy(),), 0),
    (copy_by_replace_then_assign, (0.7,), 0),
    (replace_in_a_helper, (0.7,), 0),
]


@pytest.mark.parametrize("f,args,wrt", REPLACE_CASES, ids=[c[0].__name__ for c in REPLACE_CASES])
def test_replace_in_every_mode(f, args, wrt):
    srcgrad.clear_cache()
    assert_sound(f, args, wrt)


@pytest.mark.parametrize("f,args", [
    (replace_argument, (P(1.5, 2.0), 0.7)),
    (replace_named_tuple_argument, (Pair(1.5, 2.0), 0.7)),
])
def test_replace_gradient_with_respect_to_the_object(f, args):
    check(f, *args, wrt=(0, 1))


def test_replace_hessian_and_jacobian():
    gf = srcgrad.grad(replace_in_a_loop)
    fd = np.array([(gf(X + 1e-6 * e) - gf(X - 1e-6 * e)) / 2e-6 for e in np.eye(3)])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # the batched pass itself works
        assert np.allclose(srcgrad.hessian(replace_in_a_loop)(X.copy()), fd, atol=1e-6)
    text = srcgrad.source(srcgrad.grad(replace_local))
    assert "r = replace_dataclass(q, 'a', r_2, 'b', r_4)" in text


@dataclasses.dataclass
class Derived:
    a: float
    b: float = 0.0

    def __post_init__(self):
        self.c = self.a * self.b


class OwnReplace:
    def __init__(self, a):
        self.a = a

    def _replace(self, a):
        return OwnReplace(2 * a)


def replaces_a(p, x):
    q = dataclasses.replace(p, a=x)
    return q.a * x


def named_replaces_a(p, x):
    q = p._replace(a=x)
    return q.a * x


@pytest.mark.parametrize("f,args,error,text", [
    (replaces_a, (Derived(1.0, 2.0), 0.7), srcgrad.UnsupportedError,
     "dataclasses.replace of a Derived, whose __post_init__"),
    (named_replaces_a, (OwnReplace(1.0), 0.7), srcgrad.UnsupportedError,
     "._replace of a OwnReplace, which is not a named tuple"),
    (replaces_a, (Plain(1.0, 2.0), 0.7), TypeError, "dataclass"),
    (named_replaces_a, (P(1.0, 2.0), 0.7), AttributeError, "_replace"),
])
def test_replace_refused_or_raising_as_python(f, args, error, text):
    with pytest.raises(error, match=text):
        srcgrad.grad(f, wrt=1)(*args)
    with pytest.raises(error, match=text):
        srcgrad.jvp(f, wrt=1)(*args, 1.0)
