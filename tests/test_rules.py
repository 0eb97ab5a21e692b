"""Every differentiation rule in srcgrad's registry, checked against finite
differences.

The rule tests are generated from ``srcgrad.rules.all_rules()``: a rule
declared tomorrow is picked up automatically (elementwise and scalar rules
get a generic test; any other kind must be added to ``SPECIAL`` with a
dedicated test, or ``test_every_rule_has_a_test`` fails).

srcgrad reads a function's source, so the primitive under test cannot be a
closure variable of a generated function: the wrappers below are ordinary
module-level functions that call the module global ``PRIM`` and weight the
result with the global ``W`` (random, so a wrong transpose or broadcast
cannot hide behind a uniform gradient).  ``PRIM`` is resolved when the
gradient is generated, and the gradient cache is keyed by the wrapper, so
every check sets the globals first and then clears the cache
(``fd.check`` does that).
"""

import builtins
import math
import operator
import inspect
import types
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special

import srcgrad.rules.scipy.special  # noqa: F401

import srcgrad
import srcgrad.rules.scipy.stats  # noqa: F401
import scipy.stats as scipy_stats  # noqa: E402
from srcgrad.rules import all_rules, lookup
import srcgrad.rules.scipy.linalg as scipy_linalg_rules  # noqa: E402  (SciPy's rules load lazily)
import srcgrad.rules.scipy.signal as scipy_signal_rules  # noqa: E402
import srcgrad.rules.scipy.integrate as scipy_integrate_rules  # noqa: E402

from tests.fd import Interval, check, separated

# --------------------------------------------------------------------------
# the wrappers (module globals PRIM and W are set per test)

PRIM = None
W = 1.0


def unary(x):
    return np.sum(PRIM(x) * W)


def binary(x, y):
    return np.sum(PRIM(x, y) * W)


def scalar1(x):
    return PRIM(x) * W


def scalar2(x, y):
    return PRIM(x, y) * W


def matmul_operator(x, y):
    return np.sum((x @ y) * W)


def use(prim, out_shape, seed=0):
    """Make ``PRIM`` call ``prim`` and ``W`` a random weight of the shape of
    its result (a Python float for a scalar result)."""
    global PRIM, W
    PRIM = prim
    W = weights(out_shape, seed)
    srcgrad.clear_cache()


def weights(shape, seed=0):
    if shape == ():
        return 0.7
    return np.random.default_rng(seed + 1000).uniform(0.5, 1.5, size=shape) \
        * np.random.default_rng(seed + 2000).choice([-1.0, 1.0], size=shape)


def seed(*key):
    """A reproducible seed (``hash`` of a string changes between runs)."""
    return zlib.crc32(repr(key).encode())


def shape_of(s):
    return () if s in ("0d", "f64") else s


# --------------------------------------------------------------------------
# domains

ANY = Interval(-1.5, 1.5)
POS = Interval(0.3, 2.0)
UNIT = Interval(-0.8, 0.8)
GT1 = Interval(1.2, 3.0)
NONZERO = Interval(0.3, 2.0, signed=True)
#: valid for nearly every real function: the default for rules not listed
SAFE = Interval(0.3, 0.9)

DOMAINS = {
    # numpy, one argument
    np.sqrt: (POS,), np.cbrt: (NONZERO,), np.reciprocal: (NONZERO,),
    np.log: (POS,), np.log2: (POS,), np.log10: (POS,), np.log1p: (Interval(-0.5, 2.0),),
    np.arcsin: (UNIT,), np.arccos: (UNIT,), np.arctanh: (UNIT,), np.arccosh: (GT1,),
    np.abs: (NONZERO,), np.fabs: (NONZERO,), builtins.abs: (NONZERO,),
    np.tan: (Interval(-1.2, 1.2),),
    np.negative: (ANY,), np.positive: (ANY,), np.square: (ANY,), np.exp: (ANY,),
    np.exp2: (ANY,), np.expm1: (ANY,), np.sin: (ANY,), np.cos: (ANY,), np.arctan: (ANY,),
    np.sinh: (ANY,), np.cosh: (ANY,), np.tanh: (ANY,), np.arcsinh: (ANY,),
    operator.neg: (ANY,), operator.pos: (ANY,),
    # numpy and operators, two arguments
    np.add: (ANY, ANY), np.subtract: (ANY, ANY), np.multiply: (ANY, ANY),
    operator.add: (ANY, ANY), operator.sub: (ANY, ANY), operator.mul: (ANY, ANY),
    np.divide: (ANY, NONZERO), operator.truediv: (ANY, NONZERO),
    np.power: (POS, ANY), operator.pow: (POS, ANY), builtins.pow: (POS, ANY),
    operator.mod: (Interval(3.1, 3.4), Interval(1.4, 1.5)),   # x // y == 2, away from jumps
    np.maximum: (ANY, ANY), np.minimum: (ANY, ANY), np.fmax: (ANY, ANY), np.fmin: (ANY, ANY),
    builtins.max: (ANY, ANY), builtins.min: (ANY, ANY),
    np.logaddexp: (ANY, ANY), np.arctan2: (NONZERO, NONZERO), np.hypot: (NONZERO, NONZERO),
    # math
    math.sqrt: (POS,), math.log: (POS, Interval(1.5, 3.0)), math.log2: (POS,),
    math.log10: (POS,), math.log1p: (Interval(-0.5, 2.0),),
    math.asin: (UNIT,), math.acos: (UNIT,), math.atanh: (UNIT,), math.acosh: (GT1,),
    math.fabs: (NONZERO,), math.tan: (Interval(-1.2, 1.2),),
    math.sin: (ANY,), math.cos: (ANY,), math.atan: (ANY,), math.sinh: (ANY,),
    math.cosh: (ANY,), math.tanh: (ANY,), math.asinh: (ANY,), math.exp: (ANY,),
    math.expm1: (ANY,), math.erf: (ANY,), math.erfc: (ANY,), math.degrees: (ANY,),
    math.radians: (ANY,), builtins.float: (ANY,),
    math.pow: (POS, ANY), math.atan2: (NONZERO, NONZERO), math.hypot: (NONZERO, NONZERO),
    # added with the NumPy rule library
    np.logaddexp2: (ANY, ANY), np.float_power: (POS, ANY), np.copysign: (NONZERO, NONZERO),
    np.fmod: (Interval(3.1, 3.4, signed=True), Interval(1.4, 1.5)),      # |x / y| in (2, 2.5)
    np.remainder: (Interval(3.1, 3.4), Interval(1.4, 1.5)),
    np.sinc: (ANY,), np.deg2rad: (ANY,), np.rad2deg: (ANY,), np.radians: (ANY,),
    np.degrees: (ANY,), np.real: (ANY,), np.conjugate: (ANY,),
    math.fmod: (Interval(3.1, 3.4, signed=True), Interval(1.4, 1.5)),
    math.remainder: (Interval(3.1, 3.4), Interval(1.4, 1.5)),        # x / y rounds to 2
    math.copysign: (NONZERO, NONZERO),
    **({math.exp2: (ANY,)} if hasattr(math, "exp2") else {}),
    **({math.cbrt: (NONZERO,)} if hasattr(math, "cbrt") else {}),
}

# scipy.special (elementwise; the rest default to SAFE); an order or shape parameter
# first gets the domain of the order
DOMAINS.update({
    special.expit: (ANY,), special.log_expit: (ANY,), special.softplus: (ANY,),
    special.erf: (ANY,), special.erfc: (ANY,), special.erfcx: (ANY,), special.ndtr: (ANY,),
    special.log_ndtr: (ANY,), special.ndtri_exp: (Interval(-3.0, -0.1),),
    special.erfinv: (UNIT,), special.dawsn: (ANY,), special.i0: (ANY,), special.i1: (ANY,),
    special.i0e: (NONZERO,), special.i1e: (NONZERO,), special.expi: (NONZERO,),
    special.expm1: (ANY,), special.exp2: (ANY,), special.exp10: (ANY,), special.cbrt: (NONZERO,),
    special.cosm1: (ANY,), special.sindg: (Interval(-200.0, 200.0),),
    special.cosdg: (Interval(-200.0, 200.0),), special.tandg: (Interval(-60.0, 60.0),),
    special.cotdg: (Interval(20.0, 160.0),), special.spence: (Interval(0.2, 2.0),),
    special.erfi: (ANY,), special.xlogy: (POS, POS), special.jv: (Interval(-2.0, 2.0), Interval(2.0, 4.0)),
    special.binom: (Interval(3.0, 5.0), Interval(0.5, 2.0)),
})

#: derivative jumps where the arguments are equal: sample them apart
SEPARATED = {np.maximum, np.minimum, np.fmax, np.fmin, builtins.max, builtins.min}

#: elementwise in the registry's sense, but only for Python scalars
SCALAR_ONLY = {builtins.max, builtins.min}

#: rules with dedicated tests further down
REDUCING = [np.sum, np.mean, np.max, np.min, np.amax, np.amin,
            np.prod, np.var, np.std, np.average, np.nansum, np.nanmean]
SPECIAL = {np.where: "test_where", np.clip: "test_clip", np.dot: "test_dot",
           np.matmul: "test_matmul", operator.matmul: "test_matmul",
           **{f: "test_reduction" for f in REDUCING}}
# (before the generic lists are made: integer orders and three arguments)
SPECIAL.update({f: "test_lib_special.py" for f in (special.logsumexp, special.softmax, special.log_softmax, special.polygamma, special.yn, special.multigammaln, special.betainc, special.betaincc, special.betaincinv, special.zeta, special.expn, special.hyp1f1, special.hyp2f1)})
# (before the classification below: some are elementwise with two arguments)
SPECIAL.update({r.fun: "test_lib_stats.py" for r in all_rules() if r.name.startswith("scipy.stats.")})
SPECIAL.update({f: "test_lib_more.py" for f in (np.nan_to_num, np.real_if_close, getattr(np, "astype", np.nan_to_num), special.fresnel, special.sici, special.ellipk, special.ellipe, special.ellipkm1, scipy_stats.dirichlet.pdf, scipy_stats.multivariate_normal.entropy, srcgrad.rules.scipy.stats.mvn_matrix, *scipy_linalg_rules.BANDED)})


def domain(rule, i):
    return DOMAINS.get(rule.fun, (SAFE, SAFE, SAFE))[i]


# --------------------------------------------------------------------------
# classifying the registry

def positional(rule):
    P = inspect.Parameter
    return [p for p in rule.signature.parameters.values()
            if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]


def arities(rule):
    """The numbers of positional arguments a generic test calls ``rule.fun``
    with: every required one, and then each optional one that has an
    adjoint (``math.log(x)`` and ``math.log(x, base)``)."""
    params = positional(rule)
    required = sum(1 for p in params if p.default is p.empty)
    last = max(i for i, p in enumerate(params) if p.name in rule.adjoints)
    return list(range(max(required, 1), max(required, last + 1) + 1))


def wrt_for(rule, n):
    """The positions to differentiate: a tuple, or a bare position when
    there is one (``wrt=(0,)`` is a separate test, see
    ``test_wrt_one_tuple``)."""
    params = positional(rule)
    wrt = tuple(i for i in range(n) if params[i].name in rule.adjoints)
    return wrt[0] if len(wrt) == 1 else wrt


def classify(rule):
    if rule.fun in SPECIAL:
        return "special"
    if not positional(rule) or set(rule.adjoints) - {p.name for p in positional(rule)}:
        return None
    ns = arities(rule)
    if max(ns) > 2:
        return None
    if rule.kind == "scalar" or rule.fun in SCALAR_ONLY:
        return "scalar"
    if rule.kind == "elementwise":
        return "unary" if ns == [1] else "binary" if ns == [2] else None
    return None


RULES = [r for r in all_rules() if r.differentiable]
UNARY = [r for r in RULES if classify(r) == "unary"]
BINARY = [r for r in RULES if classify(r) == "binary"]
SCALAR = [r for r in RULES if classify(r) == "scalar"]


def ids(rules):
    return [r.name for r in rules]


def test_every_rule_has_a_test():
    unclassified = [r.name for r in RULES if classify(r) is None]
    assert not unclassified, (
        f"differentiable rules without a test: {unclassified}; give them a domain in DOMAINS "
        f"or a dedicated test listed in SPECIAL")
    for fun in SPECIAL:
        assert lookup(fun) is not None and lookup(fun).differentiable, fun
    assert len(UNARY) >= 30 and len(BINARY) >= 15 and len(SCALAR) >= 25


IMPORTANT = [
    np.add, np.subtract, np.multiply, np.divide, np.true_divide, np.power, np.negative,
    np.square, np.sqrt, np.abs, np.absolute, np.exp, np.expm1, np.log, np.log1p, np.sin,
    np.cos, np.tan, np.tanh, np.arctan, np.arctan2, np.hypot, np.logaddexp, np.maximum,
    np.minimum, np.where, np.clip, np.sum, np.mean, np.dot, np.matmul,
    operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.neg,
    operator.matmul, builtins.abs, builtins.pow, builtins.float, builtins.max, builtins.min,
    math.sin, math.cos, math.tan, math.exp, math.log, math.sqrt, math.tanh, math.atan2,
    math.pow, math.hypot, math.erf,
]

NONDIFFERENTIABLE = [
    np.sign, np.floor, np.ceil, np.round, np.argmax, np.argmin, np.zeros, np.ones,
    np.zeros_like, np.ones_like, np.shape, np.size, np.greater, np.isnan,
    operator.lt, operator.eq, operator.floordiv, builtins.len, builtins.range, builtins.int,
    math.floor, math.ceil, srcgrad.stop_gradient,
]


@pytest.mark.parametrize("fun", IMPORTANT, ids=lambda f: getattr(f, "__name__", repr(f)))
def test_important_function_has_rule(fun):
    rule = lookup(fun)
    assert rule is not None, f"no rule for {fun}"
    assert rule.differentiable


@pytest.mark.parametrize("fun", NONDIFFERENTIABLE, ids=lambda f: getattr(f, "__name__", repr(f)))
def test_nondifferentiable_is_declared(fun):
    rule = lookup(fun)
    assert rule is not None, f"no rule for {fun}"
    assert not rule.differentiable and rule.adjoints == {}


def test_rule_metadata():
    for r in all_rules():
        assert isinstance(r.name, str) and r.name
        assert r.kind in (None, "elementwise", "reduction", "scalar")
        names = set(r.signature.parameters)
        assert set(r.adjoints) <= names, r
        for t in r.adjoints.values():
            assert t.params <= names and t.text


# --------------------------------------------------------------------------
# elementwise rules, one argument

UNARY_SHAPES = [(), "f64", "0d", (3,), (2, 3)]


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("rule", UNARY, ids=ids(UNARY))
def test_unary(rule, shape):
    rng = np.random.default_rng(seed((rule.name, str(shape))))
    x = domain(rule, 0).sample(rng, shape)
    use(rule.fun, shape_of(shape))
    check(unary, x)


@pytest.mark.parametrize("rule", UNARY, ids=ids(UNARY))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_unary_hypothesis(rule, data):
    shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)
    x = data.draw(hnp.arrays(np.float64, shapes, elements=domain(rule, 0).elements()), label="x")
    use(rule.fun, x.shape)
    check(unary, x)


# --------------------------------------------------------------------------
# elementwise rules, two arguments (with broadcasting)

BINARY_SHAPES = [
    ((), ()), ((3,), (3,)), ((2, 3), (2, 3)),
    ((), (3,)), ((3,), ()), ((3,), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)),
    ("0d", (2, 3)), ((3,), "0d"), ((2, 1, 3), (4, 1)),
]


def sample_pair(rule, rng, sx, sy):
    def sx_():
        return domain(rule, 0).sample(rng, sx)

    def sy_():
        return domain(rule, 1).sample(rng, sy)
    if rule.fun in SEPARATED:
        return separated(rng, sx_, sy_)
    return sx_(), sy_()


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("rule", BINARY, ids=ids(BINARY))
def test_binary(rule, shapes):
    sx, sy = shapes
    rng = np.random.default_rng(seed((rule.name, str(shapes))))
    x, y = sample_pair(rule, rng, sx, sy)
    use(rule.fun, np.broadcast_shapes(shape_of(sx), shape_of(sy)))
    check(binary, x, y, wrt=wrt_for(rule, 2))


@pytest.mark.parametrize("wrt", [0, 1])
@pytest.mark.parametrize("shapes", [((3,), (2, 3)), ((2, 3), ()), ((), ())], ids=str)
@pytest.mark.parametrize("rule", BINARY, ids=ids(BINARY))
def test_binary_one_argument_active(rule, shapes, wrt):
    """Only one argument is differentiated: the other is a constant."""
    active = wrt_for(rule, 2)
    if wrt not in (active if isinstance(active, tuple) else (active,)):
        pytest.skip("not differentiable in that argument")
    sx, sy = shapes
    rng = np.random.default_rng(seed((rule.name, str(shapes), wrt)))
    x, y = sample_pair(rule, rng, sx, sy)
    use(rule.fun, np.broadcast_shapes(shape_of(sx), shape_of(sy)))
    check(binary, x, y, wrt=wrt)


def binary_same(x):
    return np.sum(PRIM(x, x) * W)


@pytest.mark.parametrize("shape", [(), (2, 3)], ids=str)
@pytest.mark.parametrize("rule", BINARY, ids=ids(BINARY))
def test_binary_same_argument_twice(rule, shape):
    """``f(x, x)``: both adjoints accumulate into the one argument (at a tie
    of max/min-like rules exactly one of the two adjoints is ``g``)."""
    if wrt_for(rule, 2) != (0, 1):
        pytest.skip("not differentiable in both arguments")
    x = domain(rule, 0).sample(np.random.default_rng(seed(rule.name, str(shape))), shape)
    use(rule.fun, shape)
    check(binary_same, x)


@pytest.mark.parametrize("rule", [r for r in BINARY if r.fun not in SEPARATED],
                         ids=ids([r for r in BINARY if r.fun not in SEPARATED]))
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_binary_hypothesis(rule, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                         max_side=3), label="shapes")
    sx, sy = shapes.input_shapes
    x = data.draw(hnp.arrays(np.float64, sx, elements=domain(rule, 0).elements()), label="x")
    y = data.draw(hnp.arrays(np.float64, sy, elements=domain(rule, 1).elements()), label="y")
    use(rule.fun, shapes.result_shape)
    check(binary, x, y, wrt=wrt_for(rule, 2))


# --------------------------------------------------------------------------
# scalar rules (math, and builtins that only take scalars)

SCALAR_CASES = [(r, n) for r in SCALAR for n in arities(r)]


def scalar_id(case):
    r, n = case
    return f"{r.name}/{n}"


@pytest.mark.parametrize("to", [float, np.float64], ids=["float", "float64"])
@pytest.mark.parametrize("case", SCALAR_CASES, ids=[scalar_id(c) for c in SCALAR_CASES])
def test_scalar(case, to):
    rule, n = case
    rng = np.random.default_rng(seed((rule.name, n)))
    if n == 1:
        x = to(domain(rule, 0).sample(rng, ()))
        use(rule.fun, ())
        check(scalar1, x, wrt=wrt_for(rule, 1))
    else:
        x, y = sample_pair(rule, rng, (), ())
        use(rule.fun, ())
        check(scalar2, to(x), to(y), wrt=wrt_for(rule, 2))


@pytest.mark.parametrize("case", SCALAR_CASES, ids=[scalar_id(c) for c in SCALAR_CASES])
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_scalar_hypothesis(case, data):
    rule, n = case
    args = [data.draw(domain(rule, i).elements(), label=f"arg{i}") for i in range(n)]
    if rule.fun in SEPARATED:
        assume(abs(args[0] - args[1]) > 0.1)
    use(rule.fun, ())
    check(scalar1 if n == 1 else scalar2, *args, wrt=wrt_for(rule, n))


# --------------------------------------------------------------------------
# API details the rule tests rely on


def two_args(x, y):
    return np.sum(np.tanh(x) * y)


def test_wrt_tuple_gives_tuple():
    x, y = np.array([0.1, 0.2]), np.array([1.0, 2.0])
    srcgrad.clear_cache()
    dx, dy = srcgrad.grad(two_args, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(dx, (1.0 - np.tanh(x) ** 2) * y)
    np.testing.assert_allclose(dy, np.tanh(x))
    dy2, dx2 = srcgrad.grad(two_args, wrt=("y", "x"))(x, y)
    np.testing.assert_allclose(dx2, dx)
    np.testing.assert_allclose(dy2, dy)


@pytest.mark.parametrize("x", [0.3, np.array([0.1, 0.2])], ids=["float", "array"])
def test_wrt_one_tuple(x):
    srcgrad.clear_cache()
    out = srcgrad.grad(two_args, wrt=(0,))(x, 2.0)
    assert isinstance(out, tuple) and len(out) == 1
    np.testing.assert_allclose(out[0], (1.0 - np.tanh(x) ** 2) * 2.0)


# --------------------------------------------------------------------------
# reductions


def red_default(x):
    return np.sum(PRIM(x) * W)


def red_axis_none(x):
    return np.sum(PRIM(x, axis=None) * W)


def red_axis0(x):
    return np.sum(PRIM(x, axis=0) * W)


def red_axis1(x):
    return np.sum(PRIM(x, axis=1) * W)


def red_axis_neg1(x):
    return np.sum(PRIM(x, axis=-1) * W)


def red_positional_axis1(x):
    return np.sum(PRIM(x, 1) * W)


def red_axis0_keepdims(x):
    return np.sum(PRIM(x, axis=0, keepdims=True) * W)


def red_axis_neg1_keepdims(x):
    return np.sum(PRIM(x, axis=-1, keepdims=True) * W)


def red_keepdims(x):
    return np.sum(PRIM(x, keepdims=True) * W)


def red_axis_tuple(x):
    return np.sum(PRIM(x, axis=(0, -1)) * W)


def red_axis_tuple_keepdims(x):
    return np.sum(PRIM(x, axis=(0, 1), keepdims=True) * W)


def red_twice(x):
    return PRIM(PRIM(x, axis=0) * W)


REDUCTIONS = [
    # wrapper, the call it makes (for the result's shape), input shapes
    (red_default, {}, [(), (3,), (2, 3), (2, 3, 4)]),
    (red_axis_none, dict(axis=None), [(), (3,), (2, 3)]),
    (red_axis0, dict(axis=0), [(3,), (2, 3), (2, 3, 4)]),
    (red_axis1, dict(axis=1), [(2, 3), (2, 3, 4)]),
    (red_axis_neg1, dict(axis=-1), [(3,), (2, 3), (2, 3, 4)]),
    (red_positional_axis1, dict(axis=1), [(2, 3), (2, 3, 4)]),
    (red_axis0_keepdims, dict(axis=0, keepdims=True), [(3,), (2, 3), (2, 3, 4)]),
    (red_axis_neg1_keepdims, dict(axis=-1, keepdims=True), [(2, 3), (2, 3, 4)]),
    (red_keepdims, dict(keepdims=True), [(3,), (2, 3)]),
    (red_axis_tuple, dict(axis=(0, -1)), [(2, 3), (2, 3, 4)]),
    (red_axis_tuple_keepdims, dict(axis=(0, 1), keepdims=True), [(2, 3), (2, 3, 4)]),
    (red_twice, None, [(2, 3)]),
]

def distinct(rng, shape):
    """Values at least 0.1 apart in random order (no ties for max/min)."""
    if shape == ():
        return ANY.sample(rng, ())
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(0.0, 0.05)).reshape(shape)


REDUCTION_CASES = [(prim, w, kw, s) for prim in REDUCING if lookup(prim) is not None
                   for w, kw, shapes in REDUCTIONS for s in shapes
                   if not (prim is np.std and s == ())]      # std of one number: no derivative


@pytest.mark.parametrize("case", REDUCTION_CASES,
                         ids=[f"{p.__name__}-{w.__name__}-{s}" for p, w, _, s in REDUCTION_CASES])
def test_reduction(case):
    prim, wrapper, kwargs, shape = case
    rng = np.random.default_rng(seed(prim.__name__, wrapper.__name__, str(shape)))
    x = distinct(rng, shape)
    use(prim, shape[1:] if kwargs is None else np.shape(prim(x, **kwargs)))
    check(wrapper, x)


@pytest.mark.parametrize("prim, axis", [(np.max, None), (np.max, 0), (np.min, None), (np.min, 1)])
def test_extreme_ties_share_the_adjoint(prim, axis):
    """At a tie the adjoint is split equally among the tied elements (the
    convention of the max/min rules; finite differences cannot check it)."""
    if lookup(prim) is None or not lookup(prim).differentiable:
        pytest.skip("no rule")
    x = np.array([[1.0, -2.0, 1.0], [1.0, 0.5, -2.0]])
    use(prim, np.shape(prim(x, axis=axis)))
    if axis is None:
        g = srcgrad.grad(red_axis_none)(x)
    else:
        g = srcgrad.grad(red_axis0 if axis == 0 else red_axis1)(x)
    hit = x == prim(x, axis=axis, keepdims=True)
    share = hit / np.sum(hit, axis=axis, keepdims=True)
    expected = share * (W if axis is None else np.expand_dims(W, axis))
    np.testing.assert_allclose(g, expected)


# --------------------------------------------------------------------------
# products

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
    ((2, 3, 4), (4, 5)), ((2, 3, 4), (4,)), ((4,), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
]

# np.dot differs from matmul for a scalar operand and for an N-d second operand
DOT_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (4,)), ((4,), (2, 4, 5)), ((), (3,)), ((2, 3), ()), ((), ()),
    ((3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)),
]


def product_args(shapes, seed):
    rng = np.random.default_rng(seed)
    return [ANY.sample(rng, s) for s in shapes]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("how", ["np.matmul", "operator.matmul", "@"])
def test_matmul(how, shapes):
    x, y = product_args(shapes, 3)
    prim = {"np.matmul": np.matmul, "operator.matmul": operator.matmul, "@": None}[how]
    use(prim, np.shape(np.matmul(x, y)))
    check(binary if prim is not None else matmul_operator, x, y, wrt=(0, 1))


@pytest.mark.parametrize("wrt", [0, 1])
@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((2, 3, 4), (4,))], ids=str)
def test_matmul_one_argument_active(shapes, wrt):
    x, y = product_args(shapes, 4)
    use(None, np.shape(x @ y))
    check(matmul_operator, x, y, wrt=wrt)


@pytest.mark.parametrize("shapes", DOT_SHAPES, ids=str)
def test_dot(shapes):
    x, y = product_args(shapes, 5)
    use(np.dot, np.shape(np.dot(x, y)))
    check(binary, x, y, wrt=(0, 1))


# --------------------------------------------------------------------------
# selection: where, clip

COND = None
LO = -0.5
HI = 0.5


def where_xy(x, y):
    return np.sum(np.where(COND, x, y) * W)


def where_x_const(x):
    return np.sum(np.where(COND, x, 0.0) * W)


def where_const_y(y):
    return np.sum(np.where(COND, 2.0, y) * W)


def leaky_relu(x):
    return np.sum(np.where(x > 0.0, x, 0.1 * x) * W)


WHERE_SHAPES = [  # condition, x, y
    ((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), ()), ((2, 3), (), (2, 3)),
    ((2, 3), (2, 1), (1, 3)), ((2, 3), (), ()), ((), (3,), (3,)), ((3,), (3,), (2, 3)),
]


@pytest.mark.parametrize("shapes", WHERE_SHAPES, ids=str)
def test_where(shapes):
    global COND
    sc, sx, sy = shapes
    rng = np.random.default_rng(11)
    COND = rng.uniform(size=sc) > 0.5 if sc else True
    x, y = ANY.sample(rng, sx), ANY.sample(rng, sy)
    use(None, np.broadcast_shapes(sc, sx, sy))
    check(where_xy, x, y, wrt=(0, 1))
    check(where_x_const, x)
    check(where_const_y, y)


def test_where_condition_from_argument():
    rng = np.random.default_rng(12)
    x = NONZERO.sample(rng, (2, 3))
    use(None, (2, 3))
    check(leaky_relu, x)


def clip_both(x):
    return np.sum(np.clip(x, -0.5, 0.5) * W)


def clip_keywords(x):
    return np.sum(np.clip(x, a_min=-0.5, a_max=0.5) * W)


def clip_globals(x):
    return np.sum(np.clip(x, LO, HI) * W)


def clip_lower_only(x):
    return np.sum(np.clip(x, 0.0, None) * W)


def clip_upper_only(x):
    return np.sum(np.clip(x, None, 0.5) * W)


def clip_sample(rng, shape):
    """Values at least 0.1 away from the bounds -0.5, 0 and 0.5, on both
    sides of each (a Python float for shape ())."""
    offsets = rng.choice([-1.5, -1.0, -0.5, 0.0, 0.5], size=shape)
    x = Interval(0.1, 0.4).sample(rng, shape) + offsets
    return float(x) if shape == () else x


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (4, 5)], ids=str)
@pytest.mark.parametrize("k", range(3))
@pytest.mark.parametrize("wrapper", [clip_both, clip_keywords, clip_globals, clip_lower_only,
                                     clip_upper_only], ids=lambda f: f.__name__)
def test_clip(wrapper, k, shape):
    global LO, HI
    rng = np.random.default_rng(seed(wrapper.__name__, k, str(shape)))
    LO, HI = -0.5, 0.5
    x = clip_sample(rng, shape)
    use(None, shape)
    check(wrapper, x)


def test_clip_array_bounds():
    global LO, HI
    rng = np.random.default_rng(14)
    LO, HI = np.array([-0.5, 0.0, -0.5]), np.array([[0.5], [0.0 + 0.5]])
    x = clip_sample(rng, (2, 3))
    use(None, (2, 3))
    check(clip_globals, x)
    x = clip_sample(rng, (3,))   # the result broadcasts to (2, 3): the adjoint sums back
    use(None, (2, 3))
    check(clip_globals, x)


# --------------------------------------------------------------------------
# nondifferentiable functions contribute no gradient


def floor_times(x):
    return np.sum(np.floor(x) * x * W)


def sign_times(x):
    return np.sum(np.sign(x) * x * W)


def stopped(x):
    return np.sum(srcgrad.stop_gradient(x * x) * x)


def test_nondifferentiable_calls():
    rng = np.random.default_rng(15)
    x = Interval(0.1, 0.4).sample(rng, (2, 3)) + rng.integers(-3, 3, size=(2, 3))
    use(None, (2, 3))
    np.testing.assert_allclose(check(floor_times, x), np.floor(x) * W)
    np.testing.assert_allclose(check(sign_times, x), np.sign(x) * W)
    srcgrad.clear_cache()
    np.testing.assert_allclose(srcgrad.grad(stopped)(x), x * x)


# --------------------------------------------------------------------------
# an independent oracle: autograd on composite expressions

A = np.random.default_rng(20).normal(size=(3, 4))
X = np.random.default_rng(21).normal(size=(5, 3))
Y = np.random.default_rng(22).normal(size=(5, 2))
T = (np.random.default_rng(23).uniform(size=5) > 0.5).astype(float)


def comp_tanh_gauss(x):
    return np.sum(np.tanh(x) * np.exp(-x ** 2))


def comp_logsumexp(x):
    z = np.dot(x, A)
    return np.log(np.sum(np.exp(z - 0.5)))


def comp_softplus(x):
    return np.mean(np.logaddexp(0.0, x) * x)


def comp_mlp(w1, w2):
    h = np.tanh(np.dot(X, w1))
    return np.mean((np.dot(h, w2) - Y) ** 2)


def comp_logistic(w, b):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(T * np.log(p) + (1.0 - T) * np.log(1.0 - p))


def comp_reuse(x):
    y = x * x
    y = y + np.sin(y)
    return np.sum(y / (1.0 + y))


def comp_loop(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.sin(x * (i + 1.0)) ** 2)
    return s


def comp_where_sqrt(x):
    return np.sum(np.where(x > 0.0, np.sqrt(np.abs(x) + 1.0), x ** 3))


def comp_polar(x, y):
    return np.sum(np.arctan2(y, x) * np.hypot(x, y) + np.maximum(x, y) ** 2)


def comp_normalise(x):
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=1, keepdims=True)
    return np.sum(((x - mu) / np.sqrt(var + 1e-3)) * A)


_rng = np.random.default_rng(30)
COMPOSITES = [
    (comp_tanh_gauss, (ANY.sample(_rng, (2, 3)),), 0),
    (comp_logsumexp, (ANY.sample(_rng, (2, 3)),), 0),
    (comp_softplus, (ANY.sample(_rng, (4,)),), 0),
    (comp_mlp, (ANY.sample(_rng, (3, 4)), ANY.sample(_rng, (4, 2))), (0, 1)),
    (comp_logistic, (ANY.sample(_rng, (3,)), 0.3), (0, 1)),
    (comp_reuse, (ANY.sample(_rng, (3,)),), 0),
    (comp_loop, (ANY.sample(_rng, (2, 2)),), 0),
    (comp_where_sqrt, (NONZERO.sample(_rng, (2, 3)),), 0),
    (comp_polar, (NONZERO.sample(_rng, (3,)), NONZERO.sample(_rng, (2, 3)) + 3.0), (0, 1)),
    (comp_normalise, (ANY.sample(_rng, (3, 4)),), 0),
]


@pytest.mark.parametrize("case", COMPOSITES, ids=[c[0].__name__ for c in COMPOSITES])
def test_against_autograd(case):
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    fun, args, wrt = case
    ag_fun = types.FunctionType(fun.__code__, dict(fun.__globals__, np=anp), fun.__name__)
    srcgrad.clear_cache()
    ours = srcgrad.grad(fun, wrt=wrt)(*args)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    ours = ours if isinstance(wrt, tuple) else (ours,)
    for i, g in zip(positions, ours):
        expected = autograd.grad(ag_fun, i)(*args)
        assert np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-12)
    check(fun, *args, wrt=wrt)


# --------------------------------------------------------------------------
# the rest of the NumPy library: a table of calls, each checked against
# finite differences.  Wrappers pass extra arguments through module globals
# (P1, P2, P3, AXIS), so one wrapper serves many calls; RAW gives each
# wrapper's result before weighting, for the shape of W.

P1 = P2 = P3 = AXIS = None


def call_x(x):
    return np.sum(PRIM(x) * W)


def call_x_p(x):
    return np.sum(PRIM(x, P1) * W)


def call_x_pp(x):
    return np.sum(PRIM(x, P1, P2) * W)


def call_x_ppp(x):
    return np.sum(PRIM(x, P1, P2, P3) * W)


def call_x_axis(x):
    return np.sum(PRIM(x, axis=AXIS) * W)


def call_xy(x, y):
    return np.sum(PRIM(x, y) * W)


def call_xy_p(x, y):
    return np.sum(PRIM(x, y, P1) * W)


def call_sub_x(x):
    return np.sum(PRIM(P1, x) * W)


def call_sub_xy(x, y):
    return np.sum(PRIM(P1, x, y) * W)


def call_sub_xyz(x, y, z):
    return np.sum(PRIM(P1, x, y, z) * W)


def call_reshape_kw(x):
    return np.sum(np.reshape(x, shape=P1) * W)


def call_pad_kw(x):
    return np.sum(np.pad(x, P1, constant_values=1.5) * W)


def call_var_ddof(x):
    return np.sum(PRIM(x, AXIS, ddof=1) * W)


def call_var_correction_keepdims(x):
    return np.sum(PRIM(x, axis=AXIS, correction=1, keepdims=True) * W)


def call_average_w(x, w):
    return np.sum(np.average(x, AXIS, w) * W)


def call_average_w_keepdims(x, w):
    return np.sum(np.average(x, axis=AXIS, weights=w, keepdims=True) * W)


def call_norm(x):
    return np.sum(PRIM(x, P1, AXIS, P2) * W)


def call_cholesky_upper(x):
    return np.sum(np.linalg.cholesky(x, upper=True) * W)


def call_astype(x):
    return np.sum(np.ndarray.astype(x, P1) * W)


RAW = {
    call_x: lambda x: PRIM(x), call_x_p: lambda x: PRIM(x, P1),
    call_x_pp: lambda x: PRIM(x, P1, P2), call_x_ppp: lambda x: PRIM(x, P1, P2, P3),
    call_x_axis: lambda x: PRIM(x, axis=AXIS), call_xy: lambda x, y: PRIM(x, y),
    call_xy_p: lambda x, y: PRIM(x, y, P1), call_sub_x: lambda x: PRIM(P1, x),
    call_sub_xy: lambda x, y: PRIM(P1, x, y), call_sub_xyz: lambda x, y, z: PRIM(P1, x, y, z),
    call_reshape_kw: lambda x: np.reshape(x, shape=P1),
    call_pad_kw: lambda x: np.pad(x, P1, constant_values=1.5),
    call_var_ddof: lambda x: PRIM(x, AXIS, ddof=1),
    call_var_correction_keepdims: lambda x: PRIM(x, axis=AXIS, correction=1, keepdims=True),
    call_average_w: lambda x, w: np.average(x, AXIS, w),
    call_average_w_keepdims: lambda x, w: np.average(x, axis=AXIS, weights=w, keepdims=True),
    call_norm: lambda x: PRIM(x, P1, AXIS, P2),
    call_cholesky_upper: lambda x: np.linalg.cholesky(x, upper=True),
    call_astype: lambda x: np.ndarray.astype(x, P1),
}


def spd(rng, shape):
    """A well-conditioned symmetric positive definite matrix (or a batch)."""
    m = rng.uniform(-1.0, 1.0, size=shape)
    return m @ np.swapaxes(m, -1, -2) + 2.0 * np.eye(shape[-1])


def wellcond(rng, shape):
    """A well-conditioned square matrix (or a batch)."""
    return rng.uniform(-1.0, 1.0, size=shape) + 3.0 * np.eye(shape[-1])


def sample(rng, spec):
    """An argument from a spec: a shape (ANY values), or (sampler, shape)."""
    if isinstance(spec, tuple) and len(spec) == 2 and (callable(spec[0]) or isinstance(spec[0], Interval)):
        fn, shape = spec
        if isinstance(fn, Interval):
            return fn.sample(rng, shape)
        return fn(rng, shape)
    return ANY.sample(rng, spec)


class C:
    """One call in the table: ``prim`` called through ``wrapper`` with the
    globals ``params`` on arguments sampled from ``specs``."""

    def __init__(self, prim, wrapper, specs, wrt=None, note="", **params):
        self.prim, self.wrapper, self.specs, self.params = prim, wrapper, specs, params
        self.wrt = wrt if wrt is not None else (0 if len(specs) == 1 else tuple(range(len(specs))))
        self.note = note

    def id(self):
        name = getattr(self.prim, "__name__", "") or ""
        specs = [s if not isinstance(s, tuple) or len(s) != 2 or not callable(s[0]) and not
                 isinstance(s[0], Interval) else (getattr(s[0], "__name__", None) or repr(s[0]), s[1])
                 for s in self.specs]
        extra = ",".join(f"{k}={getattr(v, '__name__', None) or repr(v)}" for k, v in self.params.items())
        return f"{name}-{self.wrapper.__name__}-{specs}-{extra}{self.note}".replace(" ", "")


def with_zeros(rng, shape):
    """ANY values, about a third of them exactly zero."""
    return np.where(rng.uniform(size=shape) < 0.3, 0.0, ANY.sample(rng, shape))


class Fixed:
    """The same values every time (shape ignored)."""

    def __init__(self, *values):
        self.values = values

    def __call__(self, rng, shape):
        return np.array(self.values)

    def __repr__(self):
        return f"Fixed{self.values}"


class _S:
    """Named samplers (callables), usable in specs."""
    distinct = staticmethod(distinct)
    spd = staticmethod(spd)
    wellcond = staticmethod(wellcond)


POSV = Interval(0.5, 1.5)      # positive values (weights, cumprod)
NZ = Interval(0.4, 1.5, signed=True)
la = np.linalg
inf = np.inf

CASES = [
    # scans
    *[C(np.cumsum, call_x, [s]) for s in [(), (3,), (2, 3)]],
    *[C(np.cumsum, call_x_p, [(2, 3, 2)], P1=a) for a in (0, 1, -1)],
    *[C(np.cumprod, call_x, [(NZ, s)]) for s in [(), (3,), (2, 3)]],
    *[C(np.cumprod, call_x_p, [(NZ, (2, 3, 2))], P1=a) for a in (0, 2)],
    # var/std with ddof and correction; prod with zeros
    *[C(f, call_var_ddof, [(2, 3, 4)], AXIS=a) for f in (np.var, np.std) for a in (None, 1, (0, 2))],
    *[C(f, call_var_correction_keepdims, [(2, 3)], AXIS=a) for f in (np.var, np.std) for a in (None, 0)],
    *[C(np.prod, call_x_axis, [(with_zeros, s)], AXIS=a)
      for s, a in [((6,), None), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), (0, 2))]],
    C(np.prod, call_x, [(Fixed(0.5, 0.0, 0.0, 2.0), (4,))]),
    C(np.prod, call_x, [(Fixed(0.5, 0.0, 1.5, 2.0), (4,))]),
    # average with weights (both differentiable)
    C(np.average, call_average_w, [(2, 3), (POSV, (2, 3))], AXIS=None),
    C(np.average, call_average_w, [(2, 3), (POSV, (3,))], AXIS=1),
    C(np.average, call_average_w, [(2, 3), (POSV, (2,))], AXIS=0),
    C(np.average, call_average_w, [(2, 3, 2), (POSV, (2, 3, 2))], AXIS=-1),
    C(np.average, call_average_w_keepdims, [(2, 3), (POSV, (3,))], AXIS=1),
    C(np.average, call_average_w_keepdims, [(2, 3), (POSV, (2, 3))], AXIS=None),
    C(np.average, call_average_w, [(2, 3), (POSV, (3,))], wrt=1, AXIS=1),
    # norms: vector orders, matrix orders, axis and keepdims
    *[C(la.norm, call_x, [(NZ, s)]) for s in [(4,), (2, 3), (2, 3, 2)]],
    *[C(la.norm, call_norm, [(NZ, (5,))], P1=o, AXIS=None, P2=k)
      for o in (None, 2, 1, 3, 0.5, -1.5) for k in (False, True)],
    *[C(la.norm, call_norm, [(NZ, (5,))], P1=o, AXIS=None, P2=False) for o in (inf, -inf)],
    *[C(la.norm, call_norm, [(NZ, (3, 4))], P1=o, AXIS=None, P2=k)
      for o in (None, "fro", "nuc", 2, 1, inf) for k in (False, True)],
    *[C(la.norm, call_norm, [(NZ, (2, 3, 4))], P1=o, AXIS=a, P2=k)
      for o in (None, 1, inf, 2) for a in (0, -1) for k in (False, True)],
    *[C(la.norm, call_norm, [(NZ, (2, 3, 4))], P1=o, AXIS=a, P2=k)
      for o in (None, "fro", "nuc", 2, 1, inf) for a in ((0, 2), (2, 1)) for k in (False, True)],
    # reshaping
    C(np.reshape, call_x_p, [(2, 3)], P1=(3, 2)), C(np.reshape, call_x_p, [(2, 3)], P1=-1),
    C(np.reshape, call_x_p, [()], P1=(1, 1)), C(np.reshape, call_x_p, [(4,)], P1=(2, -1)),
    C(np.reshape, call_x_pp, [(2, 3)], P1=(3, 2), P2="F"),
    C(np.reshape, call_reshape_kw, [(2, 3)], P1=(6, 1)),
    *[C(np.ravel, call_x, [s]) for s in [(), (3,), (2, 3)]],
    C(np.ravel, call_x_p, [(2, 3)], P1="F"),
    *[C(f, call_x, [s]) for f in (np.atleast_1d, np.atleast_2d, np.atleast_3d) for s in [(), (3,), (2, 3)]],
    *[C(np.transpose, call_x, [s]) for s in [(), (3,), (2, 3), (2, 3, 4)]],
    *[C(np.transpose, call_x_p, [(2, 3, 4)], P1=p) for p in [(2, 0, 1), (1, 0, 2), (-1, 0, 1)]],
    C(np.swapaxes, call_x_pp, [(2, 3, 4)], P1=0, P2=2), C(np.swapaxes, call_x_pp, [(2, 3)], P1=-1, P2=0),
    C(np.moveaxis, call_x_pp, [(2, 3, 4)], P1=0, P2=-1),
    C(np.moveaxis, call_x_pp, [(2, 3, 4)], P1=(0, 1), P2=(2, 0)),
    C(np.expand_dims, call_x_p, [(3,)], P1=0), C(np.expand_dims, call_x_p, [(2, 3)], P1=(0, 2)),
    C(np.expand_dims, call_x_p, [()], P1=0),
    C(np.squeeze, call_x, [(1, 3, 1)]), C(np.squeeze, call_x_p, [(1, 3)], P1=0),
    C(np.squeeze, call_x_p, [(2, 1, 3, 1)], P1=(1, 3)),
    *[C(np.broadcast_to, call_x_p, [s], P1=(2, 3)) for s in [(), "0d", (3,), (2, 1), (1, 3), (2, 3)]],
    # copies and conversions
    *[C(f, call_x, [s]) for f in (np.copy, np.array, np.asarray, np.asanyarray, np.ascontiguousarray)
      for s in [(), "0d", (3,), (2, 3)]],
    *[C(f, call_x_p, [(2, 3)], P1=t) for f in (np.array, np.asarray) for t in (float, np.float64, int)],
    *[C(np.ndarray.astype, call_astype, [(2, 3)], P1=t) for t in (float, "float64", int, bool)],
    # tiling, repeating, flipping, rolling
    C(np.tile, call_x_p, [(3,)], P1=2), C(np.tile, call_x_p, [(3,)], P1=(2, 1)),
    C(np.tile, call_x_p, [(2, 3)], P1=(2, 2)), C(np.tile, call_x_p, [(2, 3)], P1=(2, 1, 3)),
    C(np.tile, call_x_p, [(2, 3, 2)], P1=2), C(np.tile, call_x_p, [()], P1=3),
    C(np.repeat, call_x_p, [(2, 3)], P1=2), C(np.repeat, call_x_pp, [(2, 3)], P1=2, P2=1),
    C(np.repeat, call_x_pp, [(2, 3)], P1=[1, 0, 2], P2=1), C(np.repeat, call_x_pp, [(2, 3)], P1=[2, 1], P2=-2),
    C(np.repeat, call_x_p, [()], P1=3), C(np.repeat, call_x_p, [(3,)], P1=[3, 0, 1]),
    C(np.flip, call_x, [(2, 3)]), C(np.flip, call_x_p, [(2, 3)], P1=0),
    C(np.flip, call_x_p, [(2, 3, 4)], P1=(0, 2)),
    C(np.roll, call_x_p, [(2, 3)], P1=1), C(np.roll, call_x_pp, [(2, 3)], P1=1, P2=1),
    C(np.roll, call_x_pp, [(2, 3, 4)], P1=(1, -2), P2=(0, 2)), C(np.roll, call_x_pp, [(5,)], P1=-7, P2=0),
    # diagonals and triangles
    *[C(np.diag, call_x, [s]) for s in [(3,), (3, 3), (2, 4), (4, 2)]],
    *[C(np.diag, call_x_p, [s], P1=k) for s in [(3,), (3, 4)] for k in (1, -1, 2)],
    *[C(np.diagonal, call_x, [s]) for s in [(3, 3), (2, 4), (2, 3, 4)]],
    C(np.diagonal, call_x_p, [(3, 4)], P1=1), C(np.diagonal, call_x_p, [(3, 4)], P1=-2),
    C(np.diagonal, call_x_ppp, [(2, 3, 3)], P1=0, P2=1, P3=2),
    C(np.diagonal, call_x_ppp, [(3, 2, 4)], P1=1, P2=2, P3=0),
    *[C(np.trace, call_x, [s]) for s in [(3, 3), (2, 4), (2, 3, 4)]],
    C(np.trace, call_x_p, [(3, 4)], P1=1), C(np.trace, call_x_ppp, [(2, 3, 4)], P1=-1, P2=1, P3=2),
    *[C(f, call_x, [s]) for f in (np.triu, np.tril) for s in [(3, 3), (2, 4), (2, 3, 3)]],
    *[C(f, call_x_p, [(3, 4)], P1=k) for f in (np.triu, np.tril) for k in (1, -1)],
    # padding
    C(np.pad, call_x_p, [(3,)], P1=1), C(np.pad, call_x_p, [(2, 3)], P1=((1, 2), (0, 1))),
    C(np.pad, call_x_pp, [(2, 3)], P1=(2, 1), P2="constant"), C(np.pad, call_pad_kw, [(2, 3)], P1=1),
    # products
    *[C(np.vdot, call_xy, [a, b]) for a, b in [((3,), (3,)), ((2, 3), (3, 2)), ((2, 3), (6,))]],
    *[C(np.inner, call_xy, [a, b]) for a, b in [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)),
                                               ((2, 3, 4), (5, 4)), ((), (3,)), ((2, 3), ()), ((), ())]],
    *[C(np.outer, call_xy, [a, b]) for a, b in [((3,), (4,)), ((2, 3), (2,)), ((), (3,))]],
    C(np.tensordot, call_xy, [(2, 3), (2, 3)]), C(np.tensordot, call_xy, [(4, 2, 3), (2, 3, 5)]),
    *[C(np.tensordot, call_xy_p, [a, b], P1=ax) for a, b, ax in [
        ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2,), (3,), 0),
        ((2, 3, 4), (4, 2, 5), ((0, 2), (1, 0))), ((2, 3), (4, 3), ([1], [1])),
        ((2, 3), (3, 4), (1, 0)), ((2, 3, 4), (4, 3), ((-1, 1), (0, -1)))]],
    *[C(np.einsum, call_sub_x, [s], P1=sub) for sub, s in [
        ("ij->ji", (2, 3)), ("ii->", (3, 3)), ("ii->i", (3, 3)), ("ij->", (2, 3)), ("ij->i", (2, 3)),
        ("ij", (2, 3)), ("ji", (2, 3)), ("ijk->kj", (2, 3, 4)), ("i->", (4,))]],
    *[C(np.einsum, call_sub_xy, [a, b], P1=sub) for sub, a, b in [
        ("ij,jk->ik", (2, 3), (3, 4)), ("ij,ij->i", (2, 3), (2, 3)), ("i,j->ij", (2,), (3,)),
        ("ij,jk", (2, 3), (3, 4)), ("ijk,ik->j", (2, 3, 4), (2, 4)), ("ij,k->ik", (2, 3), (4,)),
        ("ii,i->i", (3, 3), (3,)), ("ij,j->", (2, 3), (3,)), ("i,i", (3,), (3,))]],
    C(np.einsum, call_sub_xyz, [(2, 3), (3, 4), (4, 2)], P1="ij,jk,kl->il"),
    C(np.einsum, call_sub_xyz, [(2,), (2, 3), (3,)], P1="i,ij,j->"),
    *[C(np.kron, call_xy, [a, b]) for a, b in [((2,), (3,)), ((2, 3), (2, 2)), ((2,), (2, 3)),
                                              ((2, 3), (3,)), ((), (3,)), ((1, 2), (3, 1))]],
    # linear algebra
    *[C(la.solve, call_xy, [(_S.wellcond, a), b]) for a, b in [
        ((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2)), ((2, 3, 3), (3,)),
        ((2, 3, 3), (3, 2)), ((1, 1), (1,))]],
    C(la.solve, call_xy, [(_S.wellcond, (3, 3)), (3, 2)], wrt=0),
    C(la.solve, call_xy, [(_S.wellcond, (3, 3)), (3, 2)], wrt=1),
    *[C(la.inv, call_x, [(_S.wellcond, s)]) for s in [(1, 1), (3, 3), (2, 3, 3)]],
    *[C(la.det, call_x, [(_S.wellcond, s)]) for s in [(1, 1), (3, 3), (2, 3, 3)]],
    *[C(la.cholesky, call_x, [(_S.spd, s)]) for s in [(1, 1), (3, 3), (2, 3, 3)]],
    *[C(la.cholesky, call_cholesky_upper, [(_S.spd, s)]) for s in [(3, 3), (2, 3, 3)]],
    *[C(la.pinv, call_x, [s]) for s in [(3, 2), (2, 3), (2, 4, 3)]],
    C(la.pinv, call_x, [(_S.wellcond, (3, 3))]),
    # Python's sum of an array: the sum of its rows
    *[C(builtins.sum, call_x, [s]) for s in [(3,), (2, 3)]],
    C(builtins.sum, call_xy, [(2, 3), (3,)]), C(builtins.sum, call_xy, [(3,), ()]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id() for c in CASES])
def test_case(case):
    global P1, P2, P3, AXIS
    P1, P2, P3, AXIS = (case.params.get(k) for k in ("P1", "P2", "P3", "AXIS"))
    rng = np.random.default_rng(seed(case.id()))
    args = [sample(rng, s) for s in case.specs]
    global PRIM
    PRIM = case.prim
    out = RAW[case.wrapper](*args)
    use(case.prim, np.shape(out), seed=seed(case.id()))
    check(case.wrapper, *args, wrt=case.wrt)


def test_case_table_covers_the_library():
    """Every rule that is neither elementwise nor a reduction above appears
    in the table (keeps test_every_rule_has_a_test honest)."""
    in_table = {c.prim for c in CASES}
    for f in in_table:
        assert lookup(f) is not None and lookup(f).differentiable, f


SPECIAL.update({c.prim: "test_case" for c in CASES})
SPECIAL.update({np.ndarray.transpose: "test_array_methods", np.ndarray.reshape: "test_array_methods"})
SPECIAL.update({f: "test_linalg_tuples.py" for f in (
    np.linalg.slogdet, np.linalg.eigh, np.linalg.eigvalsh, np.linalg.svd, np.linalg.qr,
    np.linalg.lstsq, getattr(np.linalg, "svdvals", np.linalg.svd))})
SPECIAL.update({f: "test_lib_svd.py" for f in (np.linalg.svd, getattr(np.linalg, "svdvals", np.linalg.svd))})
SPECIAL.update({np.take: "test_constructs.py::read_indexing"})
SPECIAL.update({srcgrad.runtime.cofactor: "test_higher_helpers.py::test_det_second_order_at_a_singular_matrix_is_refused_when_it_runs"})
SPECIAL.update({f: "test_soundness_r6.py::test_max_of_a_list_helpers_are_transposes_of_each_other" for f in (srcgrad.runtime.seq_extreme_dx, srcgrad.runtime.seq_extreme_tangent)})
SPECIAL.update({f: "test_lib_linalg.py" for f in scipy_linalg_rules.PRIMITIVES + scipy_linalg_rules.HELPER_RULES})
SPECIAL.update({f: "test_lib_signal.py" for f in scipy_signal_rules.PRIMITIVES + scipy_signal_rules.HELPER_RULES})
SPECIAL.update({f: "test_lib_integrate.py" for f in scipy_integrate_rules.PRIMITIVES + scipy_integrate_rules.HELPER_RULES + scipy_integrate_rules.THIRD_RULES})
SPECIAL.update({f: "test_soundness_runtime.py::test_values_that_make_arrays" for f in (
    np.full, np.full_like, np.linspace)})
SPECIAL.update({f: "test_soundness_runtime.py::test_functions_once_declared_without_derivative"
                for f in (np.arange, np.bincount, np.heaviside)})
SPECIAL.update({f: "test_constructs.py::lists_of_arrays" for f in (
    np.concatenate, np.stack, np.hstack, np.vstack, np.split)})
# srcgrad's runtime helpers (derivatives of generated code)
from srcgrad.rules.runtime_rules import RUNTIME_RULES  # noqa: E402
SPECIAL.update({f: "test_higher.py::test_runtime_rule" for f in RUNTIME_RULES})
from srcgrad.rules.runtime_rules import CONTAINER_RUNTIME_RULES  # noqa: E402
SPECIAL.update({f: "test_soundness_activity.py (hvp through containers)"
                for f in CONTAINER_RUNTIME_RULES})
from srcgrad.rules.runtime_rules import CONSTRUCTION_RUNTIME_RULES  # noqa: E402
SPECIAL.update({f: "test_soundness_activity.py (constructions)" for f in (
    *CONSTRUCTION_RUNTIME_RULES, np.linspace, np.arange, np.full, np.full_like, np.bincount,
    np.ndarray.item)})

from srcgrad.rules.runtime_rules import WRITE_RULES  # noqa: E402
SPECIAL.update({f: "test_soundness_aliasing.py::test_write_rule" for f in WRITE_RULES})
from srcgrad.rules.runtime_rules import ARRAY_RUNTIME_RULES  # noqa: E402
SPECIAL.update({f: "test_lib_numpy.py" for f in (*ARRAY_RUNTIME_RULES, *[getattr(np, n) for n in (
    "diff", "ediff1d", "gradient", "trapezoid", "trapz", "convolve", "correlate", "interp", "polyval",
    "cross", "sort", "partition", "median", "quantile", "percentile", "nanvar", "nanstd", "nanmax",
    "nanmin", "nanprod", "append", "insert", "delete", "flipud", "fliplr", "rot90", "rollaxis",
    "select", "dstack", "column_stack", "row_stack", "array_split", "hsplit", "vsplit", "dsplit",
    "imag", "angle") if hasattr(np, n)], np.linalg.matrix_power, np.linalg.multi_dot, np.linalg.eig,
    np.linalg.eigvals)})


# --------------------------------------------------------------------------
# array methods and attributes resolve to the same rules

M23 = np.random.default_rng(40).uniform(0.5, 1.5, size=(2, 3))


def m_reshape_ints(x):
    return np.sum(x.reshape(2, 3) * M23)


def m_reshape_tuple(x):
    return np.sum(x.reshape((2, 3)) * M23)


def m_reshape_minus1(x):
    return np.sum(x.reshape(-1) * np.ravel(M23))


def m_reshape_tuple_order(x):
    return np.sum(x.reshape((2, 3), order="F") * M23)


def m_np_reshape(x):
    return np.sum(np.reshape(x, (2, 3)) * M23)


def m_np_reshape_order(x):
    return np.sum(np.reshape(x, (2, 3), "F") * M23)


def m_T(x):
    return np.sum(x.reshape(3, 2).T * M23)


def m_transpose(x):
    return np.sum(x.reshape(3, 2).transpose() * M23)


def m_transpose_tuple(x):
    return np.sum(x.reshape(3, 2).transpose((1, 0)) * M23)


def m_flatten_ravel_copy(x):
    y = x.reshape(2, 3).copy()
    return np.sum(y.flatten() * y.ravel() * np.ravel(M23))


def m_reductions(x):
    y = x.reshape(2, 3)
    return (y.sum() + y.mean(axis=0).sum() + y.prod(axis=1).sum() + y.max() + y.min(0).sum()
            + y.var(ddof=1) + y.std(axis=1).sum() + y.cumsum(axis=1).sum() + y.cumprod().sum())


def m_shapes(x):
    y = x.reshape(1, 2, 3)
    z = y.squeeze().swapaxes(0, 1).repeat(2, axis=0)
    return np.sum(z * z) + y.squeeze(0).trace() + np.sum(y.diagonal(0, 1, 2))


def m_misc(x):
    y = x.reshape(2, 3)
    return np.sum(y.dot(M23.T)) + np.sum(y.clip(0.6, 1.0) * M23) + np.sum(y.conj() * y.real) \
        + np.sum(y.round(1) * y) + np.sum(y * y.argmax())


METHODS = [m_reshape_ints, m_reshape_tuple, m_reshape_minus1, m_reshape_tuple_order, m_np_reshape,
           m_np_reshape_order, m_T, m_transpose, m_transpose_tuple, m_flatten_ravel_copy,
           m_reductions, m_shapes, m_misc]


@pytest.mark.parametrize("fun", METHODS, ids=lambda f: f.__name__)
def test_array_methods(fun):
    x = Interval(0.3, 1.4).sample(np.random.default_rng(seed(fun.__name__)), (6,))
    check(fun, x)


def test_array_methods_have_rules():
    """Every method the compiler maps to a NumPy function has a rule."""
    from srcgrad.rules.tables import ARRAY_ATTRIBUTES, ARRAY_METHODS
    missing = [name for name, fun in {**ARRAY_METHODS, **ARRAY_ATTRIBUTES}.items()
               if lookup(fun) is None]
    assert not missing


def m_astype(x):
    return np.sum(x.astype(float) * x)


def m_transpose_ints(x):
    return np.sum(x.reshape(3, 2).transpose(1, 0) * M23)


def m_reshape_ints_order(x):
    return np.sum(x.reshape(2, 3, order="F") * M23)


def test_astype_method():
    check(m_astype, np.linspace(0.3, 1.2, 6))


def test_transpose_method_separate_ints():
    check(m_transpose_ints, np.linspace(0.3, 1.2, 6))


def test_reshape_method_ints_and_order():
    check(m_reshape_ints_order, np.linspace(0.3, 1.2, 6))


# --------------------------------------------------------------------------
# NaN-aware reductions, and helpers that refuse what they cannot do


def nan_sum(x):
    return np.nansum(x * W)


def nan_mean_axis(x):
    return np.sum(np.nanmean(x, axis=1) * W)


def test_nan_reductions_skip_nans():
    x = np.array([[0.5, np.nan, 1.5], [np.nan, 2.0, -1.0]])
    use(None, (2, 3))
    g = srcgrad.grad(nan_sum)(x)
    np.testing.assert_allclose(g, np.where(np.isnan(x), 0.0, W))
    use(None, (2,))
    srcgrad.clear_cache()
    g = srcgrad.grad(nan_mean_axis)(x)
    np.testing.assert_allclose(g, np.where(np.isnan(x), 0.0, W[:, None] / 2.0))


def test_helpers_raise_clear_errors():
    from srcgrad import runtime
    x = np.ones((2, 3))
    # (refusals at run time are srcgrad errors, never a bare NotImplementedError)
    with pytest.raises(srcgrad.UnsupportedError, match="mode='maximum'"):
        runtime.pad_dx(np.ones((4, 5)), x, 1, "maximum")
    with pytest.raises(srcgrad.UnsupportedError, match="ord=-2"):
        runtime.norm_dx(1.0, x, np.linalg.norm(x, -2), -2)
    # (an ellipsis in einsum is differentiated now)
    np.testing.assert_array_equal(runtime.einsum_dx(np.ones(2), "...i->...", 0, x), np.ones((2, 3)))


def test_new_rules_are_registered():
    for fun in [np.prod, np.var, np.std, np.cumsum, np.cumprod, np.average, np.nansum,
                np.nanmean, np.linalg.norm, np.reshape, np.ravel, np.transpose, np.swapaxes,
                np.moveaxis, np.expand_dims, np.squeeze, np.broadcast_to, np.tile, np.repeat,
                np.flip, np.roll, np.diag, np.diagonal, np.trace, np.triu, np.tril, np.pad,
                np.copy, np.array, np.asarray, np.atleast_1d, np.atleast_2d, np.vdot, np.inner,
                np.outer, np.tensordot, np.einsum, np.kron, np.linalg.solve, np.linalg.inv,
                np.linalg.det, np.linalg.cholesky, np.linalg.pinv, np.exp2, np.expm1, np.log2,
                np.log10, np.sinc, np.logaddexp2, np.deg2rad, np.rad2deg, np.float_power,
                np.fmod, np.remainder, np.mod, np.real, np.conj, np.ndarray.astype,
                # differentiable in their values (np.heaviside in x2, np.full in fill_value;
                # they were declared nondifferentiable before the audit of #10)
                np.heaviside, np.full, np.full_like, np.linspace, np.arange, np.bincount]:
        assert lookup(fun) is not None and lookup(fun).differentiable, fun
    for fun in [np.nonzero, np.isclose, np.eye]:
        assert lookup(fun) is not None and not lookup(fun).differentiable, fun


# --------------------------------------------------------------------------
# composites of the new rules (chain rule through several of them)


def comp_cholesky_logdet(x):
    a = x @ x.T + np.eye(3)
    L = np.linalg.cholesky(a)
    return 2.0 * np.sum(np.log(np.diag(L)))


def comp_solve_quadratic(x, b):
    a = x + 3.0 * np.eye(3)
    return np.dot(b, np.linalg.solve(a, b)) + np.linalg.det(a)


def comp_standardise(x):
    z = (x - np.mean(x, axis=0)) / np.std(x, axis=0, ddof=1)
    return np.linalg.norm(np.cumsum(z, axis=1)) + np.trace(np.einsum("ij,kj->ik", z, z))


def test_composites_of_new_rules():
    rng = np.random.default_rng(41)
    check(comp_cholesky_logdet, ANY.sample(rng, (3, 3)))
    check(comp_solve_quadratic, ANY.sample(rng, (3, 3)), ANY.sample(rng, (3,)), wrt=(0, 1))
    check(comp_standardise, ANY.sample(rng, (4, 3)))
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    x = ANY.sample(rng, (3, 3))
    ag = types.FunctionType(comp_cholesky_logdet.__code__,
                            dict(comp_cholesky_logdet.__globals__, np=anp))
    srcgrad.clear_cache()
    np.testing.assert_allclose(srcgrad.grad(comp_cholesky_logdet)(x), autograd.grad(ag)(x),
                               rtol=1e-9)
SPECIAL.update({f: "test_complex.py" for f in (
    *[getattr(np.fft, n) for n in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "rfft2",
                                   "rfftn", "irfft", "irfft2", "irfftn", "fftshift", "ifftshift",
                                   "fftfreq", "rfftfreq")],
    srcgrad.runtime.fit_axes, srcgrad.runtime.fit_axes_dx)})
SPECIAL.update({f: "test_closure.py" for f in (srcgrad.runtime.add_item_dv,
                                                srcgrad.runtime.forward.copy_tangent,
                                                srcgrad.runtime.forward.astype_tangent)})


def test_binding_a_call_agrees_with_inspect():
    """``Rule.bind`` binds a call without ``inspect`` where the signature is
    plain: the same parameters, values and defaults in the same order, and a
    TypeError where inspect raises one, for every rule and random calls."""
    import random
    from srcgrad.rules.registry import _Default

    def _value(v):
        return ("default", v.value) if isinstance(v, _Default) else v
    rng = random.Random(0)
    rules = {id(r): r for r in all_rules()}.values()
    for rule in rules:
        names = list(rule.signature.parameters) + ["not_a_parameter"]
        for _ in range(20):
            args = tuple(object() for _ in range(rng.randint(0, len(names) + 1)))
            kwargs = {n: object() for n in rng.sample(names, rng.randint(0, min(3, len(names))))}
            want, got = TypeError, TypeError
            try:
                want = [(k, _value(v)) for k, v in rule.bound_by_inspect(args, kwargs).items()]
            except TypeError:
                pass
            try:
                got = [(k, _value(v)) for k, v in rule.bind(args, kwargs).items()]
            except TypeError:
                pass
            assert got == want, (rule, len(args), sorted(kwargs))
