"""scipy.linalg in every mode (grad, jvp, hvp) against finite differences:
solve, solve_triangular, cholesky, cho_factor / cho_solve (a Gaussian
process), lu_factor / lu_solve, inv, det, expm, sqrtm, eigh, svd, qr, and the
runtime helpers their gradients call (second order goes through them).

Matrices that SciPy reads one triangle of get other values in the other
triangle, so that a derivative leaking into it shows."""

import numpy as np
import pytest
import scipy.linalg as sl

import srcgrad
from srcgrad.rules.scipy import linalg as rules
from srcgrad.runtime import scipy_linalg as rt
from tests.modes import assert_sound, check_modes

RNG = np.random.default_rng(12)
ALL = ("grad", "jvp", "hvp")
FIRST = ("grad", "jvp")


def spd(n):
    m = RNG.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def noisy(a, lower):
    """``a`` with other values in the triangle SciPy does not read."""
    junk = RNG.normal(size=a.shape)
    return a + (np.triu(junk, 1) if lower else np.tril(junk, -1))


A = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
A4 = RNG.normal(size=(4, 4)) + 4 * np.eye(4)
P = noisy(spd(3), lower=False)          # read: upper triangle
PL = noisy(spd(3), lower=True)          # read: lower triangle
B = RNG.normal(size=3)
B2 = RNG.normal(size=(3, 2))
V = RNG.normal(size=3)
V2 = RNG.normal(size=(3, 2))
W = RNG.normal(size=(3, 3))
TALL = RNG.normal(size=(4, 3))
W43 = RNG.normal(size=(4, 3))


# -- solve ----------------------------------------------------------------------------

SOLVE = [
    (lambda a, b: np.sum(sl.solve(a, b) * V), (A, B)),
    (lambda a, b: np.sum(sl.solve(a, b) * V2), (A, B2)),
    (lambda a, b: np.sum(sl.solve(a, b, assume_a="gen") ** 2), (A, B)),
    (lambda a, b: np.sum(sl.solve(a, b, transposed=True) * V), (A, B)),
    (lambda a, b: np.sum(sl.solve(a, b, transposed=True) * V2), (A, B2)),
    (lambda a, b: np.sum(sl.solve(a, b, assume_a="pos") * V), (P, B)),
    (lambda a, b: np.sum(sl.solve(a, b, assume_a="sym", lower=True) * V2), (PL, B2)),
    (lambda a, b: np.sum(sl.solve(a, b, assume_a="positive definite", lower=True) ** 2), (PL, B)),
]


@pytest.mark.parametrize("i", range(len(SOLVE)))
def test_solve(i):
    f, args = SOLVE[i]
    assert_sound(f, args, wrt=(0, 1), modes=ALL)


TRIANGULAR = [
    (lambda a, b: np.sum(sl.solve_triangular(a, b, lower=True) * V), (A, B)),
    (lambda a, b: np.sum(sl.solve_triangular(a, b) * V2), (A, B2)),
    (lambda a, b: np.sum(sl.solve_triangular(a, b, trans=1, lower=True) * V), (A, B)),
    (lambda a, b: np.sum(sl.solve_triangular(a, b, trans="T") * V2), (A, B2)),
    (lambda a, b: np.sum(sl.solve_triangular(a, b, lower=True, unit_diagonal=True) ** 2), (A, B)),
    (lambda a, b: np.sum(sl.solve_triangular(a, b, trans="C", unit_diagonal=True) * V), (A, B)),
]


@pytest.mark.parametrize("i", range(len(TRIANGULAR)))
def test_solve_triangular(i):
    f, args = TRIANGULAR[i]
    assert_sound(f, args, wrt=(0, 1), modes=ALL)


# -- Cholesky ---------------------------------------------------------------------------

CHOLESKY = [
    (lambda a: np.sum(sl.cholesky(a) * W), (P,)),
    (lambda a: np.sum(sl.cholesky(a, lower=True) * W), (PL,)),
    (lambda a: np.sum(np.log(np.diag(sl.cholesky(a, lower=True)))), (PL,)),
    (lambda a: np.sum(sl.cho_factor(a)[0] * W), (P,)),          # the other triangle is a's
    (lambda a: np.sum(sl.cho_factor(a, lower=True)[0] * W), (PL,)),
    (lambda a, b: np.sum(sl.cho_solve(sl.cho_factor(a), b) * V), (P, B)),
    (lambda a, b: np.sum(sl.cho_solve(sl.cho_factor(a, lower=True), b) * V2), (PL, B2)),
    (lambda a, b: np.sum(sl.cho_solve((sl.cholesky(a, lower=True), True), b) * V), (PL, B)),
]


@pytest.mark.parametrize("i", range(len(CHOLESKY)))
def test_cholesky(i):
    f, args = CHOLESKY[i]
    assert_sound(f, args, wrt=tuple(range(len(args))), modes=ALL)


def gp_nll(X, y, ell, noise):
    """A Gaussian process's negative log marginal likelihood (up to a constant)."""
    K = np.exp(-0.5 * (X[:, None] - X[None, :]) ** 2 / ell ** 2) + noise * np.eye(len(X))
    c = sl.cho_factor(K)
    alpha = sl.cho_solve(c, y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(c[0])))


def gp_nll_lower(X, y, ell, noise):
    K = np.exp(-0.5 * (X[:, None] - X[None, :]) ** 2 / ell ** 2) + noise * np.eye(len(X))
    L, lower = sl.cho_factor(K, lower=True)
    alpha = sl.cho_solve((L, lower), y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L)))


XS = np.linspace(0.0, 2.0, 6)
YS = np.sin(2.0 * XS) + 0.1 * RNG.normal(size=6)


def test_gaussian_process():
    assert_sound(gp_nll, (XS, YS, 0.7, 0.2), wrt=(2, 3), modes=ALL)
    assert_sound(gp_nll, (XS, YS, 0.7, 0.2), wrt=(0, 1), modes=ALL)


def test_gaussian_process_unpacked():
    assert_sound(gp_nll_lower, (XS, YS, 0.7, 0.2), wrt=(0, 1, 2, 3), modes=FIRST)
    # (the gradient of an unpacked pair writes d_values[0] += d_L into the pair's
    # adjoint, which the hvp's aliasing check refuses: a compiler limitation)
    assert_sound(gp_nll_lower, (XS, YS, 0.7, 0.2), wrt=(2, 3), modes=("hvp",),
                 expect="ok-or-refused")


def test_gaussian_process_gradient_reads_like_a_hand_written_adjoint():
    text = srcgrad.source(srcgrad.grad(gp_nll, wrt=(2, 3)))
    assert "d_c += cho_solve_dc(d_alpha, c, alpha)" in text
    assert "d_K = cho_factor_da(d_c, c)" in text


# -- LU, inverse, determinant -------------------------------------------------------

def lu_use(a, b):
    lu, piv = sl.lu_factor(a)
    return np.sum(sl.lu_solve((lu, piv), b) * V) + np.sum(lu * W)


def lu_use_indexed(a, b):
    f = sl.lu_factor(a)
    return np.sum(sl.lu_solve(f, b) * V) + np.sum(f[0] * W)


def lu_use_t(a, b):
    return np.sum(sl.lu_solve(sl.lu_factor(a), b, trans=1) * V2)


@pytest.mark.parametrize("f,args", [(lu_use_indexed, (A, B)), (lu_use_t, (A, B2))])
def test_lu(f, args):
    assert_sound(f, args, wrt=(0, 1), modes=ALL)


def test_lu_unpacked():
    assert_sound(lu_use, (A, B), wrt=(0, 1), modes=FIRST)
    # (the gradient of an unpacked pair writes into the pair's adjoint in place,
    # which the hvp's aliasing check refuses, as for gp_nll_lower)
    assert_sound(lu_use, (A, B), wrt=(0, 1), modes=("hvp",), expect="ok-or-refused")


INVDET = [
    (lambda a: np.sum(sl.inv(a) * W), (A,)),
    (lambda a: np.sum(sl.inv(a, assume_a="pos") * W), (P,)),
    (lambda a: np.sum(sl.inv(a, assume_a="sym", lower=True) * W), (PL,)),
    (lambda a: sl.det(a), (A,)),
    (lambda a: sl.det(a) ** 2, (A4,)),
]


@pytest.mark.parametrize("i", range(len(INVDET)))
def test_inv_det(i):
    f, args = INVDET[i]
    assert_sound(f, args, wrt=0, modes=ALL)


# -- functions of a matrix ----------------------------------------------------------

SMALL = 0.3 * RNG.normal(size=(3, 3))
E = RNG.normal(size=(3, 3))
MATFUN = [
    (lambda a: np.sum(sl.expm(a) * W), (SMALL,), 0),
    (lambda a: np.sum(sl.expm(2.0 * a) ** 2), (SMALL,), 0),
    (lambda a: np.sum(sl.sqrtm(a) * W), (spd(3),), 0),
    (lambda a, b, q: np.sum(sl.solve_sylvester(a, b, q) * W), (A, spd(3), E), (0, 1, 2)),
]


@pytest.mark.parametrize("i", range(len(MATFUN)))
def test_matrix_functions(i):
    f, args, wrt = MATFUN[i]
    assert_sound(f, args, wrt=wrt, modes=ALL)


def frechet(a, e):
    return np.sum(sl.expm_frechet(a, e, compute_expm=False) * W)


def test_expm_frechet():
    # (expm's second order goes through expm_frechet's first; its own second
    # order would need rules for expm_frechet_da)
    assert_sound(frechet, (SMALL, E), wrt=(0, 1), modes=FIRST)


# -- eigh, svd, qr: NumPy's helpers (first order; second order refused clearly) -----

def eigh_use(a):
    w, v = sl.eigh(a)
    return np.sum(w ** 2) + np.sum(v[:, 0] ** 2 * V)


def eigh_upper(a):
    w, v = sl.eigh(a, lower=False)
    return np.sum(w * V) + np.sum(v[:, 2] ** 2 * V)


def eigh_values(a):
    return np.sum(sl.eigh(a, eigvals_only=True) ** 3)


def svd_values(a):
    return np.sum(sl.svd(a, compute_uv=False) ** 3)


def qr_economic(a):
    q, r = sl.qr(a, mode="economic")
    return np.sum(r * W) + np.sum(q ** 2 * W43)


def qr_square(a):
    q, r = sl.qr(a)
    return np.sum(r * W) + np.sum(q[:, 0] * V)


@pytest.mark.parametrize("f,args", [(eigh_use, (PL,)), (eigh_upper, (P,)), (eigh_values, (PL,)),
                                    (svd_values, (TALL,)), (qr_economic, (TALL,)),
                                    (qr_square, (A,))])
def test_decompositions(f, args):
    assert_sound(f, args, wrt=0, modes=FIRST)
    assert_sound(f, args, wrt=0, modes=("hvp",), expect="ok-or-refused")


# -- keywords that are not constants in the source ----------------------------------

def keywords_as_values(a, b, lower, assume_a, trans):
    x = sl.solve(a, b, assume_a=assume_a, lower=lower)
    y = sl.solve_triangular(a, x, trans=trans, lower=lower)
    return np.sum(y * V) + np.sum(sl.inv(a, assume_a=assume_a, lower=lower) * W)


@pytest.mark.parametrize("lower,assume_a,trans", [(True, "pos", 1), (False, None, "N"),
                                                  (True, "sym", 0)])
def test_keywords_as_values(lower, assume_a, trans):
    a = PL if lower else P
    assert_sound(keywords_as_values, (a, B, lower, assume_a, trans), wrt=(0, 1), modes=ALL)


# -- refusals -------------------------------------------------------------------------

def solve_banded(a, b):
    return np.sum(sl.solve(a, b, assume_a="banded"))


def svd_vectors(a):
    u, s, vh = sl.svd(a)
    return np.sum(s)


def qr_r(a):
    (r,) = sl.qr(a, mode="r")
    return np.sum(r)


def qr_pivoting(a):
    q, r, p = sl.qr(a, pivoting=True)
    return np.sum(r)


def qr_full_tall(a):
    q, r = sl.qr(a)
    return np.sum(r * W43)


def qr_wide(a):
    q, r = sl.qr(a, mode="economic")
    return np.sum(r)


def eigh_generalized(a, b):
    return np.sum(sl.eigh(a, b, eigvals_only=True))


def frechet_pair(a, e):
    ea, l = sl.expm_frechet(a, e)
    return np.sum(l)


def sqrtm_disp(a):
    x, err = sl.sqrtm(a, disp=False)
    return np.sum(x)


def solve_batch(a, b):
    return np.sum(sl.solve(a, b))


REFUSED = [
    (solve_banded, (A, B), 0),
    (svd_vectors, (TALL,), 0),           # at run time: U's extra columns are not unique
    (qr_r, (A,), 0),
    (qr_pivoting, (A,), 0),
    (qr_full_tall, (TALL,), 0),          # at run time: Q is not unique
    (qr_wide, (np.ascontiguousarray(TALL.T),), 0),     # at run time
    (eigh_generalized, (PL, spd(3)), 0),
    (frechet_pair, (SMALL, E), 0),
    (sqrtm_disp, (spd(3),), 0),
    (solve_batch, (np.stack([A, A4[:3, :3]]), np.stack([B2, B2])), 0),   # at run time
]


@pytest.mark.parametrize("f,args,wrt", REFUSED, ids=lambda v: getattr(v, "__name__", ""))
def test_refused(f, args, wrt):
    assert_sound(f, args, wrt=wrt, modes=("grad",), expect="refused")


def test_refused_at_transformation_time():
    with pytest.raises(srcgrad.UnsupportedError, match="assume_a"):
        srcgrad.grad(solve_banded)


# -- the runtime helpers' own rules (what second order differentiates) --------------

X1 = RNG.normal(size=3)
H1 = RNG.normal(size=3)
H2 = RNG.normal(size=(3, 2))
WT = np.ascontiguousarray(W.T)
LOW = np.tril(spd(3)) + np.triu(RNG.normal(size=(3, 3)), 1)
UP = np.ascontiguousarray(LOW.T)
LU = sl.lu_factor(A4[:3, :3] + RNG.normal(size=(3, 3)))
# their rules are compositions of functions with rules: every order
HELPERS = [
    (lambda s: np.sum(rt.tri_sym(s, True) * W), (WT,), 0),
    (lambda s: np.sum(rt.sym_read(s) * W), (WT,), 0),
    (lambda s: np.sum(rt.solve_read(s, True, "pos") * W), (WT,), 0),
    (lambda s: np.sum(rt.solve_read_t(s, False, None, True) * W), (WT,), 0),
    (lambda s: np.sum(rt.tri_read(s, "T", True, True) * W), (WT,), 0),
    (lambda s: np.sum(rt.tri_read_t(s, 1) * W), (WT,), 0),
    (lambda h, a, x: np.sum(rt.solve_da(h, a, x) * W), (H1, A, X1), (0, 1, 2)),
    (lambda h, a, x: np.sum(rt.solve_da(h, a, x, transposed=True) * W), (H2, A, V2), (0, 1, 2)),
    (lambda h, a, x: np.sum(rt.solve_da(h, a, x, assume_a="pos") * W), (H1, P, X1), (0, 1, 2)),
    (lambda h, a, x: np.sum(rt.solve_triangular_da(h, a, x, lower=True) * W), (H1, A, X1),
     (0, 1, 2)),
    (lambda h, a, x: np.sum(rt.solve_triangular_da(h, a, x, trans=1, unit_diagonal=True) * W),
     (H2, A, V2), (0, 1, 2)),
]
# the Cholesky adjoints' rules call helpers without rules: second order of the
# primal (grad: their adjoints; jvp: their tangents), not third
CHOLESKY_HELPERS = [
    (lambda h, c: np.sum(rt.cholesky_da(h, c, True) * W), (WT, LOW), (0, 1)),
    (lambda h, c: np.sum(rt.cholesky_da(h, c) * W), (WT, UP), (0, 1)),
    (lambda h, c: np.sum(rt.cho_factor_da([h, 0.0], (c, True)) * W), (WT, LOW), (0, 1)),
    (lambda h, c: np.sum(rt.cho_factor_da([h, 0.0], (c, False)) * W), (WT, UP), (0, 1)),
    (lambda h, c, x: np.sum(rt.cho_solve_dc(h, (c, True), x)[0] * W), (H1, LOW, X1), (0, 1, 2)),
    (lambda h, c, x: np.sum(rt.cho_solve_dc(h, (c, False), x)[0] * W), (H2, UP, V2),
     (0, 1, 2)),
    (lambda h: np.sum(rt.lu_factor_da([h, 0.0], A, LU) * W), (WT,), 0),
    (lambda h, x: np.sum(rt.lu_solve_dlu(h, LU, x)[0] * W), (H1, X1), (0, 1)),
    (lambda h, x: np.sum(rt.lu_solve_dlu(h, LU, x, 1)[0] * W), (H2, V2), (0, 1)),
]


# forward over reverse through the LU adjoints: the factor moves
def lu_factor_da_moved(h, a):
    return np.sum(rt.lu_factor_da([h, 0.0], a, sl.lu_factor(a)) * W)


def lu_solve_dlu_moved(h, a, x):
    return np.sum(rt.lu_solve_dlu(h, sl.lu_factor(a), x, 1)[0] * W)


@pytest.mark.parametrize("f,args", [(lu_factor_da_moved, (WT, A)),
                                    (lu_solve_dlu_moved, (H2, A, V2))])
def test_lu_helper_tangent(f, args):
    outcomes = check_modes(f, args, wrt=tuple(range(len(args))), modes=("jvp",))
    assert [str(o) for o in outcomes if o.mode == "jvp"] == ["jvp: ok"], outcomes
    # (reverse over reverse with respect to the factor is refused clearly)
    assert all(o.status == "refused" for o in outcomes if o.mode == "grad"), outcomes


@pytest.mark.parametrize("i", range(len(HELPERS)))
def test_helper_rule(i):
    f, args, wrt = HELPERS[i]
    assert_sound(f, args, wrt=wrt, modes=ALL)


@pytest.mark.parametrize("i", range(len(CHOLESKY_HELPERS)))
def test_cholesky_helper_rule(i):
    f, args, wrt = CHOLESKY_HELPERS[i]
    assert_sound(f, args, wrt=wrt, modes=FIRST)


def test_every_helper_rule_is_tested():
    import inspect
    source = inspect.getsource(inspect.getmodule(test_helper_rule))
    for helper in rules.HELPER_RULES:
        assert f"rt.{helper.__name__}(" in source, helper
