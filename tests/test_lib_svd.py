"""np.linalg.svd with its singular vectors (and scipy.linalg.svd, svdvals).

``u, s, vh = np.linalg.svd(a, full_matrices=False)`` is differentiated in
reverse and forward mode (Townsend, "Differentiating the singular value
decomposition"), for square, tall and wide matrices and stacks of them;
``full_matrices=True`` for square matrices; ``hermitian=True`` through the
lower triangle NumPy reads.  Second order goes through the helpers' source.
Refused when the code runs: ``full_matrices=True`` of a matrix that is not
square (U's extra columns are not unique), and the vectors of a repeated or
zero singular value (not unique) where the result depends on them; in forward
mode their tangents are NaN.
"""

import numpy as np
import pytest
import scipy.linalg

import srcgrad

from tests.modes import assert_sound

RNG = np.random.default_rng(12)
ALL = ("grad", "jvp", "hvp")


def weights(shape, k):
    return np.cos(np.arange(np.prod(shape)) + k).reshape(shape)


def uses_everything(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(u ** 3 * weights(u.shape, 1)) + np.sum(s ** 2 * weights(s.shape, 2)) + \
        np.sum(vh ** 3 * weights(vh.shape, 3))


def uses_u_only(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(u[:, 0] ** 2 * weights(u[:, 0].shape, 4)) + np.sum(u[-1] ** 3)


def uses_vh_only(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(vh[0] * weights(vh[0].shape, 5)) ** 2


def uses_s_of_triple(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(s ** 3)


def reconstruct(a):
    # U diag(s) Vh is a again: the derivative is that of sum(a ** 2 * w)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    b = (u * s) @ vh
    return np.sum(b ** 2 * weights(b.shape, 6))


def square_full(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u ** 3 * weights(u.shape, 7)) + np.sum(vh[:, 1] * s)


def indexed_result(a):
    r = np.linalg.svd(a, full_matrices=False)
    return np.sum(r[0] ** 3) + np.sum(r[2][0] ** 3) + np.sum(r[1])


def values_only(a):
    return np.sum(np.linalg.svd(a, compute_uv=False) ** 3 * weights((min(a.shape),), 8))


def svdvals_(a):
    return np.sum(np.log(np.linalg.svdvals(a)))


def hermitian_values(a):
    return np.sum(np.linalg.svd(a, compute_uv=False, hermitian=True) ** 3 * np.arange(1.0, 4.0))


def hermitian_vectors(a):
    u, s, vh = np.linalg.svd(a, hermitian=True)
    return np.sum(u[:, 0] ** 3) + np.sum(s * np.arange(1.0, 4.0)) + np.sum(vh[1] ** 3)


def stacked(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(u ** 3) + np.sum(vh[..., 0, :] ** 3) + np.sum(s ** 2)


def scipy_vectors(a):
    u, s, vh = scipy.linalg.svd(a, full_matrices=False)
    return np.sum(u ** 3) + np.sum(vh ** 3) + np.sum(s)


def scipy_square_gesvd(a):
    u, s, vh = scipy.linalg.svd(a, lapack_driver="gesvd")
    return np.sum(u[:, 0] ** 3) + np.sum(vh ** 3)


def keyword_as_value(a, full):
    u, s, vh = np.linalg.svd(a, full_matrices=full)
    return np.sum(u ** 3) + np.sum(vh ** 3)


def symmetric(n):
    m = RNG.normal(size=(n, n))
    return m + m.T


SHAPES = [(3, 3), (4, 3), (5, 2), (3, 5), (2, 4), (1, 3), (3, 1), (2, 2)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("f", [uses_everything, uses_u_only, uses_vh_only, uses_s_of_triple,
                               reconstruct, indexed_result, values_only, svdvals_],
                         ids=lambda f: f.__name__)
def test_svd_shapes(f, shape):
    a = RNG.normal(size=shape)
    assert_sound(f, (a,), 0, modes=ALL)


@pytest.mark.parametrize("f, a", [
    (square_full, RNG.normal(size=(3, 3))),
    (square_full, RNG.normal(size=(4, 4))),
    (hermitian_values, symmetric(3)),
    (hermitian_vectors, symmetric(3)),
    (hermitian_vectors, symmetric(3) + np.triu(RNG.normal(size=(3, 3)), 1)),  # reads the lower
    (stacked, RNG.normal(size=(2, 4, 3))),
    (stacked, RNG.normal(size=(3, 2, 4))),
    (stacked, RNG.normal(size=(2, 3, 3))),
    (scipy_vectors, RNG.normal(size=(4, 3))),
    (scipy_vectors, RNG.normal(size=(2, 5))),
    (scipy_square_gesvd, RNG.normal(size=(3, 3))),
], ids=lambda v: getattr(v, "__name__", None))
def test_svd_variants(f, a):
    assert_sound(f, (a,), 0, modes=ALL)


@pytest.mark.parametrize("full", [False, True])
def test_full_matrices_as_a_value(full):
    assert_sound(keyword_as_value, (RNG.normal(size=(3, 3)), full), 0, modes=ALL)
    assert_sound(keyword_as_value, (RNG.normal(size=(4, 3)), False), 0, modes=ALL)


def test_reconstruction_gradient_is_exact():
    a = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(srcgrad.grad(reconstruct)(a), 2 * a * weights(a.shape, 6),
                               rtol=1e-10, atol=1e-12)


# -- refusals -------------------------------------------------------------------------

def tall_full(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(u[:, 0] ** 3) + np.sum(s)


def wide_full_scipy(a):
    u, s, vh = scipy.linalg.svd(a)
    return np.sum(s ** 2)


@pytest.mark.parametrize("f, a", [(tall_full, RNG.normal(size=(4, 3))),
                                  (tall_full, RNG.normal(size=(2, 3))),
                                  (wide_full_scipy, RNG.normal(size=(2, 4))),
                                  (keyword_as_value, RNG.normal(size=(4, 3)))],
                         ids=lambda v: getattr(v, "__name__", None))
def test_full_matrices_of_a_matrix_not_square_is_refused(f, a):
    args = (a, True) if f is keyword_as_value else (a,)
    assert_sound(f, args, 0, modes=("grad", "jvp"), expect="refused")
    with pytest.raises(srcgrad.UnsupportedError, match="not square"):
        srcgrad.grad(f)(*args)


def first_vectors(m):
    u, s, vh = np.linalg.svd(m)
    return np.sum(np.outer(u[:, 0], vh[0]) * weights((3, 3), 9)) + np.sum(u[:, 0] ** 2 * s)


def test_vectors_of_repeated_singular_values_are_refused():
    a = np.diag([3.0, 2.0, 2.0])
    with pytest.raises(srcgrad.UnsupportedError, match="repeated or zero"):
        srcgrad.grad(uses_everything)(a)
    # the Hessian of the values needs the vectors' tangents: NaN (forward over reverse)
    assert np.all(np.isnan(srcgrad.hessian(values_only)(a)))
    # the vectors of the value that is not repeated have a derivative (used here so
    # that LAPACK's choice of their signs, not continuous at a diagonal matrix, cancels)
    assert_sound(first_vectors, (a,), 0, modes=("grad",))
    # forward mode cannot tell which vectors are used: NaN for those, exact for the rest
    _, t = srcgrad.jvp(uses_everything)(a, np.ones((3, 3)))
    assert np.isnan(t)
    _, t = srcgrad.jvp(uses_s_of_triple)(a, np.eye(3))
    assert np.isclose(t, 3 * (9 + 4 + 4))


def test_vectors_of_a_zero_singular_value_are_refused():
    a = np.array([[2.0, 0.0], [0.0, 0.0], [0.0, 0.0]])        # s = (2, 0) exactly
    with pytest.raises(srcgrad.UnsupportedError, match="repeated or zero"):
        srcgrad.grad(uses_everything)(a)
    # the singular values alone are differentiated there
    assert_sound(uses_s_of_triple, (a,), 0, modes=("grad", "jvp"))
