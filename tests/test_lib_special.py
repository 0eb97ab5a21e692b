"""scipy.special's rules in every mode: grad, jvp and hvp against finite
differences (``tests.modes.assert_sound``), on several shapes, with
broadcasting, every keyword variant of the reductions, and the refusals.

srcgrad reads a function's source, so the wrappers are module-level
functions calling the global ``PRIM``; ``use`` sets it and clears srcgrad's
cache (the generated code is keyed by the wrapper).  The wrappers compose
the function with ``np.sin`` so that second order sees a curved outer
function.
"""

import numpy as np
import pytest
from scipy import special

import srcgrad
from tests.modes import assert_sound

PRIM = None


def use(prim):
    global PRIM
    PRIM = prim
    srcgrad.clear_cache()


def unary(x):
    return np.sum(np.sin(PRIM(x)))


def binary(x, y):
    return np.sum(np.sin(PRIM(x, y)))


def ternary(a, b, x):
    return np.sum(np.sin(PRIM(a, b, x)))


def sample(rng, lo, hi, shape, signed=False):
    v = rng.uniform(lo, hi, size=shape)
    if signed:
        v = v * rng.choice([-1.0, 1.0], size=shape)
    return float(v) if shape == () else v


ANY = (-1.5, 1.5)
POS = (0.3, 2.0)
NONZERO = (0.3, 2.0, True)           # away from a kink (sign(x)) at 0

UNARY = [
    (special.expit, ANY), (special.logit, (0.1, 0.9)), (special.log_expit, (-3.0, 3.0)),
    (special.softplus, (-3.0, 3.0)),
    (special.gamma, (0.5, 3.0)), (special.gammaln, (0.5, 3.0)), (special.loggamma, (0.5, 3.0)),
    (special.rgamma, (0.5, 3.0)), (special.digamma, (0.5, 3.0)), (special.psi, (0.5, 3.0)),
    (special.erf, ANY), (special.erfc, ANY), (special.erfcx, (-1.0, 3.0)),
    (special.erfinv, (-0.8, 0.8)), (special.erfcinv, (0.2, 1.8)),
    (special.ndtr, ANY), (special.log_ndtr, (-4.0, 3.0)), (special.ndtri, (0.1, 0.9)),
    (special.ndtri_exp, (-3.0, -0.1)), (special.dawsn, ANY),
    (special.entr, (0.2, 2.0)),
    (special.i0, ANY), (special.i0e, NONZERO), (special.i1, ANY), (special.i1e, NONZERO),
    (special.j0, (0.0, 4.0)), (special.j1, (0.0, 4.0)), (special.y0, (0.5, 4.0)),
    (special.y1, (0.5, 4.0)), (special.k0, POS), (special.k0e, POS), (special.k1, POS),
    (special.k1e, POS),
    (special.spence, (0.2, 2.0)), (special.expi, (0.3, 2.0, True)), (special.exp1, POS),
    (special.expm1, ANY), (special.log1p, (-0.5, 2.0)), (special.exp2, ANY),
    (special.exp10, ANY), (special.cbrt, NONZERO), (special.cosm1, ANY),
    (special.sindg, (-200.0, 200.0)), (special.cosdg, (-200.0, 200.0)),
    (special.tandg, (-60.0, 60.0)), (special.cotdg, (20.0, 160.0)),
    (special.factorial, (0.2, 4.0)), (special.erfi, ANY),
]


def name(case):
    return case[0].__name__


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=str)
@pytest.mark.parametrize("case", UNARY, ids=[name(c) for c in UNARY])
def test_unary(case, shape):
    fun, dom = case
    x = sample(np.random.default_rng(len(UNARY) + len(shape)), *dom[:2], shape, *dom[2:])
    use(fun)
    assert_sound(unary, (x,))


def test_spence_at_one():
    use(special.spence)
    assert srcgrad.grad(unary)(1.0) == pytest.approx(np.cos(special.spence(1.0)) * -1.0)


BINARY = [   # (function, domain of x, domain of y, which arguments have a derivative)
    (special.beta, POS, POS, (0, 1)), (special.betaln, POS, POS, (0, 1)),
    (special.poch, POS, POS, (0, 1)), (special.binom, (3.0, 5.0), (0.5, 2.0), (0, 1)),
    (special.xlogy, ANY, POS, (0, 1)), (special.xlog1py, ANY, (-0.5, 2.0), (0, 1)),
    (special.rel_entr, POS, POS, (0, 1)), (special.kl_div, POS, POS, (0, 1)),
    # an order (real or integer) or a shape parameter first: a derivative in the second only
    (special.jv, (0.3, 2.5), POS, 1), (special.yv, (0.3, 2.5), POS, 1),
    (special.iv, (0.3, 2.5), POS, 1), (special.kv, (0.3, 2.5), POS, 1),
    (special.jve, (0.3, 2.5), POS, 1), (special.yve, (0.3, 2.5), POS, 1),
    (special.ive, (0.3, 2.5), POS, 1), (special.kve, (0.3, 2.5), POS, 1),
    (special.jv, (-2.0, 2.0), (2.0, 4.0), 1),
    (special.gammainc, POS, POS, 1), (special.gammaincc, POS, POS, 1),
    (special.gammaincinv, POS, (0.1, 0.9), 1), (special.gammainccinv, POS, (0.1, 0.9), 1),
    (special.zeta, (1.5, 3.0), POS, 1),
]
SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("case", BINARY, ids=[f"{name(c)}-{i}" for i, c in enumerate(BINARY)])
def test_binary(case, shapes):
    fun, dx, dy, wrt = case
    rng = np.random.default_rng(len(shapes[0]) + 3 * len(shapes[1]))
    x, y = sample(rng, *dx[:2], shapes[0], *dx[2:]), sample(rng, *dy[:2], shapes[1], *dy[2:])
    use(fun)
    assert_sound(binary, (x, y), wrt=wrt)
    if wrt == (0, 1):
        assert_sound(binary, (x, y), wrt=1)


@pytest.mark.parametrize("fun", [special.polygamma, special.yn, special.expn])
@pytest.mark.parametrize("n", [0, 1, 2, np.array([0, 1, 3])], ids=str)
def test_integer_order(fun, n):
    x = np.random.default_rng(7).uniform(0.5, 3.0, size=3)
    use(fun)
    assert_sound(binary, (n, x), wrt=1)
    assert_sound(binary, (n, 1.3), wrt=1)


def multigammaln3(a):
    return np.sum(np.sin(special.multigammaln(a, 3)))


def multigammaln1(a):
    return np.sum(np.sin(special.multigammaln(a, 1)))


@pytest.mark.parametrize("a", [2.5, np.array([1.5, 2.0, 4.0]), np.array([[1.2, 3.0]])], ids=str)
def test_multigammaln(a):
    assert_sound(multigammaln3, (a,))
    assert_sound(multigammaln1, (a,))


@pytest.mark.parametrize("fun", [special.betainc, special.betaincc, special.betaincinv])
@pytest.mark.parametrize("shapes", [((), (), ()), ((3,), (3,), (3,)), ((), (2, 1), (3,))], ids=str)
def test_betainc(fun, shapes):
    rng = np.random.default_rng(len(shapes[1]))
    a, b = sample(rng, 0.5, 3.0, shapes[0]), sample(rng, 0.5, 3.0, shapes[1])
    x = sample(rng, 0.1, 0.9, shapes[2])
    use(fun)
    assert_sound(ternary, (a, b, x), wrt=2)


def hyp1f1_x(x):
    return np.sum(np.sin(special.hyp1f1(1.5, np.array([[0.5], [2.5]]), x)))


def hyp2f1_z(z):
    return np.sum(np.sin(special.hyp2f1(0.5, 1.5, 2.5, z)))


def factorial_exact(n):
    return special.factorial(n, exact=True)


@pytest.mark.parametrize("x", [0.7, np.array([-0.5, 0.3, 0.8])], ids=str)
def test_hypergeometric(x):
    assert_sound(hyp1f1_x, (x,))
    assert_sound(hyp2f1_z, (x,))


def hyp1f1_in_a(a, x):
    return special.hyp1f1(a, 2.0, x)


def test_factorial_exact_and_hypergeometric_parameters_are_refused():
    assert_sound(factorial_exact, (3.0,), expect="refused", modes=("grad", "jvp"))
    assert_sound(hyp1f1_in_a, (0.5, 1.0), expect="refused", modes=("grad", "jvp"))


# -- logsumexp, softmax, log_softmax ------------------------------------------------

def lse_all(a):
    return special.logsumexp(a) ** 2


def lse_axis0(a):
    return np.sum(np.sin(special.logsumexp(a, axis=0)))


def lse_last(a):
    return np.sum(np.sin(special.logsumexp(a, axis=-1)))


def lse_keep(a):
    return np.sum(np.sin(special.logsumexp(a, axis=1, keepdims=True)) * a)


def lse_tuple(a):
    return np.sum(np.sin(special.logsumexp(a, axis=(0, 1))))


def lse_all_keep(a):
    return np.sum(special.logsumexp(a, keepdims=True) * a)


def lse_b(a, b):
    return np.sum(np.sin(special.logsumexp(a, axis=-1, b=b)))


def lse_b_all(a, b):
    return np.sin(special.logsumexp(a, b=b))


def lse_b_keep(a, b):
    return np.sum(np.sin(special.logsumexp(a, axis=0, b=b, keepdims=True)))


def lse_positional(a, b):
    return np.sum(np.sin(special.logsumexp(a, 0, b, True)))


LSE = [lse_all, lse_axis0, lse_last, lse_keep, lse_tuple, lse_all_keep]


@pytest.mark.parametrize("f", LSE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 2)], ids=str)
def test_logsumexp(f, shape):
    if len(shape) == 1 and f in (lse_keep, lse_tuple):
        pytest.skip("needs two axes")
    a = np.random.default_rng(len(shape)).normal(size=shape) * 2.0
    assert_sound(f, (a,))


def test_logsumexp_of_a_scalar():
    assert_sound(lse_all, (0.7,))


@pytest.mark.parametrize("f", [lse_b, lse_b_all, lse_b_keep, lse_positional], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)),
                                    ((2, 3), ()), ((2, 1), (1, 3))], ids=str)
def test_logsumexp_weights(f, shapes):
    rng = np.random.default_rng(len(shapes[0]) + 2 * len(shapes[1]))
    a = rng.normal(size=shapes[0])
    b = rng.uniform(0.5, 2.0, size=shapes[1])
    b = float(b) if shapes[1] == () else b
    assert_sound(f, (a, b), wrt=(0, 1))
    assert_sound(f, (a, b), wrt=0)
    assert_sound(f, (a, b), wrt=1)


def lse_return_sign(a):
    return special.logsumexp(a, return_sign=True)[0]


def lse_none(a):
    return special.logsumexp(a, b=None)


def lse_b_name(a, b):
    return special.logsumexp(a, b=b)


def test_logsumexp_refusals():
    a = np.array([0.1, 0.5, -0.3])
    for f in (lse_return_sign, lse_none):
        assert_sound(f, (a,), expect="refused", modes=("grad", "jvp"))
    srcgrad.clear_cache()
    with pytest.raises(srcgrad.UnsupportedError, match="b=None reached srcgrad"):
        srcgrad.grad(lse_b_name)(a, None)


def softmax_all(x):
    return np.sum(np.sin(special.softmax(x)) * np.arange(np.size(x)).reshape(np.shape(x)))


def softmax_0(x):
    return np.sum(np.sin(special.softmax(x, axis=0)) * np.arange(np.size(x)).reshape(np.shape(x)))


def softmax_last(x):
    return np.sum(np.sin(special.softmax(x, -1)) * np.arange(np.size(x)).reshape(np.shape(x)))


def softmax_tuple(x):
    return np.sum(np.sin(special.softmax(x, axis=(0, 1))) * np.arange(np.size(x)).reshape(np.shape(x)))


def log_softmax_all(x):
    return np.sum(np.sin(special.log_softmax(x)) * np.arange(np.size(x)).reshape(np.shape(x)))


def log_softmax_0(x):
    return np.sum(np.sin(special.log_softmax(x, axis=0)) * np.arange(np.size(x)).reshape(np.shape(x)))


def log_softmax_last(x):
    return np.sum(np.sin(special.log_softmax(x, axis=-1)) * np.arange(np.size(x)).reshape(np.shape(x)))


SOFTMAX = [softmax_all, softmax_0, softmax_last, softmax_tuple, log_softmax_all, log_softmax_0,
           log_softmax_last]


@pytest.mark.parametrize("f", SOFTMAX, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 2)], ids=str)
def test_softmax(f, shape):
    if len(shape) == 1 and f is softmax_tuple:
        pytest.skip("needs two axes")
    x = np.random.default_rng(len(shape)).normal(size=shape)
    assert_sound(f, (x,))


def lse_list(x, y):
    return special.logsumexp([x, y, 0.5 * x * y], b=[1.0, y, 2.0])


def softmax_list(x, y):
    return np.sum(special.softmax([x, y, 0.0]) * np.array([1.0, 2.0, 3.0]))


def log_softmax_list(x, y):
    return np.sum(np.sin(special.log_softmax([x, y, x * y])))


@pytest.mark.parametrize("f", [lse_list, softmax_list, log_softmax_list], ids=lambda f: f.__name__)
def test_list_arguments(f):
    """A list's tangent is a tuple of tangents: never subtracted from an array as a tuple."""
    assert_sound(f, (0.3, 0.4), wrt=(0, 1))
    assert_sound(f, (0.3, 0.4), wrt=1)


# -- what a person would write ------------------------------------------------------

def logistic_loss(w, X, y):
    p = special.expit(X @ w)
    return -np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def mixture(theta, x):
    return np.sum(special.logsumexp(theta - 0.5 * (x[:, None] - np.arange(3.0)) ** 2, axis=1))


def nb_loglik(r, k):
    return np.sum(special.gammaln(k + r) - special.gammaln(r) - special.gammaln(k + 1.0))


def test_models():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(5, 2)), (rng.uniform(size=5) > 0.5).astype(float)
    assert_sound(logistic_loss, (rng.normal(size=2), X, y))
    assert_sound(mixture, (rng.normal(size=3), rng.normal(size=4)))
    assert_sound(nb_loglik, (rng.uniform(0.5, 3.0, size=4), np.array([0.0, 1.0, 4.0, 2.0])))


def expit_only(x):
    return np.sum(special.expit(x))


def lse_only(a):
    return special.logsumexp(a, axis=0)


def test_generated_code_reads_like_the_formula():
    srcgrad.clear_cache()
    text = srcgrad.source(srcgrad.grad(expit_only))
    assert "* (1.0 - out_" in text and "special.expit(x)" in text
    text = srcgrad.source(srcgrad.vjp(lse_only))
    assert "np.exp(np.asarray(a) - np.reshape(out, kept_shape(a, 1.0, 0)))" in text


# -- refusals -----------------------------------------------------------------------

def jv_in_order(v, z):
    return special.jv(v, z)


def iv_in_order(v, z):
    return np.sum(special.iv(v * 2.0, z))


def gammainc_in_a(a, x):
    return special.gammainc(a, x)


def gammaincc_in_a(a, x):
    return special.gammaincc(a, x) * 2.0


def betainc_in_b(b, x):
    return special.betainc(2.0, b, x)


def polygamma_in_n(n, x):
    return special.polygamma(n, x)


def zeta_in_x(x):
    return special.zeta(x, 2.0)


def riemann_zeta(x):
    return special.zeta(x)


REFUSED = [(jv_in_order, (1.5, 2.0), 0, "'v'"), (jv_in_order, (1.5, 2.0), (0, 1), "'v'"),
           (iv_in_order, (1.5, np.array([1.0, 2.0])), 0, "'v'"),
           (gammainc_in_a, (1.5, 2.0), 0, "'a'"), (gammaincc_in_a, (1.5, 2.0), (0, 1), "'a'"),
           (betainc_in_b, (1.5, 0.4), 0, "'b'"), (polygamma_in_n, (1.0, 2.0), 0, "'n'"),
           (zeta_in_x, (2.5,), 0, "'x'"), (riemann_zeta, (2.5,), 0, "'x'")]


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: f"{c[0].__name__}-{c[2]}")
def test_refused(case):
    f, args, wrt, param = case
    outcomes = assert_sound(f, args, wrt=wrt, expect="refused", modes=("grad", "jvp"))
    assert all(param in o.detail for o in outcomes), outcomes


def test_nondifferentiable_parameters_are_fine_when_constant():
    assert_sound(jv_in_order, (1.5, 2.0), wrt=1)
    assert_sound(gammainc_in_a, (1.5, 2.0), wrt=1)
    assert_sound(betainc_in_b, (1.5, 0.4), wrt=1)


def gammasgn_times(x):
    return np.sum(special.gammasgn(x) * x)


def test_gammasgn_has_no_derivative():
    assert_sound(gammasgn_times, (np.array([-0.5, 1.5, -2.5]),))


# -- numerically stable far out -----------------------------------------------------

def log_expit_sum(x):
    return np.sum(special.log_expit(x))


def log_ndtr_sum(x):
    return np.sum(special.log_ndtr(x))


def lse_far(x):
    return special.logsumexp(x)


def test_stable_far_out():
    x = np.array([-800.0, -40.0, 40.0, 800.0])
    srcgrad.clear_cache()
    np.testing.assert_allclose(srcgrad.grad(log_expit_sum)(x), special.expit(-x))
    np.testing.assert_allclose(srcgrad.grad(log_ndtr_sum)(x), [800.00125, 40.02496885, 0.0, 0.0])
    np.testing.assert_allclose(srcgrad.grad(lse_far)(x), [0.0, 0.0, 0.0, 1.0])
