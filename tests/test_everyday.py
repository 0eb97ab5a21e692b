"""Twenty-nine everyday functions using SciPy and the rarer corners of NumPy,
written as their users write them (issue #12: JAX differentiated all of such
a set, autograd half, srcgrad none).  Each is checked in every mode against
finite differences (``tests.modes``): gradient, forward mode, and the
Hessian-vector product (second order), except where noted.
"""

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.signal
import scipy.special
import scipy.stats

from tests.modes import assert_sound

R = np.random.default_rng(29)
X6 = np.linspace(0.0, 3.0, 6)
Y6 = np.sin(X6) + 0.1 * R.normal(size=6)
COUNTS = np.array([0.0, 2.0, 1.0, 4.0, 3.0, 7.0])
FEATURES = R.normal(size=(6, 2))
LABELS = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
POINTS = R.normal(size=(8, 2))


def gp_negative_log_marginal(log_ell, log_sf, log_sn):
    d = X6[:, None] - X6[None, :]
    K = np.exp(2.0 * log_sf) * np.exp(-0.5 * d ** 2 / np.exp(2.0 * log_ell))
    K = K + np.exp(2.0 * log_sn) * np.eye(len(X6))
    c, low = scipy.linalg.cho_factor(K, lower=True)
    alpha = scipy.linalg.cho_solve((c, low), Y6)
    return 0.5 * Y6 @ alpha + np.sum(np.log(np.diag(c)))


def black_scholes_call(s, k, t, r, sigma):
    d1 = (np.log(s / k) + (r + 0.5 * sigma ** 2) * t) / (sigma * np.sqrt(t))
    d2 = d1 - sigma * np.sqrt(t)
    return s * scipy.stats.norm.cdf(d1) - k * np.exp(-r * t) * scipy.stats.norm.cdf(d2)


def gaussian_mixture_loglik(means, log_sigmas, logits):
    log_w = logits - scipy.special.logsumexp(logits)
    z = (POINTS[:, :, None] - means.T[None, :, :]) / np.exp(log_sigmas)[None, None, :]
    comp = -0.5 * np.sum(z ** 2, axis=1) - 2 * log_sigmas[None, :] - np.log(2 * np.pi)
    return np.sum(scipy.special.logsumexp(comp + log_w[None, :], axis=1))


def negative_binomial_glm(beta, log_r):
    mu = np.exp(FEATURES @ beta)
    r = np.exp(log_r)
    ll = (scipy.special.gammaln(COUNTS + r) - scipy.special.gammaln(r)
          - scipy.special.gammaln(COUNTS + 1) + r * np.log(r / (r + mu))
          + COUNTS * np.log(mu / (r + mu)))
    return -np.sum(ll)


def logistic_regression(w):
    z = FEATURES @ w
    return -np.sum(LABELS * scipy.special.log_expit(z) + (1 - LABELS) * scipy.special.log_expit(-z)) \
        + 0.1 * np.sum(scipy.special.expit(z) ** 2)


def poisson_glm(beta):
    return -np.sum(scipy.stats.poisson.logpmf(COUNTS, np.exp(FEATURES @ beta)))


def student_t_regression(w, log_scale):
    resid = Y6 - FEATURES @ w
    return -np.sum(scipy.stats.t.logpdf(resid, 4.0, loc=0.1, scale=np.exp(log_scale)))


def gamma_likelihood(log_a, log_scale):
    return -np.sum(scipy.stats.gamma.logpdf(COUNTS + 0.5, np.exp(log_a), scale=np.exp(log_scale)))


def beta_binomial(log_a, log_b):
    n = 8.0
    return -np.sum(scipy.special.betaln(COUNTS + np.exp(log_a), n - COUNTS + np.exp(log_b))
                   - scipy.special.betaln(np.exp(log_a), np.exp(log_b)))


def softmax_classifier(W):
    logits = FEATURES @ W
    logp = scipy.special.log_softmax(logits, axis=1)
    return -np.sum(logp[np.arange(6), LABELS.astype(int)])


def multivariate_normal_fit(mean, L):
    cov = L @ L.T + np.eye(2)
    return -np.sum(scipy.stats.multivariate_normal.logpdf(POINTS, mean, cov))


def dirichlet_fit(log_alpha):
    x = np.array([0.2, 0.3, 0.5])
    return -scipy.stats.dirichlet.logpdf(x, np.exp(log_alpha))


def divergences(p_logits):
    p = scipy.special.softmax(p_logits)
    q = np.array([0.2, 0.5, 0.3])
    return np.sum(scipy.special.rel_entr(p, q)) + np.sum(scipy.special.kl_div(q, p))


def triangular_solve(L):
    b = np.array([1.0, -0.5, 2.0])
    x = scipy.linalg.solve_triangular(L + 3.0 * np.eye(3), b, lower=True)
    return np.sum(x ** 2)


def markov_generator(q):
    Q = np.array([[-q[0], q[0], 0.0], [q[1], -q[1] - q[2], q[2]], [0.0, q[0], -q[0]]])
    P = scipy.linalg.expm(Q * 0.7)
    return np.sum(P[0] * np.array([1.0, 2.0, 3.0]))


def smoothing(x):
    kernel = np.array([0.25, 0.5, 0.25])
    return np.sum((scipy.signal.convolve(x, kernel, mode="same") - x) ** 2)


def fft_convolution(x):
    return np.sum(scipy.signal.fftconvolve(x, x[::-1], mode="full") ** 2) * 0.1


def torque(r, f):
    return np.sum(np.cross(r, f) ** 2)


def finite_difference_energy(u):
    du = np.gradient(u, 0.1)
    return np.trapezoid(du ** 2, dx=0.1)


def interpolated_misfit(fp):
    xq = np.array([0.3, 1.1, 2.5])
    return np.sum((np.interp(xq, X6, fp) - np.array([0.2, 0.8, 0.4])) ** 2)


def increments(x):
    return np.sum(np.diff(x, prepend=0.0) ** 2) + np.sum(np.diff(x, n=2) ** 2)


def chunk_means(x):
    return sum(np.mean(c) ** 2 for c in np.array_split(x, 4))


def axes_shuffle(A):
    B = np.moveaxis(np.rollaxis(A, 2), 0, -1)
    return np.sum(np.einsum("...ij,...j->...i", B, np.ones(B.shape[-1])) ** 2)


def low_rank_error(A):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    approx = (U[:, :1] * s[:1]) @ Vt[:1]
    return np.sum((A - approx) ** 2) + np.sum(np.abs(U[:3, 0] * Vt[0]))


def power_spectrum(x):
    spec = np.fft.rfft(x * np.hanning(len(x)))
    return np.sum(np.abs(spec) ** 2 * np.arange(len(spec)))


def robust_loss(r):
    return np.median(np.abs(r)) + np.quantile(r ** 2, 0.75)


def growth(y, t, r):
    return r * y * (1.0 - y)


def logistic_growth(log_r):
    ys = scipy.integrate.odeint(growth, 0.1, np.linspace(0.0, 2.0, 5), args=(np.exp(log_r),),
                                rtol=1e-10, atol=1e-12)
    return np.sum(ys ** 2)


def von_mises_fit(mu, log_kappa):
    kappa = np.exp(log_kappa)
    angles = np.array([0.1, 0.5, -0.3, 0.9])
    return -np.sum(kappa * np.cos(angles - mu) - np.log(2 * np.pi * scipy.special.i0e(kappa)) - kappa)


def lognormal_polynomial(coeffs, log_s):
    mu = np.polyval(coeffs, X6)
    return -np.sum(scipy.stats.lognorm.logpdf(COUNTS + 1.0, np.exp(log_s), scale=np.exp(mu)))


U = R.normal(size=(3, 4, 2))
TRIL = np.tril(R.normal(size=(3, 3)))
CASES = [
    (gp_negative_log_marginal, (0.1, 0.2, -1.0), (0, 1, 2)),
    (black_scholes_call, (100.0, 95.0, 0.5, 0.02, 0.25), (0, 1, 2, 3, 4)),
    (gaussian_mixture_loglik, (R.normal(size=(3, 2)), R.normal(size=3) * 0.2, R.normal(size=3)), (0, 1, 2)),
    (negative_binomial_glm, (np.array([0.2, -0.1]), 0.3), (0, 1)),
    (logistic_regression, (np.array([0.5, -0.3]),), 0),
    (poisson_glm, (np.array([0.3, 0.1]),), 0),
    (student_t_regression, (np.array([0.2, 0.1]), -0.2), (0, 1)),
    (gamma_likelihood, (0.4, 0.2), (0, 1)),
    (beta_binomial, (0.3, 0.5), (0, 1)),
    (softmax_classifier, (R.normal(size=(2, 2)),), 0),
    (multivariate_normal_fit, (np.array([0.1, -0.2]), R.normal(size=(2, 2)) * 0.5), (0, 1)),
    (dirichlet_fit, (np.array([0.1, 0.4, -0.2]),), 0),
    (divergences, (np.array([0.3, -0.2, 0.5]),), 0),
    (triangular_solve, (TRIL,), 0),
    (markov_generator, (np.array([0.5, 0.3, 0.8]),), 0),
    (smoothing, (R.normal(size=7),), 0),
    (fft_convolution, (R.normal(size=5),), 0),
    (torque, (R.normal(size=(4, 3)), R.normal(size=(4, 3))), (0, 1)),
    (finite_difference_energy, (R.normal(size=7),), 0),
    (interpolated_misfit, (R.normal(size=6),), 0),
    (increments, (R.normal(size=6),), 0),
    (chunk_means, (R.normal(size=10),), 0),
    (axes_shuffle, (U,), 0),
    (low_rank_error, (R.normal(size=(4, 3)),), 0),
    (power_spectrum, (R.normal(size=8),), 0),
    (robust_loss, (R.normal(size=7),), 0),
    (logistic_growth, (0.2,), 0),
    (von_mises_fit, (0.2, 0.4), (0, 1)),
    (lognormal_polynomial, (np.array([0.05, -0.2, 0.8]), -0.3), (0, 1)),
]
#: (second derivatives through scipy.integrate are computed since the helpers have rules)
FIRST_ORDER_ONLY = set()


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_everyday(f, args, wrt):
    modes = ("grad", "jvp") if f in FIRST_ORDER_ONLY else ("grad", "jvp", "hvp")
    assert_sound(f, args, wrt, modes=modes)
