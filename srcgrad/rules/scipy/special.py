"""Rules for scipy.special: the logistic and softmax family, gamma and beta
functions, error functions, entropies, Bessel functions, exponential
integrals, hypergeometric functions, the Fresnel, sine and cosine integrals
(two results each) and the complete elliptic integrals.

Almost all are ufuncs: ``kind="elementwise"`` gives them broadcasting and
forward mode (the tangent is the adjoint with ``g`` replaced by ``t``).
Their templates call scipy.special functions that have rules here too, so
second order works.  An order or a count (``polygamma``'s ``n``, ``jv``'s
``v``, ``multigammaln``'s ``d``) and a parameter whose derivative has no
closed form (``gammainc``'s ``a``, ``betainc``'s ``a`` and ``b``, ``zeta``'s
``x``, ``hyp1f1``'s ``a`` and ``b``) have no template: the call is refused
when a differentiated value reaches them (``PARAM_LIMITS``), never given a
zero derivative."""

import numpy as np
from scipy import special

from srcgrad.rules.checks import defcheck
from srcgrad.rules.registry import defjvp, defvjp, lookup, nondifferentiable
from srcgrad.rules.tables import PARAM_LIMITS
from srcgrad.runtime import unbroadcast  # noqa: F401  (used in templates)
from srcgrad.runtime.containers import Several  # noqa: F401  (used in templates)
from srcgrad.runtime.special import kept_shape  # noqa: F401  (used in templates)

E = "elementwise"


def rule(fun, signature, *adjoints, kind=None):
    """``defvjp`` under the name users write (``scipy.special.expit``, where a ufunc
    would otherwise be named after NumPy)."""
    return defvjp(fun, signature, *adjoints, kind=kind, namespace=globals(),
                  name=f"scipy.special.{fun.__name__}")


# the logistic function and its relatives
rule(special.expit, "x", "g * ans * (1.0 - ans)", kind=E)
rule(special.logit, "x", "g / (x * (1.0 - x))", kind=E)
rule(special.log_expit, "x", "g * special.expit(-x)", kind=E)
rule(special.softplus, "x", "g * special.expit(x)", kind=E)

# log-sum-exp and softmax, over ``axis`` (None: all elements); ``b`` weights the terms.
# The rule's b defaults to 1.0 (SciPy's None: weights of one), so the adjoint reads
# g * 1.0 * exp(a - ans); an explicit b=None is refused (see _logsumexp).  ``a`` may be a
# list: np.asarray(a) makes the tangent of a - ... an array (not a tuple of tangents), and
# tangents ``t`` (a tuple for a list) are only multiplied by arrays or passed to NumPy
_KEPT = "kept_shape(a, b, axis)"
_LSE_A = f"unbroadcast(b * np.exp(np.asarray(a) - np.reshape(ans, {_KEPT})) * np.reshape(g, {_KEPT}), a)"
# (broadcast to the shape of the terms: b may have axes a has not)
_LSE_B = (f"unbroadcast(np.broadcast_to(np.exp(np.asarray(a) - np.reshape(ans, {_KEPT})) "
          f"* np.reshape(g, {_KEPT}), np.broadcast_shapes(np.shape(a), np.shape(b))), b)")
rule(special.logsumexp, "a, axis=None, b=1.0, keepdims=False, return_sign=False",
     _LSE_A, None, _LSE_B, kind="reduction")
defjvp(special.logsumexp,
       a=f"np.sum(b * np.exp(np.asarray(a) - np.reshape(ans, {_KEPT})) * t, axis=axis, keepdims=keepdims)",
       b=f"np.sum(np.exp(np.asarray(a) - np.reshape(ans, {_KEPT})) * t, axis=axis, keepdims=keepdims)")
rule(special.softmax, "x, axis=None", "ans * (g - np.sum(g * ans, axis=axis, keepdims=True))")
defjvp(special.softmax, "ans * t - ans * np.sum(ans * t, axis=axis, keepdims=True)")
rule(special.log_softmax, "x, axis=None", "g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)")
defjvp(special.log_softmax, "np.subtract(t, np.sum(np.exp(ans) * t, axis=axis, keepdims=True))")


def _logsumexp(known):
    if known.get("return_sign", True) is not False:        # (True, or not a constant)
        return ("scipy.special.logsumexp(..., return_sign=True) is not differentiated "
                "(its result is a pair)",
                "leave return_sign out when the weighted sum is positive")
    if "b" in known and known["b"] is None:
        return ("scipy.special.logsumexp with b=None written out is not differentiated",
                "leave b out for weights of one")
    return None


defcheck(special.logsumexp, _logsumexp)

# gamma and beta functions
rule(special.gamma, "z", "g * ans * special.digamma(z)", kind=E)
rule(special.gammaln, "x", "g * special.digamma(x)", kind=E)
rule(special.loggamma, "z", "g * special.digamma(z)", kind=E)          # real z
rule(special.rgamma, "z", "-g * ans * special.digamma(z)", kind=E)
rule(special.digamma, "z", "g * special.polygamma(1, z)", kind=E)       # also psi
rule(special.polygamma, "n, x", None, "g * special.polygamma(n + 1, x)", kind=E)
rule(special.multigammaln, "a, d",
       "g * np.sum(special.digamma(np.expand_dims(a, -1) - np.arange(d) / 2.0), axis=-1)", kind=E)
rule(special.beta, "a, b", "g * ans * (special.digamma(a) - special.digamma(a + b))",
       "g * ans * (special.digamma(b) - special.digamma(a + b))", kind=E)
rule(special.betaln, "a, b", "g * (special.digamma(a) - special.digamma(a + b))",
       "g * (special.digamma(b) - special.digamma(a + b))", kind=E)
rule(special.poch, "z, m", "g * ans * (special.digamma(z + m) - special.digamma(z))",
       "g * ans * special.digamma(z + m)", kind=E)
nondifferentiable(special.gammasgn, special.bernoulli)
lookup(special.gammasgn).name = "scipy.special.gammasgn"     # (a ufunc: named after NumPy)

# regularized incomplete gamma and beta functions and their inverses: the derivative in
# x (y) is the density; in the shape parameters it has no closed form (refused)
_GAMMA_PDF = "np.exp((a - 1.0) * np.log(x) - x - special.gammaln(a))"
rule(special.gammainc, "a, x", None, f"g * {_GAMMA_PDF}", kind=E)
rule(special.gammaincc, "a, x", None, f"-g * {_GAMMA_PDF}", kind=E)
rule(special.gammaincinv, "a, y", None,
       "g * np.exp(ans + (1.0 - a) * np.log(ans) + special.gammaln(a))", kind=E)
rule(special.gammainccinv, "a, y", None,
       "-g * np.exp(ans + (1.0 - a) * np.log(ans) + special.gammaln(a))", kind=E)
_BETA_PDF = "np.exp((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - special.betaln(a, b))"
rule(special.betainc, "a, b, x", None, None, f"g * {_BETA_PDF}", kind=E)
if hasattr(special, "betaincc"):                                          # SciPy 1.11
    defvjp(special.betaincc, "a, b, x", None, None, f"-g * {_BETA_PDF}", kind=E)
rule(special.betaincinv, "a, b, y", None, None,
       "g * np.exp(special.betaln(a, b) - (a - 1.0) * np.log(ans) - (b - 1.0) * np.log1p(-ans))",
       kind=E)

# error functions and the normal distribution
rule(special.erf, "z", "g * (2.0 / np.sqrt(np.pi)) * np.exp(-z * z)", kind=E)
rule(special.erfc, "x", "-g * (2.0 / np.sqrt(np.pi)) * np.exp(-x * x)", kind=E)
rule(special.erfcx, "x", "g * (2.0 * x * ans - 2.0 / np.sqrt(np.pi))", kind=E)
rule(special.erfinv, "y", "g * (np.sqrt(np.pi) / 2.0) * np.exp(ans * ans)", kind=E)
rule(special.erfcinv, "y", "-g * (np.sqrt(np.pi) / 2.0) * np.exp(ans * ans)", kind=E)
rule(special.ndtr, "x", "g * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)", kind=E)
rule(special.log_ndtr, "x", "g * np.exp(-0.5 * x * x - ans) / np.sqrt(2.0 * np.pi)", kind=E)
rule(special.ndtri, "y", "g * np.sqrt(2.0 * np.pi) * np.exp(0.5 * ans * ans)", kind=E)
rule(special.ndtri_exp, "y", "g * np.sqrt(2.0 * np.pi) * np.exp(y + 0.5 * ans * ans)", kind=E)
rule(special.dawsn, "x", "g * (1.0 - 2.0 * x * ans)", kind=E)

# x log y and the entropies (x > 0, y > 0)
rule(special.xlogy, "x, y", "g * np.log(y)", "g * x / y", kind=E)
rule(special.xlog1py, "x, y", "g * np.log1p(y)", "g * x / (1.0 + y)", kind=E)
rule(special.entr, "x", "-g * (np.log(x) + 1.0)", kind=E)
rule(special.rel_entr, "x, y", "g * (np.log(x / y) + 1.0)", "-g * x / y", kind=E)
rule(special.kl_div, "x, y", "g * np.log(x / y)", "g * (1.0 - x / y)", kind=E)

# Bessel functions: the derivative in the argument by the recurrences; the order is real
# for jv, yv, iv, kv (no derivative here: refused when differentiated) and an integer for yn
rule(special.jv, "v, z", None, "g * (special.jv(v - 1.0, z) - special.jv(v + 1.0, z)) / 2.0", kind=E)
rule(special.yv, "v, z", None, "g * (special.yv(v - 1.0, z) - special.yv(v + 1.0, z)) / 2.0", kind=E)
rule(special.yn, "n, x", None, "g * (special.yn(n - 1, x) - special.yn(n + 1, x)) / 2.0", kind=E)
rule(special.iv, "v, z", None, "g * (special.iv(v - 1.0, z) + special.iv(v + 1.0, z)) / 2.0", kind=E)
rule(special.kv, "v, z", None, "-g * (special.kv(v - 1.0, z) + special.kv(v + 1.0, z)) / 2.0", kind=E)
# the exponentially scaled ones: jve = jv exp(-|Im z|) is jv for real z; ive = iv exp(-|z|);
# kve = kv exp(z)
rule(special.jve, "v, z", None, "g * (special.jve(v - 1.0, z) - special.jve(v + 1.0, z)) / 2.0", kind=E)
rule(special.yve, "v, z", None, "g * (special.yve(v - 1.0, z) - special.yve(v + 1.0, z)) / 2.0", kind=E)
rule(special.ive, "v, z", None,
       "g * ((special.ive(v - 1.0, z) + special.ive(v + 1.0, z)) / 2.0 - np.sign(z) * ans)", kind=E)
rule(special.kve, "v, z", None,
       "g * (ans - (special.kve(v - 1.0, z) + special.kve(v + 1.0, z)) / 2.0)", kind=E)
rule(special.j0, "x", "-g * special.j1(x)", kind=E)
rule(special.j1, "x", "g * (special.j0(x) - special.jv(2.0, x)) / 2.0", kind=E)
rule(special.y0, "x", "-g * special.y1(x)", kind=E)
rule(special.y1, "x", "g * (special.y0(x) - special.yn(2, x)) / 2.0", kind=E)
rule(special.i0, "x", "g * special.i1(x)", kind=E)
rule(special.i0e, "x", "g * (special.i1e(x) - np.sign(x) * ans)", kind=E)
# (I2 through ive: scipy's iv(2.0, x) is nan for subnormal x, where i1 is not)
rule(special.i1, "x", "g * (special.i0(x) + np.exp(np.abs(x)) * special.ive(2.0, x)) / 2.0", kind=E)
rule(special.i1e, "x", "g * ((special.i0e(x) + special.ive(2.0, x)) / 2.0 - np.sign(x) * ans)", kind=E)
rule(special.k0, "x", "-g * special.k1(x)", kind=E)
rule(special.k0e, "x", "g * (ans - special.k1e(x))", kind=E)
rule(special.k1, "x", "-g * (special.k0(x) + special.kv(2.0, x)) / 2.0", kind=E)
rule(special.k1e, "x", "g * (ans - (special.k0e(x) + special.kve(2.0, x)) / 2.0)", kind=E)

# more elementwise functions
rule(special.factorial, "n, exact=False, extend='zero'", "g * ans * special.digamma(n + 1.0)", kind=E)
rule(special.erfi, "z", "g * (2.0 / np.sqrt(np.pi)) * np.exp(z * z)", kind=E)
# d/dx E_n(x) = -E_{n-1}(x), and E_{-1}(x) = exp(-x) (1 + x) / x**2 (scipy's expn(-1, x) is nan)
rule(special.expn, "n, x", None,
     "-g * np.where(n == 0, np.exp(-x) * (1.0 + x) / (x * x), special.expn(n - 1, x))", kind=E)
# hypergeometric functions, in the argument only
rule(special.hyp1f1, "a, b, x", None, None, "g * (a / b) * special.hyp1f1(a + 1.0, b + 1.0, x)", kind=E)
rule(special.hyp2f1, "a, b, c, z", None, None, None,
     "g * (a * b / c) * special.hyp2f1(a + 1.0, b + 1.0, c + 1.0, z)", kind=E)
# spence(z) = integral from 1 to z of log(t) / (1 - t): the derivative is -1 at z = 1
rule(special.spence, "z",
       "g * np.where(z == 1.0, -1.0, np.log(z) / np.where(z == 1.0, 1.0, 1.0 - z))", kind=E)
rule(special.expi, "x", "g * np.exp(x) / x", kind=E)
rule(special.exp1, "z", "-g * np.exp(-z) / z", kind=E)
rule(special.zeta, "x, q=None", None, "-g * x * special.zeta(x + 1.0, q)", kind=E)
rule(special.expm1, "x", "g * (ans + 1.0)", kind=E)
rule(special.log1p, "x", "g / (1.0 + x)", kind=E)
rule(special.exp2, "x", "g * ans * np.log(2.0)", kind=E)
rule(special.exp10, "x", "g * ans * np.log(10.0)", kind=E)
rule(special.cbrt, "x", "g / (3.0 * ans * ans)", kind=E)
rule(special.cosm1, "x", "-g * np.sin(x)", kind=E)
rule(special.sindg, "x", "g * (np.pi / 180.0) * special.cosdg(x)", kind=E)
rule(special.cosdg, "x", "-g * (np.pi / 180.0) * special.sindg(x)", kind=E)
rule(special.tandg, "x", "g * (np.pi / 180.0) * (1.0 + ans * ans)", kind=E)
rule(special.cotdg, "x", "-g * (np.pi / 180.0) * (1.0 + ans * ans)", kind=E)
rule(special.binom, "x, y", "g * ans * (special.digamma(x + 1.0) - special.digamma(x - y + 1.0))",
       "g * ans * (special.digamma(x - y + 1.0) - special.digamma(y + 1.0))", kind=E)

# two results: g is the pair of their adjoints, the tangent a Several of two tangents.
# Fresnel integrals S, C: the integrands sin(pi t^2 / 2), cos(pi t^2 / 2)
rule(special.fresnel, "z", "g[0] * np.sin(0.5 * np.pi * z * z) + g[1] * np.cos(0.5 * np.pi * z * z)")
defjvp(special.fresnel, "Several((t * np.sin(0.5 * np.pi * z * z), t * np.cos(0.5 * np.pi * z * z)))")
# sine and cosine integrals Si, Ci: sin(x) / x (1 at 0: np.sinc), cos(x) / x (Ci is -inf at 0;
# for x < 0 SciPy's Ci is Ci(|x|), whose derivative is cos(x) / x too)
# (an adjoint or tangent 0 of Ci at x = 0 gives 0, not 0 * inf)
_CI = "np.where(np.equal({g}, 0.0), 0.0, {g} * np.cos(x) / np.where(np.equal({g}, 0.0), 1.0, x))"
rule(special.sici, "x", "g[0] * np.sinc(x / np.pi) + " + _CI.format(g="g[1]"))
defjvp(special.sici, f"Several((t * np.sinc(x / np.pi), {_CI.format(g='t')}))")

# complete elliptic integrals K(m), E(m): dK/dm = (E - (1 - m) K) / (2 m (1 - m)) and
# dE/dm = (E - K) / (2 m) cancel near m = 0: there their Taylor series (pi/8 and -pi/8 at 0)
_SMALL = 1e-3
_DK0 = "np.pi / 2.0 * np.polyval([1225.0 / 4096.0, 75.0 / 256.0, 9.0 / 32.0, 0.25], {m})"
_DE0 = "-np.pi / 2.0 * np.polyval([175.0 / 4096.0, 15.0 / 256.0, 3.0 / 32.0, 0.25], {m})"


def _near_zero(m, series, formula, denominator):
    """``series`` (in ``m``) where ``|m|`` is small, else ``formula / denominator``
    (the denominator replaced by 1 there, so no 0 / 0 is computed)."""
    small = f"(np.abs({m}) < {_SMALL})"
    return (f"np.where({small}, {series.format(m=m)}, "
            f"({formula}) / np.where({small}, 1.0, {denominator}))")


rule(special.ellipk, "m", "g * " + _near_zero(
    "m", _DK0, "special.ellipe(m) - (1.0 - m) * ans", "2.0 * m * (1.0 - m)"), kind=E)
rule(special.ellipe, "m", "g * " + _near_zero(
    "m", _DE0, "ans - special.ellipk(m)", "2.0 * m"), kind=E)
# ellipkm1(p) = K(1 - p)
rule(special.ellipkm1, "p", "-g * " + _near_zero(
    "(1.0 - p)", _DK0, "special.ellipe(1.0 - p) - p * ans", "2.0 * (1.0 - p) * p"), kind=E)

# parameters without a derivative: refused when a differentiated value reaches them
for _f in (special.jv, special.yv, special.iv, special.kv, special.jve, special.yve,
           special.ive, special.kve):
    PARAM_LIMITS[_f] = {"v": None}
PARAM_LIMITS[special.yn] = {"n": None}
PARAM_LIMITS[special.polygamma] = {"n": None}
PARAM_LIMITS[special.multigammaln] = {"d": None}
for _f in (special.gammainc, special.gammaincc, special.gammaincinv, special.gammainccinv):
    PARAM_LIMITS[_f] = {"a": None}
for _f in (special.betainc, getattr(special, "betaincc", special.betainc), special.betaincinv):
    PARAM_LIMITS[_f] = {"a": None, "b": None}
PARAM_LIMITS[special.zeta] = {"x": None}
PARAM_LIMITS[special.expn] = {"n": None}
PARAM_LIMITS[special.hyp1f1] = {"a": None, "b": None}
PARAM_LIMITS[special.hyp2f1] = {"a": None, "b": None, "c": None}
PARAM_LIMITS[special.factorial] = {"exact": (False,), "extend": ("zero",)}
