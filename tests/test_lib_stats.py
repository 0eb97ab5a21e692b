"""The scipy.stats rules (srcgrad/rules/scipy/stats.py) against finite
differences, forward against reverse, and second order.

The wrappers call the module global ``M`` (a bound method such as
``scipy.stats.t.logcdf``) and weight its result with ``W``; each check sets
them and clears srcgrad's cache.  A few functions spell the attribute chain
``scipy.stats.norm.logpdf`` out, as users write it.  Second order of the
log-densities w.r.t. shape parameters differentiates ``digamma``, whose rule
comes with the scipy.special rules: those checks are skipped until it exists.
"""

import numpy as np
import pytest
import scipy.special
import scipy.stats

import srcgrad
from srcgrad.rules import lookup
from tests.modes import assert_sound, check_modes

M = None
W = 1.0
K = None
N = None

CONTINUOUS = ["norm", "t", "gamma", "beta", "expon", "laplace", "cauchy", "logistic",
              "lognorm", "chi2"]
METHODS = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]
DISCRETE_METHODS = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"]
#: shape parameters: (low, high) of their samples
SHAPES = {"t": [(2.0, 6.0)], "gamma": [(1.5, 4.0)], "beta": [(1.5, 4.0), (1.5, 4.0)],
          "lognorm": [(0.5, 1.5)], "chi2": [(2.5, 6.0)]}
#: the standardized point z = (x - loc) / scale: (low, high), inside the support
SUPPORT = {"gamma": (0.3, 3.0), "beta": (0.1, 0.9), "expon": (0.1, 3.0),
           "lognorm": (0.3, 3.0), "chi2": (0.5, 5.0)}
#: shape parameters of the distribution functions that are refused
REFUSED = {"t": [1], "gamma": [1], "beta": [1, 2], "chi2": [1]}
#: log-densities whose shape adjoints call digamma
DIGAMMA = {"t", "gamma", "beta", "chi2", "nbinom"}
NO_DIGAMMA = "needs the rule of scipy.special.digamma (lib-special), not merged yet"


def c0(x, loc, scale):
    return np.sum(W * M(x, loc, scale))


def c1(x, a, loc, scale):
    return np.sum(W * M(x, a, loc, scale))


def c2(x, a, b, loc, scale):
    return np.sum(W * M(x, a, b, loc, scale))


def c0_keywords(x, loc, scale):
    return np.sum(W * M(x, scale=scale, loc=loc))


def c1_keywords(x, a, loc, scale):
    return np.sum(W * M(x, a, scale=scale, loc=loc))


def c2_keywords(x, a, b, loc, scale):
    return np.sum(W * M(x, a, b, scale=scale, loc=loc))


def c0_defaults(x):
    return np.sum(W * M(x))


def c1_defaults(x, a):
    return np.sum(W * M(x, a))


def c2_defaults(x, a, b):
    return np.sum(W * M(x, a, b))


WRAPPERS = {0: (c0, c0_keywords, c0_defaults), 1: (c1, c1_keywords, c1_defaults),
            2: (c2, c2_keywords, c2_defaults)}


def setup(method, weight_shape, rng):
    global M, W
    M = method
    W = rng.uniform(0.5, 1.5, size=weight_shape) if weight_shape is not None else 1.0
    srcgrad.clear_cache()


def digamma_rule():
    return lookup(scipy.special.digamma) is not None and lookup(scipy.special.digamma).differentiable


def sample(dist, layout, rng, default_loc_scale=False):
    """Arguments (x, shapes..., loc, scale) and the result's shape. Layouts:
    ``scalar`` (floats), ``vector`` (x of shape (4,)), ``broadcast`` (x of
    shape (2, 3), loc of shape (3,), a shape parameter of shape (2, 1))."""
    shapes = SHAPES.get(dist, [])
    low, high = SUPPORT.get(dist, (-2.0, 2.0))
    if layout == "scalar":
        size, loc_size, shape_size = None, None, None
    elif layout == "vector":
        size, loc_size, shape_size = (4,), None, None
    else:
        size, loc_size, shape_size = (2, 3), (3,), (2, 1)
    loc = 0.0 if default_loc_scale else rng.uniform(-1.0, 1.0, size=loc_size)
    scale = 1.0 if default_loc_scale else float(rng.uniform(0.6, 1.8))
    z = rng.uniform(low, high, size=size)
    if dist == "laplace":                 # away from the kink at loc
        z = np.sign(z) * (0.2 + np.abs(z))
    x = loc + scale * z
    params = [rng.uniform(lo, hi, size=shape_size if i == 0 else None)
              for i, (lo, hi) in enumerate(shapes)]
    args = [x] + [p if isinstance(p, np.ndarray) else float(p) for p in params]
    if not default_loc_scale:
        args += [loc if isinstance(loc, np.ndarray) else float(loc), scale]
    args = [a if isinstance(a, np.ndarray) else float(a) for a in args]
    return args, np.broadcast(*[np.asarray(a) for a in args]).shape


def modes_for(dist, method, wrt):
    """Second order unless it needs digamma's rule (a shape parameter of a log-density)."""
    nshapes = len(SHAPES.get(dist, []))
    shape_wrt = any(1 <= i <= nshapes for i in wrt)
    if dist in DIGAMMA and method in ("logpdf", "pdf") and shape_wrt and not digamma_rule():
        return ("grad", "jvp")
    return ("grad", "jvp", "hvp")


@pytest.mark.parametrize("layout", ["scalar", "vector", "broadcast"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dist", CONTINUOUS)
def test_continuous(dist, method, layout):
    rng = np.random.default_rng(abs(hash((dist, method, layout))) % 2 ** 32)
    args, shape = sample(dist, layout, rng)
    nshapes = len(SHAPES.get(dist, []))
    refused = REFUSED.get(dist, []) if method not in ("logpdf", "pdf") else []
    wrt = tuple(i for i in range(len(args)) if i not in refused)
    setup(getattr(getattr(scipy.stats, dist), method), shape, rng)
    f = WRAPPERS[nshapes][0]
    assert_sound(f, args, wrt=wrt, modes=modes_for(dist, method, wrt))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dist", CONTINUOUS)
def test_continuous_keywords_and_defaults(dist, method):
    rng = np.random.default_rng(abs(hash((dist, method, "kw"))) % 2 ** 32)
    nshapes = len(SHAPES.get(dist, []))
    refused = REFUSED.get(dist, []) if method not in ("logpdf", "pdf") else []
    args, shape = sample(dist, "vector", rng)
    wrt = tuple(i for i in range(len(args)) if i not in refused)
    setup(getattr(getattr(scipy.stats, dist), method), shape, rng)
    assert_sound(WRAPPERS[nshapes][1], args, wrt=wrt, modes=("grad", "jvp"))
    args, shape = sample(dist, "vector", rng, default_loc_scale=True)
    wrt = tuple(i for i in range(len(args)) if i not in refused)
    setup(getattr(getattr(scipy.stats, dist), method), shape, rng)
    assert_sound(WRAPPERS[nshapes][2], args, wrt=wrt, modes=modes_for(dist, method, wrt))


@pytest.mark.parametrize("method", [m for m in METHODS if m not in ("logpdf", "pdf")])
@pytest.mark.parametrize("dist", sorted(REFUSED))
def test_refused_shape_of_distribution_function(dist, method):
    rng = np.random.default_rng(3)
    args, shape = sample(dist, "vector", rng)
    setup(getattr(getattr(scipy.stats, dist), method), shape, rng)
    f = WRAPPERS[len(SHAPES[dist])][0]
    for i in REFUSED[dist]:
        outcomes = check_modes(f, args, wrt=i, modes=("grad", "jvp"))
        assert [o.status for o in outcomes] == ["refused", "refused"], outcomes
        assert "regularized incomplete" in outcomes[0].detail, outcomes[0].detail
        assert f"scipy.stats.{dist}.{method}" in outcomes[0].detail


@pytest.mark.skipif(digamma_rule(), reason="digamma has a rule: covered by test_continuous")
def test_second_order_in_shape_needs_digamma():
    rng = np.random.default_rng(4)
    args, shape = sample("gamma", "vector", rng)
    setup(scipy.stats.gamma.logpdf, shape, rng)
    outcomes = check_modes(c1, args, wrt=1, modes=("grad", "hvp"))
    assert [o.status for o in outcomes] == ["ok", "refused"], outcomes
    assert "digamma" in outcomes[1].detail


@pytest.mark.skipif(not digamma_rule(), reason=NO_DIGAMMA)
def test_second_order_in_shape():
    rng = np.random.default_rng(5)
    for dist in ("t", "gamma", "beta", "chi2"):
        args, shape = sample(dist, "vector", rng)
        setup(getattr(scipy.stats, dist).logpdf, shape, rng)
        assert_sound(WRAPPERS[len(SHAPES[dist])][0], args, wrt=tuple(range(len(args))))


def test_outside_the_support_the_density_has_derivative_zero():
    rng = np.random.default_rng(6)
    x = np.array([-0.5, 0.5, 1.5])
    setup(scipy.stats.gamma.pdf, (3,), rng)
    g = srcgrad.grad(c1, wrt=(0, 1, 2, 3))(x, 2.5, 0.0, 1.0)
    assert all(np.all(np.isfinite(gi)) for gi in g)
    assert g[0][0] == 0.0
    setup(scipy.stats.beta.pdf, (3,), rng)
    x = np.array([-0.5, 0.5, 1.5])
    g = srcgrad.grad(c2, wrt=(1, 2))(x, 2.5, 3.0, 0.0, 1.0)
    assert all(np.isfinite(gi) for gi in g)
    assert_sound(c2, [x, 2.5, 3.0, 0.0, 1.0], wrt=(0, 3, 4))


# --------------------------------------------------------------------------
# discrete distributions


def d_poisson(mu, loc):
    return np.sum(W * M(K, mu, loc))


def d_binom(p, loc):
    return np.sum(W * M(K, N, p, loc))


def d_nbinom(n, p, loc):
    return np.sum(W * M(K, n, p, loc))


def d_poisson_default(mu):
    return np.sum(W * M(K, mu))


def d_nbinom_keywords(n, p):
    return np.sum(W * M(K, p=p, n=n))


@pytest.mark.parametrize("method", DISCRETE_METHODS)
@pytest.mark.parametrize("layout", ["scalar", "vector", "broadcast"])
def test_discrete(method, layout):
    global K, N
    rng = np.random.default_rng(abs(hash((method, layout))) % 2 ** 32)
    size = {"scalar": None, "vector": (5,), "broadcast": (2, 1)}[layout]
    psize = {"scalar": None, "vector": None, "broadcast": (3,)}[layout]
    # (a count that is no integer has probability 0: only the distribution functions take one)
    K = np.array([0.0, 1.0, 2.0, 4.0, 2.5 if "cdf" in method or "sf" in method else 6.0]) \
        if layout != "broadcast" else np.array([[1.0], [3.0]])
    if layout == "scalar":
        K = 2.0
    shape = np.broadcast(np.asarray(K), np.empty(psize or ())).shape

    def scalar_or(a):
        return a if isinstance(a, np.ndarray) else float(a)

    setup(getattr(scipy.stats.poisson, method), shape, rng)
    assert_sound(d_poisson, [scalar_or(rng.uniform(0.5, 4.0, size=psize)), 0.0], wrt=0)
    N = 7.0
    setup(getattr(scipy.stats.binom, method), shape, rng)
    assert_sound(d_binom, [scalar_or(rng.uniform(0.2, 0.8, size=psize)), 0.0], wrt=0)
    setup(getattr(scipy.stats.nbinom, method), shape, rng)
    wrt = (0, 1) if method in ("logpmf", "pmf") else 1
    modes = ("grad", "jvp") if wrt == (0, 1) and not digamma_rule() else \
        ("grad", "jvp", "hvp")
    assert_sound(d_nbinom, [scalar_or(rng.uniform(1.5, 4.0, size=psize)),
                            scalar_or(rng.uniform(0.2, 0.8, size=psize)), 0.0],
                 wrt=wrt, modes=modes)


@pytest.mark.parametrize("method", DISCRETE_METHODS)
def test_discrete_loc_defaults_keywords(method):
    global K
    rng = np.random.default_rng(7)
    K = np.array([1.0, 2.0, 3.0, 5.0])
    setup(getattr(scipy.stats.poisson, method), (4,), rng)
    assert_sound(d_poisson, [1.7, 1.0], wrt=0)           # loc shifts k
    assert_sound(d_poisson_default, [2.3], wrt=0)
    setup(getattr(scipy.stats.nbinom, method), (4,), rng)
    assert_sound(d_nbinom_keywords, [2.5, 0.4], wrt=1, modes=("grad", "jvp", "hvp"))
    if method in ("logpmf", "pmf"):
        assert_sound(d_nbinom_keywords, [2.5, 0.4], wrt=(0, 1), modes=("grad", "jvp"))


def test_discrete_refused_n_of_nbinom_distribution_functions():
    global K
    K = np.array([1.0, 2.0, 3.0, 5.0])
    for method in ("cdf", "logcdf", "sf", "logsf"):
        setup(getattr(scipy.stats.nbinom, method), (4,), np.random.default_rng(0))
        outcomes = check_modes(d_nbinom, [2.5, 0.4, 0.0], wrt=0, modes=("grad",))
        assert outcomes[0].status == "refused" and "incomplete beta" in outcomes[0].detail


def test_counts_carry_no_derivative():
    """k and binom's n are counts (piecewise constant): no adjoint, zero derivative."""
    global M
    M = scipy.stats.binom.logpmf
    srcgrad.clear_cache()
    g = srcgrad.grad(counts, wrt=(0, 1, 2))(2.0, 6.0, 0.3)
    assert g[0] == 0.0 and g[1] == 0.0 and np.isclose(g[2], 2.0 / 0.3 - 4.0 / 0.7)


def counts(k, n, p):
    return M(k, n, p)


# --------------------------------------------------------------------------
# as users write them


def black_scholes(s, k, t, r, sigma):
    d1 = (np.log(s / k) + (r + 0.5 * sigma ** 2) * t) / (sigma * np.sqrt(t))
    d2 = d1 - sigma * np.sqrt(t)
    return s * scipy.stats.norm.cdf(d1) - k * np.exp(-r * t) * scipy.stats.norm.cdf(d2)


def student_t_regression(w, x, y, nu, sigma):
    return -np.sum(scipy.stats.t.logpdf(y, nu, loc=x @ w, scale=sigma))


def poisson_glm(w, x, counts):
    return -np.sum(scipy.stats.poisson.logpmf(counts, np.exp(x @ w)))


def test_as_users_write_them():
    assert_sound(black_scholes, [100.0, 95.0, 0.5, 0.02, 0.25], wrt=(0, 1, 2, 3, 4))
    rng = np.random.default_rng(8)
    x = rng.normal(size=(6, 2))
    y = x @ np.array([0.5, -1.0]) + rng.standard_t(4.0, size=6)
    w = np.array([0.3, -0.7])
    assert_sound(student_t_regression, [w, x, y, 4.0, 1.2], wrt=(0, 4))
    assert_sound(student_t_regression, [w, x, y, 4.0, 1.2], wrt=(0, 3, 4),
                 modes=("grad", "jvp", "hvp") if digamma_rule() else ("grad", "jvp"))
    counts = np.array([0.0, 1.0, 3.0, 2.0, 0.0, 5.0])
    assert_sound(poisson_glm, [w, x, counts], wrt=0)


def test_generated_line_is_the_closed_form():
    src = srcgrad.source(srcgrad.grad(student_t_regression, wrt=4))
    assert "((nu + 1.0) * (y - out_1) ** 2 / (nu * sigma ** 2 + (y - out_1) ** 2) - 1.0) / sigma" \
        in src, src


# --------------------------------------------------------------------------
# multivariate_normal and dirichlet


def mvn_logpdf(x, mean, cov):
    return np.sum(W * scipy.stats.multivariate_normal.logpdf(x, mean, cov))


def mvn_pdf(x, mean, cov):
    return np.sum(W * scipy.stats.multivariate_normal.pdf(x, mean=mean, cov=cov))


def mvn_from_factor(x, mean, a):
    cov = a @ a.T + np.eye(a.shape[0])
    return np.sum(scipy.stats.multivariate_normal.logpdf(x, mean, cov))


def mvn_default_mean(x, cov):
    return np.sum(scipy.stats.multivariate_normal.logpdf(x, cov=cov))


def mvn_singular(x, mean, cov):
    return np.sum(scipy.stats.multivariate_normal.logpdf(x, mean, cov, allow_singular=True))


@pytest.mark.parametrize("xshape", [(3,), (5, 3), (1, 3), (2, 2, 3), (4, 1), ()])
def test_multivariate_normal(xshape):
    global W
    rng = np.random.default_rng(len(xshape) * 10 + sum(xshape))
    d = xshape[-1] if xshape and xshape != (4, 1) else 1
    x = rng.normal(size=xshape if xshape != (4, 1) else (4,)) if xshape else float(rng.normal())
    a = rng.normal(size=(d, d))
    cov = a @ a.T + d * np.eye(d)
    cov[np.triu_indices(d, 1)] += 0.3          # SciPy reads the lower triangle only
    mean = rng.normal(size=d)
    W = rng.uniform(0.5, 1.5, size=np.shape(scipy.stats.multivariate_normal.logpdf(x, mean, cov)))
    assert_sound(mvn_logpdf, [x, mean, cov], wrt=(0, 1, 2))
    assert_sound(mvn_pdf, [x, mean, cov], wrt=(0, 1, 2))
    W = 1.0
    if d > 1:
        assert_sound(mvn_from_factor, [x, mean, a], wrt=(0, 1, 2))


def test_multivariate_normal_refusals():
    x, cov = np.array([0.3, -0.2]), np.array([[2.0, 0.1], [0.1, 1.0]])
    outcomes = check_modes(mvn_default_mean, [x, cov], wrt=(0, 1), modes=("grad",))
    assert outcomes[0].status == "refused" and "mean and a covariance matrix" in outcomes[0].detail
    outcomes = check_modes(mvn_singular, [x, np.zeros(2), cov], wrt=0, modes=("grad",))
    assert outcomes[0].status == "refused" and "allow_singular=False" in outcomes[0].detail


def dirichlet_softmax(z, alpha):
    x = np.exp(z) / np.sum(np.exp(z), axis=0)
    return np.sum(W * scipy.stats.dirichlet.logpdf(x, alpha))


@pytest.mark.parametrize("zshape", [(3,), (4, 5)])
def test_dirichlet(zshape):
    """x stays on the simplex (SciPy refuses any other): a softmax of z."""
    global W
    rng = np.random.default_rng(zshape[-1])
    z = rng.normal(size=zshape)
    alpha = rng.uniform(0.5, 3.0, size=zshape[0])
    W = rng.uniform(0.5, 1.5, size=zshape[1:])
    assert_sound(dirichlet_softmax, [z, alpha], wrt=0)
    assert_sound(dirichlet_softmax, [z, alpha], wrt=(0, 1),
                 modes=("grad", "jvp", "hvp") if digamma_rule() else ("grad", "jvp"))
    W = 1.0


# --------------------------------------------------------------------------
# frozen distributions made in the function (normalise/frozen.py)

FROZEN_GLOBAL = scipy.stats.norm(0.5, 2.0)


def frozen_named(x, mu, s):
    d = scipy.stats.norm(mu, s)
    return np.sum(d.logpdf(x) + d.logcdf(x))


def frozen_inline_keywords(x, df, s):
    return np.sum(scipy.stats.t(df, scale=s).logpdf(x) + scipy.stats.t(4.0, loc=s).sf(x))


def frozen_in_loop(x, mu, s):
    total = 0.0
    for i in range(3):
        d = scipy.stats.gamma(2.0 + i, loc=mu, scale=s)
        mu = mu - 0.1            # after d was made: d keeps the value it was made with
        total = total + np.sum(d.pdf(x))
    return total


def frozen_in_branch(x, mu, s):
    if s > 1.0:
        d = scipy.stats.logistic(mu, s)
        out = np.sum(d.logcdf(x))
    else:
        out = np.sum(x)
    return out


def frozen_multivariate(x, mean, cov):
    return np.sum(scipy.stats.multivariate_normal(mean, cov).logpdf(x))


def frozen_other_method(x, mu, s):
    d = scipy.stats.norm(mu, s)
    return np.sum(d.logpdf(x)) + d.mean()


def frozen_passed_on(x, mu, s):
    d = scipy.stats.norm(mu, s)
    return np.sum(helper_logpdf(d, x))


def helper_logpdf(d, x):
    return d.logpdf(x)


def frozen_global(x):
    return np.sum(FROZEN_GLOBAL.logpdf(x))


def test_frozen_distributions():
    x = np.array([0.3, 1.2, 2.5])
    assert_sound(frozen_named, [x, 0.5, 1.3], wrt=(0, 1, 2))
    assert_sound(frozen_inline_keywords, [x, 3.5, 1.3], wrt=(0, 2))
    assert_sound(frozen_inline_keywords, [x, 3.5, 1.3], wrt=(0, 1, 2),
                 modes=("grad", "jvp", "hvp") if digamma_rule() else ("grad", "jvp"))
    assert_sound(frozen_in_loop, [x + 1.0, 0.2, 1.3], wrt=(0, 1, 2))
    assert_sound(frozen_in_branch, [x, 0.5, 1.3], wrt=(0, 1, 2))
    assert_sound(frozen_in_branch, [x, 0.5, 0.7], wrt=(0, 1, 2))
    cov = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.0]])
    assert_sound(frozen_multivariate, [np.ones((2, 3)), np.array([0.1, 0.2, -0.3]), cov],
                 wrt=(0, 1, 2))
    src = srcgrad.source(srcgrad.grad(frozen_named, wrt=1))
    assert "(x - d_arg) / d_arg_1 ** 2" in src, src


def test_frozen_distributions_not_rewritten_are_refused():
    x = np.array([0.3, 1.2, 2.5])
    for f in (frozen_other_method, frozen_passed_on):
        outcomes = check_modes(f, [x, 0.5, 1.3], wrt=(0, 1, 2), modes=("grad",))
        assert outcomes[0].status == "refused", (f.__name__, outcomes)
        assert "the frozen distribution scipy.stats.norm(...)" in outcomes[0].detail
    outcomes = check_modes(frozen_global, [x], wrt=0, modes=("grad",))
    assert outcomes[0].status == "refused" and "no derivative rule" in outcomes[0].detail
