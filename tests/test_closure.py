"""Closure under differentiation (#13): every differentiable rule in the
registry -- NumPy, math, builtins, operator, SciPy and srcgrad's own runtime
helpers -- at second order, and a deterministic sample at third order.

For each rule there is one sample: a scalar function of float arguments that
calls it (``np.sum(np.sin(f(x)) * W)`` for an elementwise rule, ``s * s + s``
around a weighted call of the tables of ``tests/test_rules.py``, or a
function of the other test files that calls a helper directly).  Its Hessian
(``srcgrad.hessian``, every block) is compared with central finite
differences of ``srcgrad.grad`` and checked to be symmetric.  For every
``THIRD_EVERY``-th sample the third derivative is checked: ``srcgrad.grad``
of ``u . hvp(f)(x, v)`` against finite differences of that hvp.

A second or third order srcgrad refuses is listed in ``REFUSED2`` /
``REFUSED3`` with the error class and a part of its message: the test then
asserts exactly that refusal.  ``test_every_rule_has_a_sample`` fails when a
differentiable rule is added without a sample here.

srcgrad reads a function's source and resolves its globals when it generates
code: the wrappers below call module globals (``PRIM``, ``INNER``, ``W``,
``HV``, ``U``, ``V``) that each case sets before clearing the cache.
"""

import builtins
import collections
import dataclasses
import inspect
import math
import operator
import re
import zlib

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg as sl
import scipy.signal
import scipy.special as sp
import scipy.stats as st

import srcgrad
import srcgrad.rules.scipy  # noqa: F401  (SciPy's rules load lazily)
from srcgrad import runtime as rt
from srcgrad.errors import UnsupportedError
from srcgrad.rules import all_rules, lookup
from srcgrad.runtime import forward as rtf
from srcgrad.api.driver import DRIVER
from srcgrad.runtime import scipy_integrate as rti
from srcgrad.runtime import scipy_integrate_second as rtis
from srcgrad.runtime import scipy_linalg as rtl
from srcgrad.runtime import scipy_signal as rts

import tests.test_higher as TH
import tests.test_lib_integrate as TI
import tests.test_lib_linalg as TL
import tests.test_lib_numpy as TN
import tests.test_lib_signal as TS
import tests.test_rules as TR
from tests.fd import Interval, fd_jacobian

# --------------------------------------------------------------------------
# the wrappers

PRIM = None      # the primitive of a generic case
INNER = None     # a function of another test file, made nonlinear here
W = 1.0          # weights of the primitive's result
HV = None        # the hvp differentiated again (third order)
U = V = None


def e1(a):
    return np.sum(np.sin(PRIM(a)) * W)


def e2(a, b):
    return np.sum(np.sin(PRIM(a, b)) * W)


def e3(a, b, c):
    return np.sum(np.sin(PRIM(a, b, c)) * W)


def e4(a, b, c, d):
    return np.sum(np.sin(PRIM(a, b, c, d)) * W)


def e5(a, b, c, d, e):
    return np.sum(np.sin(PRIM(a, b, c, d, e)) * W)


def o1(a):
    s = INNER(a)
    return s * s + s


def o2(a, b):
    s = INNER(a, b)
    return s * s + s


def o3(a, b, c):
    s = INNER(a, b, c)
    return s * s + s


def o4(a, b, c, d):
    s = INNER(a, b, c, d)
    return s * s + s


def s1(a):
    return np.sum(np.sin(INNER(a)) * W)


def s2(a, b):
    return np.sum(np.sin(INNER(a, b)) * W)


def s3(a, b, c):
    return np.sum(np.sin(INNER(a, b, c)) * W)


def s4(a, b, c, d):
    return np.sum(np.sin(INNER(a, b, c, d)) * W)


def t1(a):
    return np.sum(HV(a, V) * U)


def t2(a, b):
    return np.sum(HV(a, b, V) * U)


def t3(a, b, c):
    return np.sum(HV(a, b, c, V) * U)


def t4(a, b, c, d):
    return np.sum(HV(a, b, c, d, V) * U)


def t5(a, b, c, d, e):
    return np.sum(HV(a, b, c, d, e, V) * U)


E = {1: e1, 2: e2, 3: e3, 4: e4, 5: e5}
O = {1: o1, 2: o2, 3: o3, 4: o4}
S = {1: s1, 2: s2, 3: s3, 4: s4}
T = {1: t1, 2: t2, 3: t3, 4: t4, 5: t5}


def seed(*key):
    return zlib.crc32(repr(key).encode())


def weights(shape, key):
    if shape == ():
        return 0.7
    r = np.random.default_rng(seed("w", key))
    return r.uniform(0.5, 1.5, size=shape) * r.choice([-1.0, 1.0], size=shape)


class Case:
    """One sample: ``fun(*args)`` (a scalar) differentiated in ``wrt``;
    ``covers`` the rules it checks; ``setup`` sets the module globals."""

    def __init__(self, name, covers, fun, args, wrt, setup=None):
        self.name, self.covers, self.fun, self.args = name, tuple(covers), fun, tuple(args)
        self.wrt = tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)
        self._setup = setup

    def setup(self):
        if self._setup is not None:
            self._setup()
        srcgrad.clear_cache()

    def __repr__(self):
        return self.name


def rule_name(fun):
    rule = lookup(fun)
    return rule.name if rule is not None else repr(fun)


# --------------------------------------------------------------------------
# 1. elementwise and scalar rules: generated from the registry

ANY = Interval(-1.5, 1.5)
POS = Interval(0.3, 2.0)
SAFE = Interval(0.3, 0.9)

#: per positional parameter: an Interval (sampled; differentiated if the rule has an
#: adjoint for it) or a constant (an order, a count: passed as it is)
PARAMS = {
    sp.logit: (Interval(0.1, 0.9),), sp.log_expit: (ANY,), sp.softplus: (ANY,),
    sp.gamma: (Interval(0.5, 3.0),), sp.gammaln: (Interval(0.5, 3.0),),
    sp.loggamma: (Interval(0.5, 3.0),), sp.rgamma: (Interval(0.5, 3.0),),
    sp.psi: (Interval(0.5, 3.0),), sp.erfcinv: (Interval(0.2, 1.8),),
    sp.ndtri: (Interval(0.1, 0.9),), sp.entr: (Interval(0.2, 2.0),),
    sp.j0: (Interval(0.5, 4.0),), sp.j1: (Interval(0.5, 4.0),), sp.y0: (Interval(0.5, 4.0),),
    sp.y1: (Interval(0.5, 4.0),), sp.k0: (POS,), sp.k0e: (POS,), sp.k1: (POS,), sp.k1e: (POS,),
    sp.exp1: (POS,), sp.log1p: (Interval(-0.5, 2.0),), sp.factorial: (Interval(0.2, 4.0),),
    sp.polygamma: (2, Interval(0.5, 3.0)), sp.multigammaln: (Interval(2.0, 3.0), 2),
    sp.yn: (1, Interval(0.5, 3.0)), sp.expn: (2, Interval(0.5, 3.0)),
    sp.beta: (POS, POS), sp.betaln: (POS, POS), sp.poch: (POS, POS),
    sp.xlogy: (ANY, POS), sp.xlog1py: (ANY, Interval(-0.5, 2.0)), sp.rel_entr: (POS, POS),
    sp.kl_div: (POS, POS),
    **{f: (1.3, POS) for f in (sp.jv, sp.yv, sp.iv, sp.kv, sp.jve, sp.yve, sp.ive, sp.kve)},
    sp.gammainc: (1.3, POS), sp.gammaincc: (1.3, POS), sp.gammaincinv: (1.3, Interval(0.1, 0.9)),
    sp.gammainccinv: (1.3, Interval(0.1, 0.9)), sp.zeta: (2.0, POS),
    sp.betainc: (1.5, 2.5, Interval(0.2, 0.8)), sp.betaincc: (1.5, 2.5, Interval(0.2, 0.8)),
    sp.betaincinv: (1.5, 2.5, Interval(0.2, 0.8)),
    sp.hyp1f1: (0.5, 1.5, Interval(-1.0, 1.0)), sp.hyp2f1: (0.5, 0.7, 1.5, Interval(-0.5, 0.5)),
    np.heaviside: (Interval(0.3, 2.0, signed=True), ANY),
    np.imag: (ANY,), np.angle: (Interval(0.3, 2.0, signed=True),),
    rt.div_or_zero: (ANY, Interval(0.5, 2.0, signed=True)),
}

#: scipy.stats: the point, the shape parameters, loc, scale (x - loc inside the support)
LOC, SCALE = Interval(-0.2, 0.2), Interval(0.8, 1.2)
STATS = {"norm": (ANY,), "t": (ANY, Interval(2.0, 6.0)), "gamma": (Interval(1.0, 2.0), Interval(1.5, 4.0)),
         "beta": (Interval(0.45, 0.55), Interval(1.5, 4.0), Interval(1.5, 4.0)),
         "expon": (Interval(1.0, 2.0),), "laplace": (Interval(0.5, 1.0),), "cauchy": (ANY,),
         "logistic": (ANY,), "lognorm": (Interval(1.0, 2.0), Interval(0.5, 1.5)),
         "chi2": (Interval(1.5, 2.5), Interval(2.5, 6.0))}
for _dist, _specs in STATS.items():
    for _m in ("logpdf", "pdf", "cdf", "sf", "logcdf", "logsf"):
        PARAMS[getattr(getattr(st, _dist), _m)] = _specs + (LOC, SCALE)
for _m in ("logpmf", "pmf", "cdf", "sf", "logcdf", "logsf"):
    PARAMS[getattr(st.poisson, _m)] = (3.0, Interval(1.5, 3.0), 0)
    PARAMS[getattr(st.binom, _m)] = (3.0, 8, Interval(0.2, 0.8), 0)
    PARAMS[getattr(st.nbinom, _m)] = (3.0, Interval(2.0, 4.0), Interval(0.2, 0.8), 0)

#: builtins.max/min take Python numbers only; math takes scalars
SCALAR_ONLY = {builtins.max, builtins.min}
#: derivative jumps where the arguments are equal: sample them apart
SEPARATED = TR.SEPARATED


def positional(rule):
    P = inspect.Parameter
    return [p for p in rule.signature.parameters.values()
            if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]


def generic(rule):
    """A case for an elementwise or scalar rule whose differentiable
    parameters are all positional; None for any other rule."""
    if rule.kind not in ("elementwise", "scalar"):
        return None
    params = positional(rule)
    names = [p.name for p in params]
    if not params or set(rule.adjoints) - set(names):
        return None
    last = max(names.index(n) for n in rule.adjoints)
    required = sum(1 for p in params if p.default is p.empty)
    n = max(last + 1, required)
    specs = PARAMS.get(rule.fun) or TR.DOMAINS.get(rule.fun) or (SAFE,) * n
    if len(specs) < n:
        return None
    specs = specs[:n]
    scalar = rule.kind == "scalar" or rule.fun in SCALAR_ONLY
    shape = () if scalar else (2,)
    r = np.random.default_rng(seed(rule.name))
    for _ in range(100):
        args = [s.sample(r, shape) if isinstance(s, Interval) else s for s in specs]
        if rule.fun not in SEPARATED or abs(np.min(np.abs(np.subtract(args[0], args[1])))) > 0.1:
            break
    wrt = [i for i, (p, s) in enumerate(zip(names, specs)) if p in rule.adjoints and isinstance(s, Interval)]
    if not wrt:
        return None

    try:
        out = np.shape(rule.fun(*args))
    except (TypeError, ValueError):        # a parameter that is no array (copy=, a flag)
        return None

    def setup(prim=rule.fun, out=out, key=rule.name):
        global PRIM, W
        PRIM, W = prim, weights(out, key)
    return Case(rule.name, [rule.fun], E[n], args, wrt, setup)


# --------------------------------------------------------------------------
# 2. the calls of tests/test_rules.py (one per function), squared here

def via_rules(prim, wrapper, specs, name, wrt=None, **params):
    r = np.random.default_rng(seed("rules", name))
    args = [TR.sample(r, s) for s in specs]

    def setup():
        global INNER
        for k in ("P1", "P2", "P3", "AXIS"):
            setattr(TR, k, params.get(k))
        TR.PRIM = prim
        out = RAW[wrapper](*args) if wrapper in RAW else None
        TR.W = weights(np.shape(out), name)
        INNER = wrapper
    if wrt is None:
        wrt = tuple(range(len(args)))
    return Case(name, [prim], O[len(args)], args, wrt, setup)


def rules_cases():
    out, seen = [], set()
    for c in TR.CASES:
        if c.prim in seen:
            continue
        seen.add(c.prim)
        out.append(via_rules(c.prim, c.wrapper, c.specs, rule_name(c.prim), c.wrt, **c.params))
    for prim in TR.REDUCING:
        setup_red = (TR.distinct, (2, 3))
        out.append(via_rules(prim, TR.red_axis0, [setup_red], rule_name(prim), 0))
    out.append(via_rules(np.matmul, TR.binary, [(2, 3), (3, 2)], "numpy.matmul"))
    out.append(via_rules(np.dot, TR.binary, [(2, 3), (3,)], "numpy.dot"))
    out.append(via_rules(operator.matmul, TR.binary, [(3,), (3, 2)], "_operator.matmul"))
    return out


#: test_rules' table of unweighted calls, and two of its wrappers (a copy: test_batched
#: compares test_rules' own table with its)
RAW = dict(TR.RAW)


def fill_raw():
    RAW.setdefault(TR.binary, lambda x, y: TR.PRIM(x, y))
    RAW.setdefault(TR.red_axis0, lambda x: TR.PRIM(x, axis=0))


fill_raw()


# --------------------------------------------------------------------------
# 3. NumPy functions without a call in tests/test_rules.py

R = np.random.default_rng(1313)


def u(*shape):
    return R.uniform(-1.0, 1.0, shape) if shape else float(R.uniform(-1.0, 1.0))


def w(P):
    return np.sum(np.sin(P) * P)


I3 = np.array([2, 0, 2])
XP = np.array([-0.8, -0.3, 0.1, 0.5, 0.9])
NAN = np.isnan(TN.NAN23)
SPD = TR.spd(np.random.default_rng(5), (3, 3))


def n_where(x, y):
    return w(np.where(x > 0.0, x, y))


def n_clip(x):
    return w(np.clip(x, -0.5, 0.5))


def n_take(x):
    return w(np.take(x, I3))


def n_concatenate(x, y):
    return w(np.concatenate([x, y]))


def n_stack(x, y):
    return w(np.stack([x, y], axis=1))


def n_hstack(x, y):
    return w(np.hstack([x, y]))


def n_vstack(x, y):
    return w(np.vstack([x, y]))


def n_split(x):
    return w(np.split(x, 2)[0]) + w(np.split(x, 2)[1] * 2.0)


def n_slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet ** 2


def n_eigh(a):
    lam, v = np.linalg.eigh(a)
    return w(lam) + w(v[:, 0] ** 2)


def n_eigvalsh(a):
    return w(np.linalg.eigvalsh(a))


def n_svd(m):
    return w(np.linalg.svd(m, compute_uv=False))


def n_svd_vectors(m):
    uu, s, vh = np.linalg.svd(m, full_matrices=False)
    return w(uu ** 2) + w(s) + w(vh[0] ** 3)


def n_svdvals(m):
    return w(np.linalg.svdvals(m))


def n_qr(m):
    q, r = np.linalg.qr(m)
    return w(r) + w(q ** 3)


def n_lstsq(a, b):
    return w(np.linalg.lstsq(a, b)[0])


def n_linspace(a, b):
    return w(np.linspace(a, b, 4))


def n_arange(a, s):
    return w(np.arange(a, 3.0, s))


def n_full(x):
    return w(np.full((2, 2), x))


def n_full_like(x):
    return w(np.full_like(np.ones(3), x))


def n_bincount(x):
    return w(np.bincount(I3, x))


def n_item(x):
    return math.sin(x.item(1)) * x.item(0)


def n_array_transpose(x):
    return w(np.ndarray.transpose(x, (1, 0)))


def n_array_reshape(x):
    return w(np.ndarray.reshape(x, (3, 2)))


def n_diff(x, b):
    return w(np.diff(x, prepend=b, append=x[:, :1]))


def n_ediff1d(x, e, b):
    return w(np.ediff1d(x, to_end=e, to_begin=b))


def n_gradient(x):
    return w(np.gradient(x))


def n_trapezoid(y, x):
    return w(np.trapezoid(y, x))


def n_trapezoid_dx(y, d):
    return w(np.trapezoid(y, dx=d))


def n_convolve(a, v):
    return w(np.convolve(a, v))


def n_correlate(a, v):
    return w(np.correlate(a, v, "full"))


def n_interp(x, fp):
    return w(np.interp(x, XP, fp))


def n_interp_lr(x, left, right):
    return w(np.interp(x, XP, XP * XP, left, right))


def n_polyval(p, x):
    return w(np.polyval(p, x))


def n_cross(a, b):
    return w(np.cross(a, b))


def n_sort(x):
    return w(np.sort(x) * np.arange(1.0, 6.0))


def n_partition(x):
    return w(np.partition(x, 2) * np.arange(1.0, 6.0))


def n_median(x):
    return w(np.median(x, axis=1))


def n_quantile(x):
    return w(np.quantile(x, [0.3, 0.6]))


def n_percentile(x):
    return w(np.percentile(x, 40.0))


def n_nanvar(x):
    return w(np.nanvar(np.where(NAN, np.nan, x), axis=1))


def n_nanstd(x):
    return w(np.nanstd(np.where(NAN, np.nan, x)))


def n_nanmax(x):
    return w(np.nanmax(np.where(NAN, np.nan, x), axis=0))


def n_nanmin(x):
    return w(np.nanmin(np.where(NAN, np.nan, x)))


def n_nanprod(x):
    return w(np.nanprod(np.where(NAN, np.nan, x), axis=1))


def n_append(x, v):
    return w(np.append(x, v))


def n_insert(x, v):
    return w(np.insert(x, 1, v))


def n_delete(x):
    return w(np.delete(x, 1))


def n_flipud(x):
    return w(np.flipud(x) * TR.M23)


def n_fliplr(x):
    return w(np.fliplr(x) * TR.M23)


def n_rot90(x):
    return w(np.rot90(x) * TR.M23.T)


def n_rollaxis(x):
    return w(np.rollaxis(x, 1) * TR.M23.T)


def n_select(x, d):
    return w(np.select([x > 0.0, x < -0.5], [x * x, 2.0 * x], d))


def n_dstack(x, y):
    return w(np.dstack([x, y]))


def n_column_stack(x, y):
    return w(np.column_stack([x, y]))


def n_row_stack(x, y):
    return w(np.row_stack([x, y]))


def n_array_split(x):
    return w(np.array_split(x, 2)[0]) + w(np.array_split(x, 2)[1] * 3.0)


def n_hsplit(x):
    return w(np.hsplit(x, 3)[1])


def n_vsplit(x):
    return w(np.vsplit(x, 2)[1])


def n_dsplit(x):
    return w(np.dsplit(x, 2)[0])


def n_matrix_power(a):
    return w(np.linalg.matrix_power(a, 3))


def n_multi_dot(a, b, c):
    return w(np.linalg.multi_dot([a, b, c]))


def n_eig(a):
    lam, v = np.linalg.eig(a)
    return w(np.real(lam))


def n_eigvals(a):
    return w(np.real(np.linalg.eigvals(a)))


def n_builtin_sum(x, s):
    return w(builtins.sum([x, x * x], s))


NUMPY = [
    (np.where, n_where, (TR.NONZERO.sample(R, (2, 3)), u(2, 3))),
    (np.clip, n_clip, (TR.clip_sample(R, (2, 3)),)),
    (np.take, n_take, (u(4),)),
    (np.concatenate, n_concatenate, (u(2), u(3))),
    (np.stack, n_stack, (u(3), u(3))),
    (np.hstack, n_hstack, (u(2), u(3))),
    (np.vstack, n_vstack, (u(3), u(2, 3))),
    (np.split, n_split, (u(4),)),
    (np.linalg.slogdet, n_slogdet, (TR.wellcond(R, (3, 3)),)),
    (np.linalg.eigh, n_eigh, (SPD,)),
    (np.linalg.eigvalsh, n_eigvalsh, (SPD,)),
    (np.linalg.svd, n_svd, (u(3, 2),)),
    (np.linalg.svd, n_svd_vectors, (u(3, 2),)),
    *([(np.linalg.svdvals, n_svdvals, (u(2, 3),))] if hasattr(np.linalg, "svdvals") else []),
    (np.linalg.qr, n_qr, (u(3, 2),)),
    (np.linalg.lstsq, n_lstsq, (u(3, 2), u(3))),
    (np.linspace, n_linspace, (0.3, 1.2)),
    (np.arange, n_arange, (0.2, 0.65)),
    (np.full, n_full, (0.4,)),
    (np.full_like, n_full_like, (0.4,)),
    (np.bincount, n_bincount, (u(3),)),
    (np.ndarray.item, n_item, (u(3),)),
    (np.ndarray.transpose, n_array_transpose, (u(2, 3),)),
    (np.ndarray.reshape, n_array_reshape, (u(2, 3),)),
    (np.diff, n_diff, (u(2, 3), u(2, 1))),
    (np.ediff1d, n_ediff1d, (u(4), u(2), 0.3)),
    (np.gradient, n_gradient, (u(5),)),
    (np.trapezoid if hasattr(np, "trapezoid") else np.trapz, n_trapezoid, (u(4), np.sort(u(4)))),
    (np.trapezoid if hasattr(np, "trapezoid") else np.trapz, n_trapezoid_dx, (u(2, 4), 0.7)),
    (np.convolve, n_convolve, (u(4), u(3))),
    (np.correlate, n_correlate, (u(4), u(3))),
    (np.interp, n_interp, (np.array([-0.9, -0.2, 0.3, 0.95]), u(5))),
    (np.interp, n_interp_lr, (np.array([-0.9, -0.2, 0.3, 0.95]), 0.3, -0.4)),
    (np.polyval, n_polyval, (u(3), u(2))),
    (np.cross, n_cross, (u(2, 3), u(3))),
    (np.sort, n_sort, (TR.distinct(R, (5,)),)),
    (np.partition, n_partition, (TR.distinct(R, (5,)),)),
    (np.median, n_median, (TR.distinct(R, (2, 3)),)),
    (np.quantile, n_quantile, (TR.distinct(R, (5,)),)),
    (np.percentile, n_percentile, (TR.distinct(R, (5,)),)),
    (np.nanvar, n_nanvar, (u(2, 3),)),
    (np.nanstd, n_nanstd, (u(2, 3),)),
    (np.nanmax, n_nanmax, (TR.distinct(R, (2, 3)),)),
    (np.nanmin, n_nanmin, (TR.distinct(R, (2, 3)),)),
    (np.nanprod, n_nanprod, (u(2, 3),)),
    (np.append, n_append, (u(3), u(2))),
    (np.insert, n_insert, (u(3), u(2))),
    (np.delete, n_delete, (u(3),)),
    (np.flipud, n_flipud, (u(2, 3),)),
    (np.fliplr, n_fliplr, (u(2, 3),)),
    (np.rot90, n_rot90, (u(2, 3),)),
    (np.rollaxis, n_rollaxis, (u(2, 3),)),
    (np.select, n_select, (TR.NONZERO.sample(R, (4,)) + 0.1, 0.3)),
    (np.dstack, n_dstack, (u(2, 1), u(2, 1))),
    (np.column_stack, n_column_stack, (u(2), u(2, 2))),
    *([(np.row_stack, n_row_stack, (u(3), u(2, 3)))] if hasattr(np, "row_stack") else []),
    (np.array_split, n_array_split, (u(5),)),
    (np.hsplit, n_hsplit, (u(2, 3),)),
    (np.vsplit, n_vsplit, (u(4, 2),)),
    (np.dsplit, n_dsplit, (u(1, 2, 4),)),
    (np.linalg.matrix_power, n_matrix_power, (u(3, 3),)),
    (np.linalg.multi_dot, n_multi_dot, (u(2, 3), u(3, 3), u(3, 2))),
    (np.linalg.eig, n_eig, (np.diag([1.0, 2.0, 3.0]) + 0.2 * u(3, 3),)),
    (np.linalg.eigvals, n_eigvals, (np.diag([1.0, 2.0, 3.0]) + 0.2 * u(3, 3),)),
    (builtins.sum, n_builtin_sum, (u(3), 0.5)),
]


def direct(covers, fun, args, wrt=None, name=None):
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args) if isinstance(a, (float, np.ndarray)))
    return Case(name or fun.__name__, covers, fun, args, wrt)


# --------------------------------------------------------------------------
# 4. SciPy functions: the tables of the lib tests (their own lambdas)

def mvn_logpdf(x, mean, c):
    return w(st.multivariate_normal.logpdf(x, mean, c @ c.T + np.eye(3)))


def mvn_pdf(x, mean, c):
    return w(st.multivariate_normal.pdf(x, mean, c @ c.T + np.eye(3)))


def dirichlet_logpdf(z, alpha):
    x = np.exp(z) / np.sum(np.exp(z))
    return w(st.dirichlet.logpdf(x, alpha))


def lse(a, b):
    return w(sp.logsumexp(a, axis=1, b=b))


def softmax_(x):
    return w(sp.softmax(x, axis=0))


def log_softmax_(x):
    return w(sp.log_softmax(x))


def sig_convolve(x, k):
    return w(scipy.signal.convolve(x, k))


def sig_correlate(x, k):
    return w(scipy.signal.correlate(x, k, mode="same"))


def sig_fftconvolve(x, k):
    return w(scipy.signal.fftconvolve(x, k, mode="valid"))


def ode_decay(y0, k):
    sol = scipy.integrate.solve_ivp(TI.decay, (0.0, 1.0), y0, args=(k,), rtol=1e-10, atol=1e-12)
    return np.sum(sol.y[:, -1] ** 2)


def ode_odeint(y0, k):
    ys = scipy.integrate.odeint(TI.decay, y0, [0.0, 1.0], args=(k,), rtol=1e-10, atol=1e-12,
                                tfirst=True)
    return np.sum(ys ** 2)


def ode_third(y0, k):
    # a second-order helper called as the generated hvp calls it; differentiating it is a third
    # derivative, refused (the 4 + 4 helpers share their refusing rules: scipy/integrate.py)
    sol = scipy.integrate.solve_ivp(TI.decay, (0.0, 1.0), y0, args=(k,), rtol=1e-10, atol=1e-12)
    m = rtis.solve_ivp_second(DRIVER, {"y": sol.y}, sol, TI.decay, (0.0, 1.0), y0,
                              args=(k,), rtol=1e-10, atol=1e-12, dy0=y0)
    return np.sum(m["y0"] ** 2)


def ode_odeint_third(y0, k):
    ys = scipy.integrate.odeint(TI.decay, y0, [0.0, 1.0], args=(k,), rtol=1e-10, atol=1e-12,
                                tfirst=True)
    m = rtis.odeint_second(DRIVER, ys, ys, TI.decay, y0, [0.0, 1.0], args=(k,), rtol=1e-10,
                           atol=1e-12, tfirst=True, dy0=y0)
    return np.sum(m["y0"] ** 2)


def lu_solve_(a, b):
    return np.sum(sl.lu_solve(sl.lu_factor(a), b) ** 2)


def lu_factor_(a):
    return w(sl.lu_factor(a)[0])


def expm_frechet_(a, e):
    return w(sl.expm_frechet(a, e, compute_expm=False))


def scipy_cases():
    L = TL
    return [
        direct([st.multivariate_normal.logpdf], mvn_logpdf, (u(2, 3), u(3), u(3, 3))),
        direct([st.multivariate_normal.pdf], mvn_pdf, (u(3), u(3), u(3, 3))),
        direct([st.dirichlet.logpdf], dirichlet_logpdf, (u(3), np.array([1.5, 2.0, 2.5]))),
        direct([sp.logsumexp], lse, (u(2, 3), np.array([0.5, 1.0, 2.0]))),
        direct([sp.softmax], softmax_, (u(3, 2),)),
        direct([sp.log_softmax], log_softmax_, (u(4),)),
        direct([scipy.signal.convolve], sig_convolve, (u(4), u(3))),
        direct([scipy.signal.correlate], sig_correlate, (u(4), u(3))),
        direct([scipy.signal.fftconvolve], sig_fftconvolve, (u(5), u(3))),
        direct([scipy.integrate.solve_ivp, rti.solve_ivp_da, rti.solve_ivp_tangent], ode_decay,
               (np.array([1.0, -0.5]), 0.7)),
        direct([scipy.integrate.odeint, rti.odeint_da, rti.odeint_tangent], ode_odeint,
               (np.array([1.0, -0.5]), 0.7)),
        direct([rtis.solve_ivp_second, rtis.solve_ivp_da_g, rtis.solve_ivp_da_p,
                rtis.solve_ivp_tangent2], ode_third, (np.array([1.0, -0.5]), 0.7)),
        direct([rtis.odeint_second, rtis.odeint_da_g, rtis.odeint_da_p, rtis.odeint_tangent2],
               ode_odeint_third, (np.array([1.0, -0.5]), 0.7)),
        direct([sl.solve], L.SOLVE[0][0], L.SOLVE[0][1], name="scipy.linalg.solve"),
        direct([sl.solve_triangular], L.TRIANGULAR[0][0], L.TRIANGULAR[0][1],
               name="scipy.linalg.solve_triangular"),
        direct([sl.cholesky], L.CHOLESKY[1][0], L.CHOLESKY[1][1], name="scipy.linalg.cholesky"),
        direct([sl.cho_factor], L.CHOLESKY[4][0], L.CHOLESKY[4][1], name="scipy.linalg.cho_factor"),
        direct([sl.cho_solve], L.CHOLESKY[5][0], L.CHOLESKY[5][1], name="scipy.linalg.cho_solve"),
        direct([sl.lu_factor], lu_factor_, (L.A,)),
        direct([sl.lu_solve], lu_solve_, (L.A, L.B)),
        direct([sl.inv], L.INVDET[0][0], L.INVDET[0][1], name="scipy.linalg.inv"),
        direct([sl.det], L.INVDET[3][0], L.INVDET[3][1], name="scipy.linalg.det"),
        direct([sl.expm], L.MATFUN[0][0], L.MATFUN[0][1], name="scipy.linalg.expm"),
        direct([sl.sqrtm], L.MATFUN[2][0], L.MATFUN[2][1], name="scipy.linalg.sqrtm"),
        direct([sl.solve_sylvester], L.MATFUN[3][0], L.MATFUN[3][1],
               name="scipy.linalg.solve_sylvester"),
        direct([sl.expm_frechet], expm_frechet_, (L.SMALL, L.E)),
        direct([sl.eigh], L.eigh_use, (L.PL,), name="scipy.linalg.eigh"),
        direct([sl.svd], L.svd_values, (L.TALL,), name="scipy.linalg.svd"),
        direct([sl.qr], L.qr_economic, (L.TALL,), name="scipy.linalg.qr"),
    ]


def helper_table(table, module, prefix):
    """The helper cases of a lib test (functions calling ``rt.<helper>(``)."""
    out = []
    for k, entry in enumerate(table):
        f, args = entry[0], entry[1]
        wrt = entry[2] if len(entry) > 2 else 0
        text = inspect.getsource(f)
        covers = [getattr(module, n) for n in dir(module)
                  if f"rt.{n}(" in text and callable(getattr(module, n))]
        out.append(Case(f"{prefix}[{k}]:" + ",".join(c.__name__ for c in covers), covers, f,
                        args, wrt))
    return out


# --------------------------------------------------------------------------
# 5. srcgrad's runtime helpers

def via_higher(helper, case, samplers):
    r = np.random.default_rng(seed("higher", case.__name__))
    args = tuple(s(r) for s in samplers)

    def setup():
        global INNER, W
        INNER = case
        W = weights(np.shape(case(*args)), case.__name__)
    return Case(case.__name__, [helper], S[len(args)], args, tuple(range(len(args))), setup)


X23 = np.random.default_rng(7).uniform(-1, 1, (2, 3))


def h_cofactor(a):
    return w(rt.cofactor(a))


def h_own(x):
    return w(rt.own(x * x))


def h_item_adjoint(d, v):
    return w(rt.item_adjoint(d * d, 1, v))


def h_restructure(a):
    return w(rt.restructure(a * a, X23))


def h_sum_dx(a):
    p = rt.sum_dx(a * a, [np.ones(3), 2.0])
    return w(p[0]) + w(p[1])


def h_seq_extreme(a, b):
    p = rt.seq_extreme_dx(a * b, [1.0, 3.0, 2.0], 3.0)
    return w(p[1]) + w(rt.seq_extreme_tangent([a, b * b, a * b], [1.0, 3.0, 2.0], 3.0))


def h_iter_list(a, b):
    p = rt.iter_list_dx([a * b, b], [np.ones(2), np.ones(2)])
    return w(p[0]) + w(p[1])


def h_list(a, b):
    p = rt.list_dx([a * b, b], [np.ones(2), np.ones(2)])
    return w(p[0]) + w(p[1])


def h_enumerate(a, b):
    p = rt.enumerate_dx([(0.0, a * b), (0.0, b)], [np.ones(2), np.ones(2)])
    return w(p[0]) + w(p[1])


def h_zip(a, b):
    p = rt.zip_dx([(a * b, 0.0), (b, 0.0)], 0, [np.ones(2), np.ones(2)], [1.0, 2.0])
    return w(p[0]) + w(p[1])


def h_seq_repeat(a, b):
    p = rt.seq_repeat_dx([a * b, b, a, b * b], [np.ones(2), np.ones(2)], 2)
    return w(p[0]) + w(p[1])


def h_reversed(a, b):
    p = rt.reversed_dx([a * b, b], [np.ones(2), np.ones(2)])
    return w(p[0]) + w(p[1])


def h_get(a):
    return w(rt.get_dx(a * a, {"k": np.ones(2)}, "k")["k"])


def h_get_default(a):
    return w(rt.get_default_dx(a * a, {"k": np.ones(2)}, "j", np.ones(2)))


def h_values(a, b):
    p = rt.values_dx([a * b, b], {"i": np.ones(2), "j": np.ones(2)})
    return w(p["i"]) + w(p["j"])


def h_items(a, b):
    p = rt.items_dx([("i", a * b), ("j", b)], {"i": np.ones(2), "j": np.ones(2)})
    return w(p["i"]) + w(p["j"])


def h_view_sum(a):
    p = rt.view_sum_dx(a * a, {"i": np.ones(2), "j": 1.0}.values())
    return w(p[0]) + w(p[1])


def h_arange(a):
    return w(rt.arange_dx(a * a, 0.5, 3.0, 0.5, None, 2))


def h_full(a):
    return w(rt.full_dx(a * a, np.ones(3)))


def h_bincount(a):
    return w(rt.bincount_dw(a * a, I3, np.ones(3)))


def h_index_concat(a):
    return w(rt.index_concat_dx(a * a, "r", 1, np.ones(2), np.ones(3)))


def h_item_dx(a):
    return w(rt.item_dx(a * a, X23, (1,)))


def h_add_item(d, v):
    return w(rt.add_item(d * d, np.ones(4), I3, v * v))


def h_copy(a):
    return w(rt.copy_dx(a * a, np.ones(3)))


def h_array_dx_t(a):
    return w(rt.array_dx_t([a * a, a[0] * a], X23, [np.ones(3), np.ones(3)]))


def h_array_dx_t_array(a):
    return w(rt.array_dx_t(a * a, X23, X23))


def h_copy_dx_t(a):
    return w(rt.copy_dx_t([a * a, a[1] * a], X23, [np.ones(3), np.ones(3)]))


@dataclasses.dataclass
class _Fields:
    a: object
    b: object


FIELDS = _Fields(np.ones(2), np.full(2, 0.5))          # (attribute assignment, issue #14)
NT = collections.namedtuple("NT", "a b")(np.ones(2), np.full(2, 0.5))


def h_set_field(a, b):
    p = rt.set_field(FIELDS, "a", a * b)
    return w(p.a) + w(p.b * a)


def h_set_field_dx(a, b):
    d = rt.set_field_dx({"a": a * a, "b": a * b}, FIELDS, "a")
    return w(d["b"]) + w(d["a"] + b)


def h_field_dx(a, b):
    return w(rt.field_dx({"a": a * b, "b": b}, FIELDS, "a", np.ones(2)))


def h_field_put(a, b):
    d = rt.field_put(a * b, FIELDS, "b")
    return w(d["b"]) + w(d["a"] + a)


def h_field_tangent(a, b):
    d = rt.field_tangent(a * b, NT, "b")
    return w(d[1]) + w(d[0] + a)


def h_replace_dx(a, b):
    d = rt.replace_dx({"a": a * b, "b": b * b}, FIELDS, ("a",))
    return w(d["b"]) + w(d["a"] + a)


def h_sorted(a, b):
    p = rt.sorted_dx([a * b, b], [2.0, 1.0])
    return w(p[0]) + w(p[1])


def h_restructure_t(a):
    p = rt.restructure_t((a * a, a[0] * a), [np.ones(3), np.ones(3)])
    return w(p[0]) + w(p[1]) + w(rt.restructure_t(a * a, X23))


def h_restructure_t_dh(a):
    p = rt.restructure_t_dh(rt.Adjoints([a * a, a[1] * a]), (np.ones(3), np.ones(3)))
    return w(p[0]) + w(p[1]) + w(rt.restructure_t_dh(np.outer(a, a * a)[:2], np.ones(3)))


def h_rebroadcast(a):
    p = rtf.rebroadcast(rt.Adjoints([a * a, a[0] * a]), [np.ones(3), np.ones((2, 3))])
    return w(p[0]) + w(p[1]) + w(rtf.rebroadcast(a * a, X23))


def h_index_concat_t(a):
    return w(rt.index_concat_tangent(a * a, "r", 1, np.ones(2), np.ones(3))) + \
        w(rt.index_concat_tangent(a[0] * a, "c", 0, np.ones(3), np.ones(3)))


ONES2 = [np.ones(2), np.ones(2)]
D2 = {"i": np.ones(2), "j": np.ones(2)}


def h_iter_list_t(a, b):
    p = rt.iter_list_tangent([a * b, b], ONES2, [0.0, 0.0])
    return w(p[0]) + w(p[1])


def h_list_t(a, b):
    p = rt.list_tangent([a * b, b], ONES2)
    return w(p[0]) + w(p[1])


def h_seq_repeat_t(a, b):
    p = rt.seq_repeat_tangent([a * b, b], ONES2, 2)
    return w(p[0]) + w(p[1]) + w(p[3] * p[2])


def h_enumerate_t(a, b):
    p = rt.enumerate_tangent([a * b, b], ONES2)
    return w(p[0][1]) + w(p[1][1])


def h_zip_t(a, b):
    p = rt.zip_tangent([a * b, b], 1, [1.0, 2.0], ONES2)
    return w(p[0][1]) + w(p[1][1])


def h_reversed_t(a, b):
    p = rt.reversed_tangent([a * b, b], ONES2)
    return w(p[0]) + w(p[1])


def h_get_t(a, b):
    return w(rt.get_tangent(rt.AdjointDict({"k": a * b}), {"k": np.ones(2)}, "k", np.ones(2))) + \
        w(rt.get_default_tangent(a * b, {"k": 1.0}, "j", np.ones(2)))


def h_values_t(a, b):
    p = rt.values_tangent(rt.AdjointDict({"i": a * b, "j": b}), D2)
    return w(p[0]) + w(p[1])


def h_items_t(a, b):
    p = rt.items_tangent(rt.AdjointDict({"i": a * b, "j": b}), D2)
    return w(p[0][1]) + w(p[1][1])


def h_sorted_t(a, b):
    p = rt.sorted_tangent([a * b, b], [2.0, 1.0])
    return w(p[0]) + w(p[1])


def h_element(a, b):
    return w(rt.element([a * b, b], 0)) + w(rt.element(np.outer(a, b), 1)) + \
        w(rt.element(rt.element_t(a * b, ONES2, 1), 1)) + \
        w(rt.element_t(a * a, np.ones((3, 2)), 2)[2] * b)


def h_entry(a, b):
    return w(rt.entry({"i": a * b, "j": b}, "i")) + w(rt.entry(rt.entry_t(b * a, D2, "j"), "j"))


def closure_cases():
    """The helpers given a rule for #13's closure step (own random numbers: the
    samples above keep theirs)."""
    r = np.random.default_rng(1313)
    return [
        direct([rt.restructure_t], h_restructure_t, (r.uniform(-1, 1, 3),)),
        direct([rt.restructure_t_dh], h_restructure_t_dh, (r.uniform(-1, 1, 3),)),
        direct([rtf.rebroadcast], h_rebroadcast, (r.uniform(-1, 1, 3),)),
        direct([rt.index_concat_tangent], h_index_concat_t, (r.uniform(-1, 1, 3),)),
    ] + [direct(covers, fun, (r.uniform(-1, 1, 2), r.uniform(-1, 1, 2))) for covers, fun in [
        ([rt.iter_list_tangent], h_iter_list_t), ([rt.list_tangent], h_list_t),
        ([rt.seq_repeat_tangent], h_seq_repeat_t),
        ([rt.enumerate_tangent], h_enumerate_t), ([rt.zip_tangent], h_zip_t),
        ([rt.reversed_tangent], h_reversed_t), ([rt.get_tangent, rt.get_default_tangent], h_get_t),
        ([rt.values_tangent], h_values_t), ([rt.items_tangent], h_items_t),
        ([rt.sorted_tangent], h_sorted_t), ([rt.element, rt.element_t], h_element),
        ([rt.entry, rt.entry_t], h_entry)]
    ]


def runtime_cases():
    out = [via_higher(*c) for c in TH.RUNTIME_CASES]
    for f, args, wrt, helpers in TN.HELPERS:
        out.append(Case("lib_numpy:" + f.__name__, helpers, f, args, wrt))
    out += helper_table(TL.HELPERS, rtl, "lib_linalg.HELPERS")
    out += helper_table(TL.CHOLESKY_HELPERS, rtl, "lib_linalg.CHOLESKY_HELPERS")
    out += helper_table(TS.HELPERS, rts, "lib_signal.HELPERS")
    out += [
        # the tape of a generated gradient: pushed and popped in the hvp of a loop
        Case("tape (hvp of a loop)", [rtf.tape_push, rtf.tape_pop], TH.loop_branch,
             (R.uniform(0.2, 0.6, 3), 5), 0),
        direct([rt.cofactor], h_cofactor, (TR.wellcond(R, (3, 3)),)),
        direct([rt.own], h_own, (u(3),)),
        direct([rt.item_adjoint], h_item_adjoint, (u(3), u())),
        direct([rt.restructure], h_restructure, (u(2, 3),)),
        direct([rt.sum_dx], h_sum_dx, (u(3),)),
        direct([rt.seq_extreme_dx, rt.seq_extreme_tangent], h_seq_extreme, (u(), u())),
        direct([rt.iter_list_dx], h_iter_list, (u(2), u(2))),
        direct([rt.list_dx], h_list, (u(2), u(2))),
        direct([rt.enumerate_dx], h_enumerate, (u(2), u(2))),
        direct([rt.zip_dx], h_zip, (u(2), u(2))),
        direct([rt.reversed_dx], h_reversed, (u(2), u(2))),
        direct([rt.seq_repeat_dx], h_seq_repeat, (u(2), u(2))),
        direct([rt.get_dx], h_get, (u(2),)),
        direct([rt.get_default_dx], h_get_default, (u(2),)),
        direct([rt.values_dx], h_values, (u(2), u(2))),
        direct([rt.items_dx], h_items, (u(2), u(2))),
        direct([rt.view_sum_dx], h_view_sum, (u(2),)),
        direct([rt.arange_dx], h_arange, (u(5),)),
        direct([rt.full_dx], h_full, (u(3),)),
        direct([rt.bincount_dw], h_bincount, (u(3),)),
        direct([rt.index_concat_dx], h_index_concat, (u(5),)),
        direct([rt.item_dx], h_item_dx, (u(),)),
        direct([rt.add_item, rt.add_item_dv], h_add_item, (u(4), u(3))),
        direct([rt.copy_dx], h_copy, (u(3),)),
        direct([rt.sorted_dx], h_sorted, (u(2), u(2))),
        direct([rt.array_dx_t], h_array_dx_t, (u(3),)),
        direct([rt.array_dx_t], h_array_dx_t_array, (u(2, 3),)),
        direct([rt.copy_dx_t], h_copy_dx_t, (u(3),)),
        direct([rt.set_field], h_set_field, (u(2), u(2))),
        direct([rt.set_field_dx], h_set_field_dx, (u(2), u(2))),
        direct([rt.field_dx], h_field_dx, (u(2), u(2))),
        direct([rt.field_put], h_field_put, (u(2), u(2))),
        direct([rt.field_tangent], h_field_tangent, (u(2), u(2))),
        direct([rt.replace_dx], h_replace_dx, (u(2), u(2))),
    ]
    return out


# --------------------------------------------------------------------------
# 6. the rules of the library helpers' and the complex-number session (their tests'
# own functions: tests/test_lib_more.py, tests/test_complex.py)

def h_fit_axes(x):
    return w(rt.fit_axes(x * x, (6,), (-1,)))


def h_astype_tangent(x):
    return w(rtf.astype_tangent(x * x, np.zeros(3)))


def h_trapz(y):                       # (NumPy < 2.4 only)
    return w(np.trapz(y * y, dx=0.5))


def h_copy_tangent(x):
    return w(rtf.copy_tangent(x * x))


def h_ifft2(x):
    return np.sum(np.abs(np.fft.ifft2(x.reshape(2, 4), s=(3, 4))) ** 2)


def later_cases():
    import tests.complex_programs as TC
    import tests.test_lib_more as TM
    import scipy.linalg as sla
    from srcgrad.runtime import scipy_banded as SB, scipy_stats as SS
    r = np.random.default_rng(2027)
    F = np.fft
    a = r.normal(size=(3, 3))
    cov = a @ a.T + np.eye(3)
    x8 = r.uniform(-1, 1, 8)
    return [
        direct([np.nan_to_num], TM.nan_to_num_plain, (u(4),)),
        direct([getattr(np, "astype", np.ndarray.astype)], TM.astype_float, (u(3),)),
        direct([sp.fresnel], TM.fresnel_both, (u(3),)),
        direct([sp.sici], TM.sici_both, (r.uniform(0.5, 2.0, 3),)),
        direct([st.dirichlet.pdf], TM.dirichlet_pdf, (r.normal(size=3), r.uniform(0.8, 3.0, 3))),
        direct([st.multivariate_normal.entropy, SS.mvn_matrix], TM.entropy_positional,
               (r.normal(size=3), cov)),
        direct([sla.solve_banded, SB.banded_dense, SB.banded_read, SB.banded_t, SB.banded_outer],
               TM.solve_banded_sin, (TM.banded(r, 1, 1, 5), r.normal(size=5))),
        direct([F.fft], TC.spectrum_energy, (x8,)),
        direct([F.ifft, F.fft2, F.ifftn, F.rfft, F.rfft2, F.rfftn, F.fftshift, F.ifftshift, F.fftn,
                rt.fit_axes_dx], TC.fft_variants, (x8,)),
        direct([F.irfft, F.irfftn, F.irfft2], TC.irfft_variants, (x8,)),
        direct([F.ifft2], h_ifft2, (x8,)),
        direct([F.fftfreq, F.rfftfreq], TC.sampled_frequencies, (0.3,)),
        direct([rt.fit_axes], h_fit_axes, (u(4),)),
        direct([rtf.astype_tangent], h_astype_tangent, (u(3),)),
        direct([rtf.copy_tangent], h_copy_tangent, (u(3),)),
    ] + ([direct([np.trapz], h_trapz, (u(4),))] if hasattr(np, "trapz") else [])


# --------------------------------------------------------------------------
# all the cases

def build():
    cases = []
    covered = set()
    hand = rules_cases() + [direct([f], fn, args) for f, fn, args in NUMPY] + scipy_cases() \
        + runtime_cases() + later_cases() + closure_cases()
    for c in hand:
        covered.update(c.covers)
    for rule in sorted((r for r in all_rules() if r.differentiable), key=lambda r: r.name):
        if rule.fun in covered:
            continue
        c = generic(rule)
        if c is not None:
            cases.append(c)
            covered.add(rule.fun)
    out, seen = [], {}
    for c in cases + hand:             # unique names (the tables below go by name)
        n = seen[c.name] = seen.get(c.name, 0) + 1
        if n > 1:
            c.name = f"{c.name}#{n}"
        out.append(c)
    return out, covered


CASES, COVERED = build()
DIFFERENTIABLE = [r for r in all_rules() if r.differentiable]
#: the third order is checked for every THIRD_EVERY-th case (in this deterministic order)
THIRD_EVERY = 5
pytestmark = pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated:DeprecationWarning")
# (chosen by a hash of the case's name, so that a new rule does not change the sample)
THIRD = [c for c in CASES if zlib.crc32(c.name.encode()) % THIRD_EVERY == 0]


def test_every_rule_has_a_sample():
    missing = sorted(r.name for r in DIFFERENTIABLE if r.fun not in COVERED)
    assert not missing, (f"differentiable rules without a second-order sample in "
                         f"tests/test_closure.py: {missing}")
    assert len(DIFFERENTIABLE) >= 500 and len(THIRD) >= 40


# --------------------------------------------------------------------------
# the checks

#: second order refused: case name -> (error class, part of the message); the comment
#: says where (the runtime helper whose source srcgrad could not differentiate)
REFUSED2 = {
    'ode_third': (UnsupportedError, 'third derivatives through scipy.integrate.solve_ivp and odeint'),  # generated code
    'ode_odeint_third': (UnsupportedError, 'third derivatives through scipy.integrate.solve_ivp and odeint'),  # generated code
    'h_cofactor': (UnsupportedError, 'srcgrad: the second derivative of np.linalg.det at a singular matrix i'),  # generated code
}
#: second order crashes (bugs, not refusals: asserted like a refusal so that a change is
#: noticed; h_get, an item of the adjoint dict get_dx returns read as an array element, and
#: h_index_concat, np.r_[tuple(parts)] in index_concat_tangent's source, are mended)
CRASH2 = {
}
#: third order refused: case name -> (error class, part of the message)
REFUSED3 = {
}
#: wrong values (none accepted: each is a failing test, reported)
WRONG2 = {}
WRONG3 = {}


def close(a, b, scale):
    return np.allclose(a, b, rtol=1e-5, atol=1e-6 * scale)


def flat_hessian(H, case):
    """The Hessian's blocks as one square matrix."""
    sizes = [int(np.size(case.args[i])) for i in case.wrt]
    if len(case.wrt) == 1:
        H = ((H,),)
    return np.block([[np.reshape(np.asarray(H[i][j], dtype=float), (sizes[i], sizes[j]))
                      for j in range(len(sizes))] for i in range(len(sizes))])


def fd_hessian(case, eps):
    rows = []
    for i in case.wrt:
        g = srcgrad.grad(case.fun, wrt=i)
        blocks = [np.reshape(fd_jacobian(g, case.args, j, eps),
                             (int(np.size(case.args[i])), int(np.size(case.args[j]))))
                  for j in case.wrt]
        rows.append(blocks)
    return np.block(rows)


def expect_refusal(table, case, run):
    cls, words = table[case.name]
    with pytest.raises(cls, match=re.escape(words)):
        run()


def second(case):
    case.setup()
    wrt = case.wrt if len(case.wrt) > 1 else case.wrt[0]
    H = flat_hessian(srcgrad.hessian(case.fun, wrt=wrt)(*case.args), case)
    scale = 1.0 + float(np.max(np.abs(H)))
    assert np.all(np.isfinite(H)), H
    np.testing.assert_allclose(H, H.T, rtol=1e-7, atol=1e-9 * scale, err_msg="not symmetric")
    for eps in (1e-6, 1e-5, 1e-4):
        H_fd = fd_hessian(case, eps)
        if close(H, H_fd, scale):
            return
    np.testing.assert_allclose(H, fd_hessian(case, 1e-6), rtol=1e-5, atol=1e-6 * scale,
                               err_msg="Hessian vs finite differences of the gradient")


def third(case):
    global HV, U, V
    case.setup()
    p = case.wrt[-1]
    x = case.args[p]
    r = np.random.default_rng(seed("third", case.name))
    if isinstance(x, np.ndarray):
        U, V = r.normal(size=x.shape), r.normal(size=x.shape)
    else:
        U, V = float(r.normal()), float(r.normal())
    HV = srcgrad.hvp(case.fun, wrt=p)
    fun = T[len(case.args)]
    got = np.asarray(srcgrad.grad(fun, wrt=p)(*case.args), dtype=float)
    scale = 1.0 + float(np.max(np.abs(got)))
    for eps in (1e-6, 1e-5, 1e-4):
        if close(got, fd_jacobian(fun, case.args, p, eps), scale):
            return
    np.testing.assert_allclose(got, fd_jacobian(fun, case.args, p), rtol=1e-5, atol=1e-6 * scale,
                               err_msg="d/dx (u . H v) vs finite differences of the hvp")


def marks(case, wrong):
    if case.name in wrong:
        return [pytest.mark.xfail(strict=True, reason=wrong[case.name])]
    return []


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=marks(c, WRONG2)) for c in CASES])
def test_second_order(case):
    if case.name in REFUSED2:
        expect_refusal(REFUSED2, case, lambda: second(case))
    elif case.name in CRASH2:
        expect_refusal(CRASH2, case, lambda: second(case))
    else:
        second(case)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=marks(c, WRONG3)) for c in THIRD])
def test_third_order(case):
    if case.name in REFUSED2 or case.name in CRASH2:
        pytest.skip("second order refused (REFUSED2) or crashing (CRASH2)")
    if case.name in REFUSED3:
        expect_refusal(REFUSED3, case, lambda: third(case))
    else:
        third(case)


# --------------------------------------------------------------------------
# found by the samples above


def values_of_a_display(x):
    return view_sum({"i": x * x, "j": 2.0}.values())


def view_sum(v):
    s = 0.0
    for e in v:
        s = s + np.sum(e)
    return s



def test_view_of_a_dict_display_iterates_its_keys():
    """``{...}.values()`` (the view of a dict that has no name) was iterated by
    position (KeyError 0 in the gradient)."""
    x = np.array([0.3, -0.5])
    srcgrad.clear_cache()
    np.testing.assert_allclose(srcgrad.grad(values_of_a_display)(x), 2.0 * x)
    np.testing.assert_allclose(srcgrad.hessian(values_of_a_display)(x), 2.0 * np.eye(2))


def r_of_a_tuple(x):
    t = (x, x * 2.0)
    return np.sum(np.r_[t] ** 2 * np.arange(1.0, 5.0))


def r_of_a_tuple_argument(x, t):
    return np.sum(np.r_[t] ** 3) * np.sum(x)


def test_r_of_a_tuple_concatenates_its_items():
    """``np.r_[t]`` of one tuple ``t`` concatenates the items of ``t`` (a
    ValueError before, behind h_index_concat's crash at second order)."""
    from tests.modes import assert_sound
    assert_sound(r_of_a_tuple, (np.array([0.3, -0.7]),))
    x, t = np.array([1.0, 2.0]), (np.array([0.5, -1.0]), np.array([2.0, 0.25]))
    g = srcgrad.grad(r_of_a_tuple_argument, wrt=1)(x, t)
    for i in range(2):
        np.testing.assert_allclose(g[i], 3.0 * t[i] ** 2 * np.sum(x))
