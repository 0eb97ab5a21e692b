"""Rules for :mod:`scipy.stats`: the densities, distribution functions and
their logarithms of the common distributions, w.r.t. the point, the shape
parameters, ``loc`` and ``scale``.

``scipy.stats.norm.logpdf`` is a bound method of a library object; bound
methods hash and compare equal, so ``defvjp`` registers it like a function
and ``scipy.stats.norm.logpdf(x, mu, s)`` in the user's code resolves to it.
Signatures follow SciPy (``t.logpdf(x, df, loc=0, scale=1)``).

Each distribution is given by the adjoints of its log-density (one closed
form a parameter; ``z = (x - loc) / scale``); the other methods follow:

* ``pdf`` -- the log-density's adjoint times ``ans``;
* ``cdf`` -- ``g * P`` for ``x``, ``-g * P`` for ``loc``, ``-g * (x - loc) /
  scale * P`` for ``scale``, with ``P`` the density; ``sf`` the negation;
* ``logcdf``/``logsf`` -- the same with ``P = exp(logpdf - ans)`` (the ratio
  of the density to the probability, computed stably).

A shape parameter of a distribution function has a closed form only
sometimes (lognorm's ``s``; the rate of poisson, binom, nbinom, whose
regularized incomplete gamma/beta functions are differentiated in their
argument); where it needs the derivative of an incomplete gamma or beta
function in its parameter it is refused when varied.  Discrete counts
(``k``, binom's ``n``) and discrete ``loc`` have no derivative (``None``).
All rules are elementwise: broadcast adjoints are reduced for free and the
tangents derive from the adjoints.  ``multivariate_normal`` and
``dirichlet`` are declared with their own forward templates.
"""

import ast

import numpy as np  # noqa: F401  (used in templates)
from scipy import stats
from scipy.special import digamma  # noqa: F401  (used in templates)

from srcgrad.rules.checks import defcheck
from srcgrad.rules.registry import defjvp, defvjp
from srcgrad.rules.tables import PARAM_LIMITS
from srcgrad.runtime.scipy_stats import mvn_matrix  # noqa: F401  (used in templates)

E = "elementwise"

# --------------------------------------------------------------------------
# continuous distributions: the adjoint of logpdf w.r.t. x, each shape, scale
# (loc's is minus x's).  Logarithms of the point take np.abs: outside the support the
# density is 0 and so is its derivative (the same value inside).


CONTINUOUS = {
    "norm": dict(
        x="-g * (x - loc) / scale ** 2",
        scale="g * ((x - loc) ** 2 / scale ** 2 - 1.0) / scale"),
    "t": dict(
        x="-g * (df + 1.0) * (x - loc) / (df * scale ** 2 + (x - loc) ** 2)",
        df="g * (digamma((df + 1.0) / 2.0) - digamma(df / 2.0) - 1.0 / df "
           "- np.log1p((x - loc) ** 2 / (df * scale ** 2)) "
           "+ (df + 1.0) * (x - loc) ** 2 / (df * (df * scale ** 2 + (x - loc) ** 2))) / 2.0",
        scale="g * ((df + 1.0) * (x - loc) ** 2 / (df * scale ** 2 + (x - loc) ** 2) - 1.0) / scale"),
    "gamma": dict(
        x="g * ((a - 1.0) / (x - loc) - 1.0 / scale)",
        a="g * (np.log(np.abs(x - loc) / scale) - digamma(a))",
        scale="g * ((x - loc) / scale - a) / scale"),
    "beta": dict(
        x="g * ((a - 1.0) / (x - loc) - (b - 1.0) / (scale - x + loc))",
        a="g * (np.log(np.abs(x - loc) / scale) - digamma(a) + digamma(a + b))",
        b="g * (np.log(np.abs(scale - x + loc) / scale) - digamma(b) + digamma(a + b))",
        scale="g * ((b - 1.0) * (x - loc) / (scale - x + loc) - a) / scale"),
    "expon": dict(
        x="-g / scale",
        scale="g * ((x - loc) / scale - 1.0) / scale"),
    "laplace": dict(
        x="-g * np.sign(x - loc) / scale",
        scale="g * (np.abs(x - loc) / scale - 1.0) / scale"),
    "cauchy": dict(
        x="-g * 2.0 * (x - loc) / (scale ** 2 + (x - loc) ** 2)",
        scale="g * ((x - loc) ** 2 - scale ** 2) / (scale * (scale ** 2 + (x - loc) ** 2))"),
    "logistic": dict(
        x="-g * np.tanh((x - loc) / (2.0 * scale)) / scale",
        scale="g * ((x - loc) / scale * np.tanh((x - loc) / (2.0 * scale)) - 1.0) / scale"),
    "lognorm": dict(
        x="-g * (1.0 + np.log(np.abs(x - loc) / scale) / s ** 2) / (x - loc)",
        s="g * (np.log(np.abs(x - loc) / scale) ** 2 / s ** 2 - 1.0) / s",
        scale="g * np.log(np.abs(x - loc) / scale) / (s ** 2 * scale)"),
    "chi2": dict(
        x="g * ((df / 2.0 - 1.0) / (x - loc) - 0.5 / scale)",
        df="g * (np.log(np.abs(x - loc) / (2.0 * scale)) - digamma(df / 2.0)) / 2.0",
        scale="g * ((x - loc) / scale - df) / (2.0 * scale)"),
}

#: the adjoints of cdf w.r.t. shape parameters that have a closed form (P: the density)
CDF_SHAPES = {"lognorm": {"s": "-g * (x - loc) * np.log(np.abs(x - loc) / scale) / s * P"}}
#: the shape parameters of a cdf that need an incomplete function's derivative in its parameter
REFUSED = {"t": ("beta", ["df"]), "gamma": ("gamma", ["a"]), "beta": ("beta", ["a", "b"]),
           "chi2": ("gamma", ["df"]), "nbinom": ("beta", ["n"])}

# --------------------------------------------------------------------------
# discrete distributions: (signature, adjoints of logpmf, adjoints of cdf in P,
# P: the probability of floor(k), written with pmf)

DISCRETE = {
    "poisson": ("k, mu, loc=0",
                dict(mu="g * ((k - loc) / mu - 1.0)"),
                dict(mu="-g * P"),
                "stats.poisson.pmf(np.floor(k), mu, loc)"),
    "binom": ("k, n, p, loc=0",
              dict(p="g * ((k - loc) / p - (n - k + loc) / (1.0 - p))"),
              dict(p="-g * n * P"),
              "stats.binom.pmf(np.floor(k), n - 1, p, loc)"),
    "nbinom": ("k, n, p, loc=0",
               dict(n="g * (digamma(k - loc + n) - digamma(n) + np.log(p))",
                    p="g * (n / p - (k - loc) / (1.0 - p))"),
               dict(p="g * (np.floor(k) - loc + n) / p * P"),
               "stats.nbinom.pmf(np.floor(k), n, p, loc)"),
}


def _negate(text):
    """``-g * a`` for ``g * a`` and the other way round (templates are products
    whose leftmost factor is ``g`` or ``-g``)."""
    if text.startswith("-g "):
        return text[1:]
    assert text.startswith("g "), text
    return "-" + text


def _times_ans(text):
    """The adjoint of ``exp(f)`` from the adjoint of ``f``: ``g`` becomes ``g * ans``."""
    return text.replace("g ", "g * ans ", 1) if text.startswith(("g ", "-g ")) else text


def _with_p(text, p, name="P"):
    """``text`` with the name ``P`` (or ``name``) replaced by the expression ``p``."""
    tree = ast.parse(text, mode="eval")
    expr = ast.parse(p, mode="eval").body

    class Sub(ast.NodeTransformer):
        def visit_Name(self, node):
            return expr if node.id == name else node
    return ast.unparse(Sub().visit(tree))


def _refuse(fun, dist, method, incomplete, params):
    PARAM_LIMITS[fun] = {p: (
        f"srcgrad has no derivative of scipy.stats.{dist}.{method} with respect to its shape "
        f"parameter '{p}': it needs the derivative of the regularized incomplete "
        f"{incomplete} function in its parameter",
        f"pass a constant {p}, or wrap it in srcgrad.stop_gradient(...) if no derivative "
        f"flows through it") for p in params}


def _declare(dist, signature, params, logp, cdf, p_pdf, p_logpdf, density):
    """The rules of the six methods of one distribution; ``logp`` and ``cdf``:
    parameter -> adjoint of the log-density and of the cdf (in ``P``)."""
    gen = getattr(stats, dist)
    dens = [logp.get(p) for p in params]
    declare = [(density[0], dens),
               (density[1], [t and _times_ans(t) for t in dens])]
    for method, p_text, sign in (("cdf", p_pdf, False), ("sf", p_pdf, True),
                                 ("logcdf", p_logpdf, False), ("logsf", p_logpdf, True)):
        adj = [cdf.get(p) and _with_p(cdf[p], p_text) for p in params]
        declare.append((method, [t and (_negate(t) if sign else t) for t in adj]))
    for method, adjoints in declare:
        fun = getattr(gen, method)
        defvjp(fun, signature, *adjoints, kind=E, name=f"scipy.stats.{dist}.{method}")
        if method not in density and dist in REFUSED:
            incomplete, refused = REFUSED[dist]
            _refuse(fun, dist, method, incomplete, refused)


for _dist, _logp in CONTINUOUS.items():
    _shapes = [s for s in (getattr(stats, _dist).shapes or "").replace(" ", "").split(",") if s]
    _params = ["x"] + _shapes + ["loc", "scale"]
    _logp = dict(_logp, loc=_negate(_logp["x"]))
    _args = ", ".join(_params[:-2])
    _cdf = dict(x="g * P", loc="-g * P", scale="-g * (x - loc) / scale * P",
                **CDF_SHAPES.get(_dist, {}))
    _declare(_dist, f"{', '.join(_params[:-2])}, loc=0.0, scale=1.0", _params, _logp, _cdf,
             f"stats.{_dist}.pdf({_args}, loc, scale)",
             f"np.exp(stats.{_dist}.logpdf({_args}, loc, scale) - ans)", ("logpdf", "pdf"))

for _dist, (_sig, _logp, _cdf, _p) in DISCRETE.items():
    _params = [p.split("=")[0] for p in _sig.split(", ")]
    _declare(_dist, _sig, _params, _logp, _cdf, _p,
             f"np.exp({_p.replace('.pmf(', '.logpmf(')} - ans)", ("logpmf", "pmf"))

# --------------------------------------------------------------------------
# multivariate_normal: x (..., d), mean (d,), cov (d, d).  SciPy reads only the
# lower triangle of cov (C below is the matrix it uses), so the adjoint of cov
# lies in that triangle: tril((2 - I) * M) of the symmetric gradient
# M = (S R' G R S - sum(g) S) / 2, S = C^-1, R the rows x - mean, G = diag(g).

C = "(np.tril(cov) + np.transpose(np.tril(cov, -1)))"
ROWS = "np.reshape(x - mean, (-1, np.shape(cov)[0]))"
WHITE = f"({ROWS} @ np.linalg.inv({C}))"          # rows S (x - mean)
GCOL = "np.reshape(g, (-1, 1))"
MVN = dict(
    x=f"-np.reshape({GCOL} * {WHITE}, np.shape(x))",
    mean=f"np.reshape(np.sum({GCOL} * {WHITE}, axis=0), np.shape(mean))",
    cov=f"np.tril((1.0 - 0.5 * np.eye(np.shape(cov)[0])) * (np.transpose({WHITE}) @ ({GCOL} * {WHITE}) "
        f"- np.sum(g) * np.linalg.inv({C})))")
DC = "(np.tril(t) + np.transpose(np.tril(t, -1)))"
MVN_TANGENT = dict(
    x=f"-np.reshape(np.sum(np.reshape(t, (-1, np.shape(cov)[0])) * {WHITE}, axis=-1), np.shape(ans))",
    mean=f"np.reshape(np.sum(t * {WHITE}, axis=-1), np.shape(ans))",
    cov=f"np.reshape(0.5 * (np.sum(({WHITE} @ {DC}) * {WHITE}, axis=-1) "
        f"- np.sum(np.linalg.inv({C}) * {DC})), np.shape(ans))")
_MVN_SIG = "x, mean=None, cov=1, allow_singular=False"
defvjp(stats.multivariate_normal.logpdf, _MVN_SIG, MVN["x"], MVN["mean"], MVN["cov"],
       name="scipy.stats.multivariate_normal.logpdf")
defjvp(stats.multivariate_normal.logpdf, **MVN_TANGENT)
defvjp(stats.multivariate_normal.pdf, _MVN_SIG,
       *[_with_p(MVN[p], "g * ans", "g") for p in ("x", "mean", "cov")],
       name="scipy.stats.multivariate_normal.pdf")
defjvp(stats.multivariate_normal.pdf, **{p: f"ans * {t}" for p, t in MVN_TANGENT.items()})


def _mvn_check(known):
    if known.get("mean", 0.0) is None or isinstance(known.get("cov"), (int, float)):
        return ("scipy.stats.multivariate_normal is differentiated with the mean and a "
                "covariance matrix given", "pass both as arrays: "
                "multivariate_normal.logpdf(x, mean, cov), with cov of shape (d, d)")
    return None


for _method in ("logpdf", "pdf"):
    defcheck(getattr(stats.multivariate_normal, _method), _mvn_check)
    PARAM_LIMITS[getattr(stats.multivariate_normal, _method)] = {"allow_singular": (False,)}

# --------------------------------------------------------------------------
# dirichlet: x (K,) or (K, n) -- the components on the first axis, all K of them
# (SciPy completes K - 1 given ones; that form is not covered) -- and alpha (K,)

# (the adjoints and tangents of x and alpha, as lists)
DIRICHLET = ["np.transpose(np.expand_dims(g, -1) * (alpha - 1.0) / np.transpose(x))",
             "np.sum(g) * (digamma(np.sum(alpha)) - digamma(alpha)) + np.sum(np.reshape("
             "np.expand_dims(g, -1) * np.log(np.transpose(x)), (-1, np.size(alpha))), axis=0)"]
DIRICHLET_TANGENT = ["np.sum(np.transpose(t) * (alpha - 1.0) / np.transpose(x), axis=-1)",
                     "np.sum(t) * digamma(np.sum(alpha)) - np.sum(t * digamma(alpha)) "
                     "+ np.log(np.transpose(x)) @ t"]
defvjp(stats.dirichlet.logpdf, "x, alpha", *DIRICHLET, name="scipy.stats.dirichlet.logpdf")
defjvp(stats.dirichlet.logpdf, *DIRICHLET_TANGENT)
# pdf = exp(logpdf): g becomes g * ans, the tangent is ans times logpdf's
defvjp(stats.dirichlet.pdf, "x, alpha", *[_with_p(a, "(g * ans)", "g") for a in DIRICHLET],
       name="scipy.stats.dirichlet.pdf")
defjvp(stats.dirichlet.pdf, *[f"ans * ({t})" for t in DIRICHLET_TANGENT])

# --------------------------------------------------------------------------
# multivariate_normal.entropy = logdet(2 pi e C) / 2, C the matrix SciPy reads (the lower
# triangle of cov); the mean has no part in it (its adjoint is zeros)

M = "mvn_matrix(cov)"
CM = C.replace("cov", M)
defvjp(stats.multivariate_normal.entropy, "mean=None, cov=1",
       "np.zeros(np.shape(mean))",
       f"g * np.tril((1.0 - 0.5 * np.eye(np.shape({M})[0])) * np.linalg.inv({CM}))",
       name="scipy.stats.multivariate_normal.entropy")
defjvp(stats.multivariate_normal.entropy, mean="0.0 * np.sum(t)",
       cov=f"0.5 * np.sum(np.linalg.inv({CM}) * {DC})")
defvjp(mvn_matrix, "cov", "g")
defjvp(mvn_matrix, "t")


def _entropy_check(known):
    if isinstance(known.get("cov"), (int, float)):
        return ("scipy.stats.multivariate_normal.entropy is differentiated with a covariance "
                "matrix given", "pass cov as an array of shape (d, d)")
    return None


defcheck(stats.multivariate_normal.entropy, _entropy_check)
