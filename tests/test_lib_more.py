"""The functions autograd wraps that srcgrad covered last (issue #12): NumPy's
nan_to_num, real_if_close and the function form of astype; scipy.special's
gammasgn, fresnel, sici, ellipk, ellipe, ellipkm1; scipy.stats'
dirichlet.pdf and multivariate_normal.entropy (also of frozen
distributions); scipy.linalg.solve_banded and its helpers.

Each in every mode (grad, jvp, hvp against finite differences,
``tests.modes.assert_sound``), on several shapes and keyword variants, and
the argument combinations that are refused.  srcgrad reads a function's
source, so the tested functions are module-level; ``use`` sets the globals
they read and clears srcgrad's cache.
"""

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from scipy import special
from scipy.linalg import solve_banded

import srcgrad
from srcgrad.runtime import scipy_banded as rt
from tests.modes import assert_sound, check_modes

ALL = ("grad", "jvp", "hvp")
FIRST = ("grad", "jvp")


def use(**values):
    globals().update(values)
    srcgrad.clear_cache()


def refused(f, args, wrt=0, words=()):
    """Every first-order mode refuses ``f`` with a message holding ``words``."""
    for outcome in check_modes(f, args, wrt, modes=FIRST):
        assert outcome.status == "refused", (f.__name__, str(outcome))
        for w in words:
            assert w in outcome.detail, (w, outcome.detail)


# --------------------------------------------------------------------------
# NumPy: nan_to_num, real_if_close, astype

def nan_to_num_plain(x):
    return np.sum(np.sin(np.nan_to_num(x)) ** 2)


def nan_to_num_values(x, v):
    return np.sum(np.sin(np.nan_to_num(x, nan=v, posinf=2.0 * v, neginf=-v) * v))


def nan_to_num_keyword_copy(x, v):
    return np.sum(np.nan_to_num(x * v, copy=True, nan=v) ** 2)


def nan_to_num_copy_false(x):
    return np.sum(np.nan_to_num(x, copy=False))


def nan_to_num_copy_varied(x, c):
    return np.sum(np.nan_to_num(x, copy=c > 0))


SPECIALS = np.array([0.5, np.inf, -np.inf, np.nan, -1.3, 0.2])


@pytest.mark.parametrize("shape", [(), (6,), (2, 3)])
def test_nan_to_num(shape):
    rng = np.random.default_rng(len(shape))
    finite = rng.uniform(-1.5, 1.5, size=shape)
    x = float(finite) if shape == () else finite
    assert_sound(nan_to_num_plain, (x,), modes=ALL)
    assert_sound(nan_to_num_values, (x, 0.7), wrt=(0, 1), modes=ALL)
    assert_sound(nan_to_num_keyword_copy, (x, 0.7), wrt=(0, 1), modes=ALL)
    if shape:
        # nan and infinities: adjoint 0 there, and the replacement values get theirs
        special_x = SPECIALS.reshape(shape) if shape == (2, 3) else SPECIALS
        with np.errstate(invalid="ignore"):
            assert_sound(nan_to_num_plain, (special_x,), modes=ALL)
            assert_sound(nan_to_num_values, (special_x, 0.7), wrt=(0, 1), modes=ALL)
            assert_sound(nan_to_num_values, (special_x, 0.7), wrt=1, modes=ALL)


def test_nan_to_num_gradient_is_zero_at_the_replaced_elements():
    d_x, d_v = srcgrad.grad(nan_to_num_values, wrt=(0, 1))(SPECIALS, 0.7)
    assert np.all(d_x[1:4] == 0.0) and np.all(d_x[[0, 4, 5]] != 0.0)
    v = 0.7
    expected = sum(np.cos(r * v) * r for r in np.nan_to_num(SPECIALS, nan=v, posinf=2 * v,
                                                            neginf=-v)) \
        + np.cos(v * v) * v + np.cos(2 * v * v) * 2 * v - np.cos(-v * v) * v
    assert np.isclose(d_v, expected)


def test_nan_to_num_copy_false_is_refused():
    refused(nan_to_num_copy_false, (np.array([1.0, 2.0]),), words=("copy=True",))
    refused(nan_to_num_copy_varied, (np.array([1.0, 2.0]), 1.0), words=("copy=True",))


def real_if_close_plain(x):
    return np.sum(np.sin(np.real_if_close(x) * x))


def real_if_close_tol(x):
    return np.sum(np.real_if_close(np.exp(x), tol=1000) ** 2)


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_real_if_close(shape):
    rng = np.random.default_rng(7 + len(shape))
    x = rng.uniform(-1.0, 1.0, size=shape)
    x = float(x) if shape == () else x
    assert_sound(real_if_close_plain, (x,), modes=ALL)
    assert_sound(real_if_close_tol, (x,), modes=ALL)


def astype_float(x):
    return np.sum(np.sin(np.astype(x, np.float64) * np.astype(x, "float64")))


def astype_keyword(x):
    return np.sum(np.astype(x * x, float, copy=True) ** 3)


def astype_int(x):
    return np.sum(np.astype(x, int) * x + np.astype(x > 0.0, float))


def astype_copy_false(x):
    return np.sum(np.astype(x, float, copy=False))


def astype_complex(x):
    return np.sum(np.real(np.astype(x, "c16")))


needs_astype = pytest.mark.skipif(not hasattr(np, "astype"), reason="np.astype: NumPy >= 2.1")


@needs_astype
@pytest.mark.parametrize("shape", [(5,), (2, 3)])
def test_astype(shape):
    rng = np.random.default_rng(11)
    x = rng.uniform(-2.4, 2.4, size=shape)
    x = x + 0.25 * (np.abs(x - np.round(x)) < 0.1)       # away from the integers (int's jumps)
    assert_sound(astype_float, (x,), modes=ALL)
    assert_sound(astype_keyword, (x,), modes=ALL)
    assert_sound(astype_int, (x,), modes=ALL)
    assert np.all(srcgrad.grad(astype_int)(x) == np.trunc(x))   # the int cast: no derivative


@needs_astype
def test_astype_refusals():
    refused(astype_copy_false, (np.array([1.0, 2.0]),), words=("copy=True",))
    refused(astype_complex, (np.array([1.0, 2.0]),), words=("complex",))


# --------------------------------------------------------------------------
# scipy.special: gammasgn, fresnel, sici, ellipk, ellipe, ellipkm1

def gammasgn_times(x):
    return np.sum(special.gammasgn(x) * np.sin(x))


def test_gammasgn_is_constant():
    x = np.array([-0.5, 1.5, -2.5, 3.2])
    assert_sound(gammasgn_times, (x,), modes=ALL)
    assert np.allclose(srcgrad.grad(gammasgn_times)(x), special.gammasgn(x) * np.cos(x))


def fresnel_both(z):
    s, c = special.fresnel(z)
    return np.sum(np.sin(s) * c + s * s)


def fresnel_s(z):
    s, c = special.fresnel(z)
    return np.sum(np.sin(s))


def fresnel_indexed(z):
    r = special.fresnel(z * z)
    return np.sum(r[1] ** 2)


def sici_both(x):
    si, ci = special.sici(x)
    return np.sum(np.sin(si) * ci + si * si)


def sici_si(x):
    si, ci = special.sici(x)
    return np.sum(np.sin(si))


def sici_ci(x):
    return np.sum(np.cos(special.sici(x)[1]))


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)])
def test_fresnel_and_sici(shape):
    rng = np.random.default_rng(3 + len(shape))
    x = rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    x = float(x) if shape == () else x
    for f in (fresnel_both, fresnel_s, fresnel_indexed, sici_both, sici_si, sici_ci):
        assert_sound(f, (x,), modes=ALL)


def test_sici_at_zero():
    """Si's derivative at 0 is 1 (sinc); Ci unused there gives no 0 * inf."""
    x = np.array([0.0, 1.0, -2.0])
    with np.errstate(divide="ignore"):        # (the tangent of Ci at 0 is infinite)
        assert_sound(sici_si, (x,), modes=ALL)
    assert_sound(fresnel_both, (x,), modes=ALL)
    assert np.allclose(srcgrad.grad(sici_si)(x), np.cos(special.sici(x)[0]) * np.sinc(x / np.pi))


def ellip_both(m):
    return np.sum(np.sin(special.ellipk(m)) + special.ellipe(m) ** 2)


def ellipkm1_sin(p):
    return np.sum(np.sin(special.ellipkm1(p)))


def test_elliptic_integrals():
    m = np.array([-2.0, -0.8, -5e-4, 0.0, 1e-4, 9e-4, 0.3, 0.9])
    assert_sound(ellip_both, (m,), modes=ALL)
    assert_sound(ellip_both, (0.4,), modes=ALL)
    assert_sound(ellip_both, (m.reshape(2, 4),), modes=ALL)
    assert_sound(ellipkm1_sin, (1.0 - m,), modes=ALL)


def test_elliptic_integrals_at_zero():
    """The limits pi/8 and -pi/8 at m = 0, continuous across the series' threshold."""
    dk = srcgrad.grad(lambda_k)(np.array([0.0, 1e-3 - 1e-12, 1e-3 + 1e-12]))
    de = srcgrad.grad(lambda_e)(np.array([0.0, 1e-3 - 1e-12, 1e-3 + 1e-12]))
    assert np.isclose(dk[0], np.pi / 8) and np.isclose(de[0], -np.pi / 8)
    assert np.isclose(dk[1], dk[2], rtol=1e-9, atol=0) and np.isclose(de[1], de[2], rtol=1e-9, atol=0)
    assert np.isclose(srcgrad.grad(lambda_km1)(1.0), -np.pi / 8)


def lambda_k(m):
    return np.sum(special.ellipk(m))


def lambda_e(m):
    return np.sum(special.ellipe(m))


def lambda_km1(p):
    return special.ellipkm1(p)


# --------------------------------------------------------------------------
# scipy.stats: dirichlet.pdf, multivariate_normal.entropy

def dirichlet_pdf(z, alpha):
    x = np.exp(z) / np.sum(np.exp(z), axis=0)        # on the simplex, as SciPy requires
    return np.sum(np.sin(scipy.stats.dirichlet.pdf(x, alpha)))


def dirichlet_pdf_frozen(z, alpha):
    x = np.exp(z) / np.sum(np.exp(z), axis=0)
    return np.sum(np.sin(scipy.stats.dirichlet(alpha).pdf(x)))


@pytest.mark.parametrize("zshape", [(3,), (4, 5)])
def test_dirichlet_pdf(zshape):
    rng = np.random.default_rng(zshape[-1])
    z = rng.normal(size=zshape)
    alpha = rng.uniform(0.8, 3.0, size=zshape[0])
    assert_sound(dirichlet_pdf, (z, alpha), wrt=(0, 1), modes=ALL)
    assert_sound(dirichlet_pdf_frozen, (z, alpha), wrt=(0, 1), modes=ALL)


def entropy_positional(mean, cov):
    return np.sin(scipy.stats.multivariate_normal.entropy(mean, cov))


def entropy_keyword(a):
    return np.sin(scipy.stats.multivariate_normal.entropy(cov=a @ a.T + np.eye(a.shape[0])))


def entropy_frozen(mean, cov):
    d = scipy.stats.multivariate_normal(mean, cov)
    return np.sin(d.entropy()) + np.sum(d.logpdf(mean * 0.5))


def entropy_frozen_inline(cov):
    return scipy.stats.multivariate_normal(None, cov).entropy() ** 2


def entropy_number(c):
    return scipy.stats.multivariate_normal.entropy(cov=c)


def entropy_constant_number(mean):
    return scipy.stats.multivariate_normal.entropy(mean, 2.0)


def entropy_vector(mean, c):
    return scipy.stats.multivariate_normal.entropy(mean, c * 2.0)


@pytest.mark.parametrize("d", [1, 3])
def test_multivariate_normal_entropy(d):
    rng = np.random.default_rng(d)
    a = rng.normal(size=(d, d))
    cov = a @ a.T + np.eye(d)
    cov = cov + np.tril(rng.normal(size=(d, d)) * 0.1, -1)   # SciPy reads the lower triangle
    mean = rng.normal(size=d)
    assert_sound(entropy_positional, (mean, cov), wrt=(0, 1), modes=ALL)
    assert_sound(entropy_keyword, (a,), modes=ALL)
    assert_sound(entropy_frozen, (mean, cov), wrt=(0, 1), modes=ALL)
    assert_sound(entropy_frozen_inline, (cov,), modes=ALL)
    assert np.allclose(srcgrad.grad(entropy_positional, wrt=0)(mean, cov), 0.0)


def test_multivariate_normal_entropy_refusals():
    refused(entropy_vector, (np.zeros(2), np.array([1.0, 2.0])), wrt=1,
            words=("cov a matrix",))
    refused(entropy_number, (1.5,), words=("cov a matrix",))
    refused(entropy_constant_number, (np.zeros(2),), words=("covariance matrix given",))


# --------------------------------------------------------------------------
# scipy.linalg.solve_banded

def banded(rng, lower, upper, n):
    ab = rng.normal(size=(lower + upper + 1, n)) * 0.3
    ab[upper] += 3.0                                   # diagonally dominant
    return ab


def solve_banded_sin(ab, b):
    return np.sum(np.sin(solve_banded(LU, ab, b)))


def solve_banded_keywords(ab, b):
    x = scipy.linalg.solve_banded((2, 1), ab, b, overwrite_ab=False, overwrite_b=False,
                                  check_finite=False)
    return np.sum(x * x)


def solve_banded_overwrite_b(ab, b):
    return np.sum(solve_banded((1, 1), ab, b, overwrite_b=True))


def solve_banded_overwrite_varied(ab, b, flag):
    return np.sum(solve_banded((1, 1), ab, b, overwrite_ab=flag))


LU = (1, 1)


@pytest.mark.parametrize("l_and_u", [(1, 2), (0, 0), (2, 0), (0, 3), (1, 1)])
def test_solve_banded(l_and_u):
    use(LU=l_and_u)
    rng = np.random.default_rng(sum(l_and_u))
    ab = banded(rng, *l_and_u, 5)
    for b in (rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=(2, 5, 3))):
        assert_sound(solve_banded_sin, (ab, b), wrt=(0, 1), modes=ALL)
    use(LU=(1, 1))


def test_solve_banded_keywords_and_one_unknown():
    rng = np.random.default_rng(5)
    assert_sound(solve_banded_keywords, (banded(rng, 2, 1, 4), rng.normal(size=4)), wrt=(0, 1),
                 modes=ALL)
    use(LU=(1, 1))
    assert_sound(solve_banded_sin, (banded(rng, 1, 1, 1), rng.normal(size=1)), wrt=(0, 1),
                 modes=ALL)


def test_solve_banded_corners_get_zero():
    """The entries of ab outside the band are not read: their adjoint is 0."""
    use(LU=(1, 2))
    rng = np.random.default_rng(9)
    d_ab = srcgrad.grad(solve_banded_sin, wrt=0)(banded(rng, 1, 2, 5), rng.normal(size=5))
    assert d_ab[0, 0] == d_ab[0, 1] == d_ab[1, 0] == d_ab[3, 4] == 0.0
    assert np.all(d_ab[2] != 0.0)
    use(LU=(1, 1))


def test_solve_banded_refusals():
    rng = np.random.default_rng(2)
    ab, b = banded(rng, 1, 1, 3), rng.normal(size=3)
    refused(solve_banded_overwrite_b, (ab, b), wrt=(0, 1), words=("overwrite_b=False",))
    refused(solve_banded_overwrite_varied, (ab, b, False), wrt=(0, 1),
            words=("overwrite_ab=False",))
    use(LU=(1, 1))
    batch = np.stack([banded(rng, 1, 1, 4), banded(rng, 1, 1, 4)])
    refused(solve_banded_sin, (batch, rng.normal(size=4)), wrt=0, words=("not a batch",))
    # with b alone differentiated, forward mode is exact; reverse mode refuses
    grad, jvp = check_modes(solve_banded_sin, (batch, rng.normal(size=4)), wrt=1, modes=FIRST)
    assert grad.status == "refused" and jvp.status == "ok", (grad, jvp)


# the helpers' own rules (what second order differentiates)

def h_dense(ab):
    return np.sum(np.sin(rt.banded_dense((2, 1), ab)))


def h_read(a):
    return np.sum(np.sin(rt.banded_read((1, 2), a)))


def h_t(ab):
    return np.sum(np.sin(rt.banded_t((2, 1), ab)) * np.arange(16.0).reshape(4, 4))


def h_outer(z, x):
    return np.sum(np.sin(rt.banded_outer((1, 2), z, x)))


def test_banded_helper_rules():
    rng = np.random.default_rng(4)
    assert_sound(h_dense, (rng.normal(size=(4, 5)),), modes=ALL)
    assert_sound(h_read, (rng.normal(size=(5, 5)),), modes=ALL)
    assert_sound(h_t, (rng.normal(size=(4, 4)),), modes=ALL)
    for shape in [(5,), (5, 2), (3, 5, 2)]:
        assert_sound(h_outer, (rng.normal(size=shape), rng.normal(size=shape)), wrt=(0, 1),
                     modes=ALL)
