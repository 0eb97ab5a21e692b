"""Everyday functions a scientist wants a Hessian of (Newton steps, Laplace
approximations, uncertainty estimates), checked against autograd (issue #13):
the Hessian, a Hessian-vector product, forward over reverse (``jvp(grad(f))``)
and a third derivative, all against autograd's on the same source (the
function's ``np`` rebound to ``autograd.numpy``), and the Hessian against
central finite differences of srcgrad's gradient.  The in-place writes
autograd cannot express are checked against finite differences only.
"""

import types

import numpy as np
import pytest

import srcgrad

autograd = pytest.importorskip("autograd")
anp = pytest.importorskip("autograd.numpy")

# the batched hvp must not fall back to one direction at a time
pytestmark = pytest.mark.filterwarnings("error:srcgrad.hessian:RuntimeWarning")

R = np.random.default_rng(46)
A = R.normal(size=(6, 3))
Y01 = (R.uniform(size=6) > 0.5).astype(float)
COUNTS = np.array([1.0, 0.0, 3.0, 2.0, 5.0, 1.0])
PTS = R.normal(size=(7, 2))
SPD = A.T @ A + np.eye(3)


def logistic_nll(w):
    z = A @ w
    return np.sum(np.log(1.0 + np.exp(z)) - Y01 * z) + 0.5 * np.sum(w ** 2)


def poisson_nll(w):
    eta = A @ w
    return np.sum(np.exp(eta) - COUNTS * eta)


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def gaussian_loglik(theta):
    mu, log_s = theta[0], theta[1]
    return np.sum(0.5 * ((COUNTS - mu) / np.exp(log_s)) ** 2 + log_s)


def softplus_energy(x):
    return np.sum(np.log1p(np.exp(x)) * np.arange(1.0, 4.0)) + np.sum(x ** 4) * 0.1


def log_sum_exp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def tiny_mlp(w):
    W1 = w[:6].reshape(3, 2)
    h = np.tanh(PTS[:, :2] @ W1.T)
    return np.sum((h @ w[6:9] - COUNTS[:6].mean()) ** 2) / 7.0


def kmeans_cost(c):
    C = c.reshape(2, 2)
    d = PTS[:, None, :] - C[None, :, :]
    return np.sum(np.sum(d ** 2, axis=2) * np.array([0.6, 0.4]))


def cubic_first_column(x):
    return np.sum(x.reshape(3, 2)[:, 0] ** 3) + np.sum(x ** 2)


def stacked_in_a_loop(x):
    rows = []
    for i in range(3):
        rows.append(np.sin(x * (i + 1.0)))
    return np.sum(np.stack(rows) ** 2)


def solve_quadratic(x):
    return x @ np.linalg.solve(SPD, x) + np.sum(np.sin(x))


def log_det(x):
    M = SPD + np.outer(x, x)
    return np.linalg.slogdet(M)[1]


def cholesky_energy(x):
    L = np.linalg.cholesky(SPD + np.diag(x ** 2))
    return np.sum(L ** 2) + np.sum(np.log(np.diag(L)))


def product_and_norm(x):
    return np.prod(x) + np.linalg.norm(x) ** 3


def moments(x):
    return np.var(x) * np.std(x) + np.mean(x ** 3)


def cumulative(x):
    return np.sum(np.cumsum(x) ** 2 * np.arange(1.0, 4.0))


def quadratic_form(x):
    return np.einsum("i,ij,j->", x, SPD, x) + np.sum(np.cos(x))


def trig_mix(x):
    return np.sum(np.sin(x) * np.cos(x[::-1]) + np.tanh(x) ** 2)


def damped_loop(x):
    s = x * 0.0
    for i in range(4):
        s = s * 0.8 + np.sin(x + s)
    return np.sum(s ** 2)


def while_newton(x):
    y = x * 1.0
    k = 0
    while k < 3:
        y = y - (y ** 3 - x) / (3.0 * y ** 2 + 1.0)
        k += 1
    return np.sum(y ** 2)


def branchy(x):
    if np.sum(x) > 0.0:
        return np.sum(x ** 3 * np.array([1.0, 2.0, 3.0]))
    return np.sum(np.exp(x))


def dict_model(x):
    p = {"a": x[0], "b": x[1:]}
    return p["a"] ** 2 * np.sum(p["b"] ** 2) + np.sum(np.exp(p["b"]))


def helper_calls(x):
    return _energy(x) + _energy(x[::-1] * 2.0)


def _energy(v):
    return np.sum(v ** 4 - v ** 2)


# containers and helpers whose adjoints are lists of adjoints (runtime.Adjoints): #13's
# closure step (they stopped at "making a Adjoints object from differentiated values")
def chain_of_matrices(x):
    W = np.outer(x, x) + SPD
    return np.sum(np.linalg.multi_dot([A, W, A.T]) ** 2) / 100.0


def chain_of_four(x):
    M = x.reshape(2, 2)
    return np.sum(np.sin(np.linalg.multi_dot([M, M.T, M, np.eye(2) * 2.0])))


def layers_zip(x):
    Ws = [x[:3], x[3:] * 2.0]
    bs = [0.1, -0.3]
    h = 0.0
    for w, b in zip(Ws, bs):
        h = h + np.tanh(A @ w + b)
    return np.sum(h ** 2)


def enumerate_terms(x):
    parts = [x, x ** 2, np.sin(x)]
    total = 0.0
    for i, p in enumerate(parts):
        total = total + (i + 1.0) * np.sum(p * p[::-1])
    return total


def reversed_terms(x):
    parts = [x, np.cos(x), x ** 3]
    total = x[0]
    for p in reversed(parts):
        total = total * 0.5 + np.sum(p * x)
    return total


def zip_list(x):
    pairs = list(zip([x, x ** 2], [np.sin(x), x]))
    return sum(np.sum(a * b) for a, b in pairs) ** 2


def dict_values(x):
    p = {"a": x[0] * x, "b": np.exp(x)}
    s = 0.0
    for v in p.values():
        s = s + np.sum(v ** 2)
    return s


def dict_items(x):
    p = {"a": x, "bb": np.cos(x)}
    s = 0.0
    for k, v in p.items():
        s = s + len(k) * np.sum(v ** 3)
    return s


def sum_of_values(x):
    p = {"a": x ** 2, "b": np.sin(x)}
    return np.sum(sum(p.values()) ** 2)


R13 = np.random.default_rng(1313)
CASES = [
    (logistic_nll, R.normal(size=3)), (poisson_nll, R.normal(size=3) * 0.3),
    (rosenbrock, R.uniform(-1, 1, size=4)), (gaussian_loglik, np.array([1.5, 0.3])),
    (softplus_energy, R.normal(size=3)), (log_sum_exp, R.normal(size=4)),
    (tiny_mlp, R.normal(size=9) * 0.5), (kmeans_cost, R.normal(size=4)),
    (cubic_first_column, R.normal(size=6)), (stacked_in_a_loop, R.normal(size=3)),
    (solve_quadratic, R.normal(size=3)), (log_det, R.normal(size=3)),
    (cholesky_energy, R.uniform(0.5, 1.0, size=3)), (product_and_norm, R.uniform(0.5, 1.5, size=3)),
    (moments, R.normal(size=4)), (cumulative, R.normal(size=3)),
    (quadratic_form, R.normal(size=3)), (trig_mix, R.normal(size=4)),
    (damped_loop, R.normal(size=3)), (while_newton, R.uniform(0.5, 1.5, size=3)),
    (branchy, R.uniform(0.2, 0.8, size=3)), (dict_model, R.normal(size=3)),
    (helper_calls, R.normal(size=3)),
] + [
    (chain_of_matrices, R13.normal(size=3)),
    (layers_zip, R13.normal(size=6) * 0.5), (enumerate_terms, R13.normal(size=3)),
    (reversed_terms, R13.normal(size=3)), (zip_list, R13.normal(size=3)),
    (dict_values, R13.normal(size=3)), (dict_items, R13.normal(size=3)),
    (sum_of_values, R13.normal(size=3)),
]


def autograd_version(f):
    """``f`` with its ``np`` (and the helpers it calls) rebound to autograd.numpy."""
    g = dict(f.__globals__)
    g["np"] = anp
    g["_energy"] = types.FunctionType(_energy.__code__, g)
    return types.FunctionType(f.__code__, g)


#: third derivatives refused (a clear error, not a wrong number): the tangents of
#: several results (``Several``, whose ``+`` adds element by element) built in the hvp's
#: code, and np.einsum's helper with ``*operands``
THIRD_REFUSED = {
}

HVP = None           # srcgrad.hvp(f) of the case (third order: grad of u . hvp(x, v))
V = U = None


def third_order(f, x, v, u):
    """srcgrad's gradient of ``u . hvp(f)(x, v)``, or None when the table says
    it is refused (and it is)."""
    global HVP, V, U
    HVP, V, U = srcgrad.hvp(f), v, u
    srcgrad.clear_cache()
    if f.__name__ in THIRD_REFUSED:
        with pytest.raises(srcgrad.UnsupportedError, match=THIRD_REFUSED[f.__name__]):
            srcgrad.grad(third)(x)
        return None
    return srcgrad.grad(third)(x)


def third(x):
    v = V * 1.0
    return np.sum(HVP(x, v) * U)


@pytest.mark.parametrize("f, x", CASES, ids=[c[0].__name__ for c in CASES])
def test_against_autograd(f, x):
    fa = autograd_version(f)
    r = np.random.default_rng(len(f.__name__))
    v, u = r.normal(size=x.shape), r.normal(size=x.shape)
    H = srcgrad.hessian(f)(x)
    np.testing.assert_allclose(H, autograd.hessian(fa)(x), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(H, _fd_jac(srcgrad.grad(f), x), rtol=1e-5, atol=1e-6)
    Hv = srcgrad.hvp(f)(x, v)
    np.testing.assert_allclose(Hv, autograd.hessian_vector_product(fa)(x, v), rtol=1e-8,
                               atol=1e-10)
    g, t = srcgrad.jvp(srcgrad.grad(f))(x, v)                # forward over reverse
    np.testing.assert_allclose(g, autograd.grad(fa)(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(t, Hv, rtol=1e-10, atol=1e-12)
    d3 = third_order(f, x, v, u)
    if d3 is None:
        return
    d3_autograd = autograd.grad(lambda y: anp.sum(autograd.hessian_vector_product(fa)(y, v) * u))(x)
    np.testing.assert_allclose(d3, d3_autograd, rtol=1e-7, atol=1e-9)


# -- in-place writes (autograd cannot express them) and what autograd cannot do:
# finite differences only ---------------------------------------------------------

def scatter_add(x):
    y = x.copy()
    y[np.array([2, 0])] += x[1:3] ** 2
    return np.sum(y ** 3)


def rolling_update(x):
    y = np.zeros(4)
    for i in range(3):
        y[i + 1] = y[i] * 0.5 + np.sin(x[i])
    y[0] += np.sum(x ** 2)
    return np.sum(y ** 2)


@pytest.mark.parametrize("f, x", [(scatter_add, R.normal(size=3)),
                                  (rolling_update, R.normal(size=3)),
                                  # autograd's multi_dot of four matrices returns no box
                                  (chain_of_four, R13.normal(size=4))],
                         ids=["scatter_add", "rolling_update", "chain_of_four"])
def test_in_place_writes(f, x):
    H = srcgrad.hessian(f)(x)
    np.testing.assert_allclose(H, _fd_jac(srcgrad.grad(f), x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(H, H.T, rtol=1e-10, atol=1e-12)
    v, u = np.ones(x.size), np.array([0.3, -0.2, 0.5, 0.1])[:x.size]
    d3 = third_order(f, x, v, u)
    if d3 is None:
        return
    np.testing.assert_allclose(d3, _fd_grad(lambda y: np.sum(srcgrad.hvp(f)(y, v) * u), x),
                               rtol=1e-5, atol=1e-6)


def _fd_grad(fun, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


def _fd_jac(fun, x, h=1e-6):
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        cols.append((np.asarray(fun(x + e)) - np.asarray(fun(x - e))) / (2 * h))
    return np.stack(cols, axis=-1)
