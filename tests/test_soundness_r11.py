"""Fuzz seed 3702663 (eighteenth session): a silently wrong tangent present
before the session.  ``L[0] = a`` with ``a`` not depending on the
argument set the tangent of that element to the number ``0.0``, a zero
that stands for any shape where it is added or multiplied, but not where
a product contracts it: ``np.dot(A, 0.0)`` is ``A``'s shape.  Added to an
active tangent the wrong-shaped zero broadcast it (a jvp four times too
large, a forward Jacobian wrong); elsewhere it crashed or left the tangent
of a number result an array (how the fuzzer saw it).  The element's zero
now has the shape of the value written (``zeros_like(a)``; ``0.0`` only
for a number).  The fuzzer's check now compares the tangent's shape with
the value's, and ``Hv``'s with the argument's."""

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound

A = np.arange(16.0).reshape(4, 4) / 10


def shrunk(x):
    AL1 = [x]
    a6 = np.linspace(1.0, 1.0, 4).copy()
    AL1[0] = a6
    s12 = np.dot([0, 2, 3], np.dot(np.ones((3, 4)), AL1[0]))
    return s12


def scaled_by_the_argument(x):
    L = [x]
    L[0] = np.ones(4)
    return np.sum(np.dot(A, L[0]) * x)       # jvp was 4 times too large


def product_then_scaled(x):
    L = [x]
    L[0] = np.ones(4)
    y = np.dot(A, L[0])
    return np.sum(y * x)


def two_reads(x):
    L = [x]
    L[0] = np.ones(4)
    return np.sum(np.dot(A, L[0])) * np.sum(x) + np.sum(np.dot(A, L[0]) @ x)


def dict_element(x):
    d = {}
    d["k"] = x
    d["k"] = np.ones(4)
    return np.sum(np.outer(d["k"], x))


def comprehension_element(x):
    L = [x for _ in range(2)]
    L[1] = np.linspace(0.0, 1.0, 4)
    return np.sum(np.dot(A, L[1]) + L[0])


def element_in_a_loop(x):
    L = [x, x]
    for i in range(2):
        L[i] = np.ones(4) * i
    return np.sum(np.dot(A, L[1]) + x)


def stacked(x):
    L = [x]
    L[0] = np.ones(4)
    M = np.stack([L[0], x])
    return np.sum(np.dot(M, A) ** 2)


def reshaped(x):
    L = [x]
    L[0] = np.ones(4)
    return np.sum(np.reshape(L[0], (2, 2)) @ np.reshape(x, (2, 2)))


def number_element(x):
    L = [x[0], x[1]]
    L[1] = 2.0
    return L[0] * L[1] * np.sum(x)


X = np.array([0.717292, 0.558567, 0.23276, -0.429698])
V = np.array([1.0, -2.0, 0.5, 3.0])
PROGRAMS = [shrunk, scaled_by_the_argument, product_then_scaled, two_reads, dict_element,
            comprehension_element, element_in_a_loop, stacked, reshaped, number_element]


@pytest.mark.parametrize("f", PROGRAMS)
def test_every_mode(f):
    assert_sound(f, (X,))


@pytest.mark.parametrize("f", PROGRAMS)
def test_tangent_is_grad_dot_v_and_a_number(f):
    value, t = srcgrad.jvp(f)(X, V)
    assert np.shape(t) == ()
    assert np.isclose(t, srcgrad.grad(f)(X) @ V, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("f", [scaled_by_the_argument, product_then_scaled, two_reads])
def test_forward_jacobian_and_hessian(f):
    g = srcgrad.grad(f)
    assert np.allclose(srcgrad.jacobian(f, mode="forward")(X), g(X), rtol=1e-10)
    h = 1e-6
    fd = np.array([(g(X + h * e) - g(X - h * e)) / (2 * h) for e in np.eye(4)])
    assert np.allclose(srcgrad.hessian(f)(X), fd, atol=1e-6)


def test_a_vector_result_forward_jacobian():
    def f(x):
        L = [x, x]
        L[1] = np.ones(4)
        return np.dot(A, L[1]) * x + L[0]
    assert np.allclose(srcgrad.jacobian(f, mode="forward")(X),
                       srcgrad.jacobian(f, mode="reverse")(X), rtol=1e-12)


# Found by hand the same session: a parameter annotated ``float`` was
# assumed a number (no unbroadcast of its gradient), so an array passed
# there got a number for its gradient: d/dx sum(x * a) was sum(a), not a.
# Annotations are not checked by Python and are no longer trusted.

def annotated(x: float, a):
    return np.sum(x * a)


def annotated_both(x: float, y: float) -> float:
    return np.sum(np.sin(x) * y)


@pytest.mark.parametrize("args", [(X, V), (np.array([0.5]), V), (0.5, V)])
def test_an_annotation_is_not_trusted(args):
    assert_sound(annotated, args)
    assert_sound(annotated, args, wrt=(0, 1))


def test_an_annotation_is_not_trusted_either_argument():
    assert_sound(annotated_both, (X, V), wrt=(0, 1))
    assert_sound(annotated_both, (0.3, 0.7), wrt=(0, 1))
    assert np.allclose(srcgrad.grad(annotated)(X, V), V)
