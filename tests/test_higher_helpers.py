"""Second derivatives through srcgrad's own runtime helpers.

A gradient calls helpers (``solve_da``, ``prod_dx``, ``cholesky_da`` ...);
its Hessian differentiates them again.  Helpers with a rule of their own are
checked in ``tests/test_higher.py``; the others are differentiated from their
source like the user's functions.  Each case: the Hessian (forward over
reverse) against central finite differences of the gradient, or the refusal
that is expected.
"""

import numpy as np
import pytest

import srcgrad

from tests.fd import fd_jacobian

R = np.random.default_rng(0)
A = R.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
S = A @ A.T
B = R.uniform(-1, 1, 3)
B2 = R.uniform(-1, 1, (3, 2))
X = R.uniform(0.5, 1.5, 4)
M = R.uniform(0.5, 1.5, (3, 4))
W3 = np.array([1., 2., 3.])


def prod_all(x):
    return np.prod(x)


def prod_axis(m):
    return np.sum(np.prod(m, axis=1) ** 2)


def prod_zero(x):
    return np.prod(x * np.array([1., 0., 1., 1.]))


def solve_b(b):
    return np.sum(np.linalg.solve(A, b) ** 2)


def solve_a(a):
    return np.sum(np.linalg.solve(a, B) ** 2)


def solve_matrix_b(a):
    return np.sum(np.linalg.solve(a, B2) ** 3)


def det_squared(a):
    return np.linalg.det(a) ** 2


def slogdet_(a):
    return np.linalg.slogdet(a)[1]


def cholesky_(s):
    return np.sum(np.linalg.cholesky(s) ** 2)


def cholesky_logdet(a):
    return np.sum(np.log(np.diag(np.linalg.cholesky(a @ a.T + np.eye(3)))))


def eigvalsh_(s):
    return np.sum(np.linalg.eigvalsh(s) ** 3)


def pinv_(m):
    return np.sum(np.linalg.pinv(m) ** 2)


def split_(x):
    return np.sum(np.split(x, 2)[0] ** 3)


def cumprod_(x):
    return np.sum(np.cumprod(x) ** 2)


def average_axis(m):
    return np.sum(np.average(m, axis=0, weights=W3) ** 2)


def average_weights(x):
    return np.average(np.array([1., 2., 3., 4.]), weights=x) ** 2


def qr_r(m):
    return np.sum(np.linalg.qr(m.T)[1] ** 2)


def svd_values(m):
    return np.sum(np.linalg.svd(m, compute_uv=False) ** 3)


def svd_vectors(m):
    u, s, vh = np.linalg.svd(m, full_matrices=False)
    return np.sum(u ** 3) + np.sum(s ** 2) + np.sum(vh[0] ** 3)


def svd_square_full(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u[:, 0] ** 3) + np.sum(vh ** 3 * a)


def eigh_values(s):
    return np.sum(np.linalg.eigh(s)[0] ** 3)


def eigh_vectors(s):
    w, v = np.linalg.eigh(s)
    return np.sum(w * W3) + np.sum(v[:, 0] ** 2 * W3) + np.sum(v[1] ** 3)


def qr_both(m):
    q, r = np.linalg.qr(m.T)
    return np.sum(r ** 2) + np.sum(q ** 3)


def slogdet_both(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet ** 2


CASES = [(prod_all, X), (prod_axis, M), (prod_zero, X), (solve_b, B), (solve_a, A),
         (solve_matrix_b, A), (det_squared, A), (slogdet_, A), (cholesky_, S),
         (cholesky_logdet, A), (eigvalsh_, S), (pinv_, M), (split_, X), (cumprod_, X),
         (average_axis, M), (average_weights, X), (qr_r, M), (svd_values, M),
         (svd_vectors, M), (svd_vectors, M.T), (svd_square_full, A), (eigh_values, S),
         (eigh_vectors, S), (qr_both, M), (slogdet_both, A)]


@pytest.mark.parametrize("f, x", CASES, ids=[c[0].__name__ for c in CASES])
def test_hessian_through_helpers(f, x):
    g = srcgrad.grad(f)
    H = np.asarray(srcgrad.hessian(f)(x)).reshape(x.size, x.size)
    H_fd = fd_jacobian(lambda z: g(z), (x,), 0).reshape(x.size, x.size)
    np.testing.assert_allclose(H, H_fd, rtol=1e-6, atol=1e-7 * (1 + np.max(np.abs(H_fd))))


def test_det_second_order_at_a_singular_matrix_is_refused_when_it_runs():
    h = srcgrad.hessian(det_squared)
    with pytest.raises(srcgrad.UnsupportedError, match="second derivative of np.linalg.det "
                       "at a singular matrix"):
        h(np.zeros((2, 2)))
    # the same generated function is right where the matrix is invertible
    H = h(np.eye(2)).reshape(4, 4)
    expected = np.zeros((4, 4))
    expected[0, 0] = expected[3, 3] = 2.0
    expected[0, 3] = expected[3, 0] = 4.0
    expected[1, 2] = expected[2, 1] = -2.0
    np.testing.assert_allclose(H, expected)


def test_svd_vectors_hessian_at_repeated_singular_values_is_refused_with_the_reason():
    def f(m):
        u, s, vh = np.linalg.svd(m)
        return np.sum(u ** 3)
    with pytest.raises(srcgrad.UnsupportedError, match="repeated or zero"):
        srcgrad.hessian(f)(np.eye(3))
