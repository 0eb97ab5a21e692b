"""Adjoints that reuse a result the function computed (``defreuse``: det
after inv) and plain matrix products where ranks are known (``defranks``):
each checked in every mode against finite differences, and where it must
not apply, that it does not."""

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import RuleError
from tests.modes import assert_sound

rng = np.random.default_rng(7)
S0 = np.eye(3) * 2.0 + 0.3 * rng.standard_normal((3, 3))


def loglik(S, v):
    Sinv = np.linalg.inv(S)
    return np.log(np.linalg.det(S)) + v @ Sinv @ v


def rebound_between(S, v):
    Sinv = np.linalg.inv(S)
    S = S + 0.5 * np.eye(3)
    return np.log(np.linalg.det(S)) + v @ Sinv @ v


def written_between(S, v):
    S = S * 1.0
    Sinv = np.linalg.inv(S)
    S[0, 0] = S[0, 0] + 1.0
    return np.log(np.linalg.det(S)) + v @ Sinv @ v


def det_first(S, v):
    d = np.linalg.det(S)
    Sinv = np.linalg.inv(S)
    return d * (v @ Sinv @ v)


def in_a_loop(A, ys):
    m = np.zeros(A.shape[0])
    P = np.eye(A.shape[0])
    ll = 0.0
    for t in range(ys.shape[0]):
        m = A @ m
        P = A @ P @ A.T + 0.1 * np.eye(A.shape[0])
        v = ys[t] - m
        Sinv = np.linalg.inv(P)
        m = m + P @ Sinv @ v * 0.5
        ll = ll - 0.5 * (np.log(np.linalg.det(P)) + v @ Sinv @ v)
    return ll


def rebound_in_a_loop(S, v):
    total = 0.0
    for k in range(3):
        Sinv = np.linalg.inv(S)
        S = S + 0.1 * np.eye(3)
        total = total + np.log(np.linalg.det(S)) + v @ Sinv @ v
    return total


def written_through_a_view(M, v):
    M = M * 1.0
    S = M[:3, :3]
    Sinv = np.linalg.inv(S)
    M[0, 0] = M[0, 0] + 1.0            # S is a view of M: S changed too
    return np.log(np.linalg.det(S)) + v @ Sinv @ v


def test_no_reuse_when_the_matrix_changes_in_a_loop_or_through_a_view():
    assert "det_inv_da(" not in _source(rebound_in_a_loop, (0, 1))
    assert_sound(rebound_in_a_loop, (S0.copy(), V.copy()), wrt=(0, 1))
    M = np.vstack([S0, 0.1 * np.ones((1, 3))])
    src = _source(written_through_a_view, (0, 1))
    assert "det_inv_da(" not in src
    assert_sound(written_through_a_view, (M, V.copy()), wrt=(0, 1), expect="ok-or-refused")


def in_branches(S, v, flag):
    if flag:
        Sinv = np.linalg.inv(S)
    else:
        Sinv = np.eye(3)
    return np.linalg.det(S) * np.sum(Sinv @ v)


V = np.array([0.3, -0.2, 0.5])
YS = 0.3 * rng.standard_normal((4, 3))
A0 = 0.9 * np.eye(3) + 0.05 * rng.standard_normal((3, 3))


def _source(f, wrt):
    return srcgrad.source(srcgrad.grad(f, wrt=wrt))


@pytest.mark.parametrize("f, uses", [(loglik, True), (rebound_between, False),
                                     (written_between, False), (det_first, False)])
def test_det_reuses_the_inverse_only_where_it_is_the_same_matrix(f, uses):
    src = _source(f, (0, 1))
    assert ("det_inv_da(" in src) is uses
    assert ("det_da(" in src) is not uses
    assert_sound(f, (S0.copy(), V.copy()), wrt=(0, 1))


def test_det_reuses_the_inverse_in_a_loop():
    assert "det_inv_da(" in _source(in_a_loop, (0,))
    assert_sound(in_a_loop, (A0.copy(), YS.copy()), wrt=0)


@pytest.mark.parametrize("flag", [True, False])
def test_an_inverse_computed_in_one_branch_only_is_not_reused(flag):
    assert "det_inv_da(" not in _source(in_branches, (0, 1))
    assert_sound(in_branches, (S0.copy(), V.copy(), flag), wrt=(0, 1))


def products(A, B, s):
    x = np.ones(A.shape[0]) * s     # a vector (s: a number)
    y = A @ x            # matrix @ vector (A.T is read below: A is guessed a matrix)
    z = x @ B            # vector @ matrix
    C = A.T @ B.T        # matrix @ matrix
    return np.sum(np.tanh(y)) + np.sum(z * z) + np.sum(C * C) + (x @ y)


def test_matrix_products_of_known_ranks_are_plain_products():
    src = _source(products, (0, 1, 2)).split("\n\n\ndef ")[0]
    # (the guard: the specialised version's first line, or the function
    # choosing a version of a long gradient, compiler/lazy.py)
    guard = next(ln for ln in _source(products, (0, 1, 2)).splitlines() if "ndim" in ln)
    assert "A.ndim != 2" in guard and "B.ndim != 2" in guard
    assert "matmul_dx" not in src and "matmul_dy" not in src
    assert "np.outer(" in src
    B = rng.standard_normal((3, 3))
    assert_sound(products, (A0.copy(), B, 0.7), wrt=(0, 1, 2))


def stacked(A, s):
    x = np.ones(3) * s
    y = A @ x
    return np.sum(np.tanh(y)) + np.sum(A.T * A.T)


def test_other_ranks_take_the_generic_version():
    # a stack of matrices: the guard (A.ndim != 2) fails and the generic version is right
    assert "A.ndim != 2" in _source(stacked, (0, 1)).split("\n\n\ndef ")[0]
    assert_sound(stacked, (rng.standard_normal((2, 3, 3)), 0.4), wrt=(0, 1))
    assert_sound(stacked, (A0.copy(), 0.4), wrt=(0, 1))


def cube(x):
    return x ** 3


def square(x):
    return x ** 2


def uses_both(x):
    s = square(x)
    return np.sum(cube(x) + s)


def test_a_user_rule_reuses_a_result():
    srcgrad.defvjp(square, "x", "2.0 * g * x")
    srcgrad.defvjp(cube, "x", "3.0 * g * x * x")
    srcgrad.defreuse(cube, square, "3.0 * g * other")
    try:
        src = _source(uses_both, 0)
        assert "* s\n" in src and "x * x" not in src
        assert_sound(uses_both, (np.array([0.5, -1.5]),), wrt=0, modes=("grad", "vjp"))
    finally:
        from srcgrad.rules import registry
        for fun in (square, cube):
            registry._RULES.pop(registry._key(fun), None)
            registry.USER_RULES.pop(registry._name(fun), None)


def test_bad_declarations_are_refused():
    def fresh(x):
        return x
    with pytest.raises(RuleError, match="declare the rule"):
        srcgrad.defreuse(fresh, np.linalg.inv, "g")
    with pytest.raises(RuleError, match="declare the rule"):
        srcgrad.defranks(fresh, (2,), "g")
    with pytest.raises(RuleError, match="ranks must be"):
        srcgrad.defranks(np.matmul, [2, 2], "g", "g")
    with pytest.raises(RuleError, match="has no rule"):
        srcgrad.defreuse(np.linalg.det, fresh, "g")


def transposed(A, x):
    At = A.T
    B = A @ At               # the adjoint of A reads the transpose of At: A itself
    return np.sum(np.tanh(B @ x))


def transposed_carried(A, x):
    At = np.eye(3)
    total = 0.0
    for k in range(3):
        total = total + np.sum(np.tanh(A @ At @ x))   # At from the previous iteration here
        At = A.T * (1.0 + k)
    return total


def test_the_transpose_of_a_transpose_is_read_as_the_matrix():
    src = _source(transposed, (0, 1))
    assert "At.T" not in src and "d_B @ A\n" in src
    assert_sound(transposed, (A0.copy(), V.copy()), wrt=(0, 1))


def test_a_transpose_read_around_a_loop_is_not_replaced():
    # At is read before it is bound again: not A.T of this iteration
    assert_sound(transposed_carried, (A0.copy(), V.copy()), wrt=(0, 1))
