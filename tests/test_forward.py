"""Forward mode (``jvp``): every construct and every rule, checked against
directional finite differences and against reverse mode (the dot-product
test ``<grad, v> == J v`` and, for vector-valued functions,
``<u, J v> == <J^T u, v>``)."""

import inspect
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import srcgrad
from srcgrad.api.forward import jvp
from srcgrad.rules import all_rules, lookup
from srcgrad.rules.registry import _RULES, _key, defjvp, tangent_template

from tests import forward_programs as fp
from tests.test_random_programs import finite_points
from tests import programs as p
from tests import test_rules as tr
from tests.test_constructs import CASES


def seed(*key):
    return zlib.crc32(repr(key).encode())


def positions(wrt):
    return tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)


def full_args(fun, args):
    """``args`` completed with the defaults of the remaining positional
    parameters."""
    P = inspect.Parameter
    params = [q for q in inspect.signature(fun).parameters.values()
              if q.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    return tuple(args) + tuple(q.default for q in params[len(args):])


def call_with(generated, fun, args, extras):
    """Call a generated jvp, vjp or hvp of ``fun`` with ``fun``'s positional
    ``args`` and the ``extras`` (tangents, a cotangent): the parameters
    without a default positionally, then the extras, then the parameters
    with a default by keyword (they are keyword-only there, docs/modes.md)."""
    P = inspect.Parameter
    params = [q for q in inspect.signature(fun).parameters.values()
              if q.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    required = [a for q, a in zip(params, args) if q.default is q.empty]
    keywords = {q.name: a for q, a in zip(params, args) if q.default is not q.empty}
    return generated(*required, *extras, **keywords)


def direction(rng, x):
    """A random tangent of the type and shape of ``x``."""
    if isinstance(x, np.ndarray):
        return rng.uniform(-1.0, 1.0, size=x.shape)
    return float(rng.uniform(-1.0, 1.0))


def fd_directional(fun, args, dirs, eps=1e-6):
    """Central finite difference of ``fun`` at ``args`` along ``dirs``
    (position -> direction)."""
    scale = max([1.0] + [float(np.max(np.abs(args[i]))) for i in dirs if np.size(args[i])])
    h = eps * scale

    def at(sign):
        moved = list(args)
        for i, v in dirs.items():
            x = args[i]
            moved[i] = x + sign * h * v if isinstance(x, np.ndarray) else float(x) + sign * h * v
        return np.asarray(fun(*moved), dtype=float)

    return (at(1.0) - at(-1.0)) / (2 * h)


def check_jvp(fun, args, wrt, rng, rtol=1e-5, atol=1e-6, clear=False):
    """jvp of ``fun`` along random directions equals finite differences;
    returns ``(directions, tangent_out)``."""
    if clear:
        srcgrad.clear_cache()
    pos = positions(wrt)
    dirs = {i: direction(rng, args[i]) for i in pos}
    value, tangent = call_with(jvp(fun, wrt=wrt), fun, args, [dirs[i] for i in pos])
    expected_value = fun(*args)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12, atol=1e-12)
    assert np.shape(tangent) == np.shape(expected_value), (np.shape(tangent),
                                                           np.shape(expected_value))
    assert np.all(np.isfinite(tangent))
    np.testing.assert_allclose(tangent, fd_directional(fun, args, dirs), rtol=rtol, atol=atol)
    return dirs, tangent


# --------------------------------------------------------------------------
# every construct, against finite differences and reverse mode


@pytest.mark.parametrize("fun,wrt,inputs", CASES, ids=[c[0].__name__ for c in CASES])
def test_construct(fun, wrt, inputs):
    for k, args in enumerate(inputs):
        args = full_args(fun, args)
        rng = np.random.default_rng(seed(fun.__name__, k))
        total = 0.0
        dirs = {}
        for i in positions(wrt):
            d, tangent = check_jvp(fun, args, i, rng)
            dirs.update(d)
            g = srcgrad.grad(fun, wrt=i)(*args)
            # the dot-product test: <grad f, v> == J v
            np.testing.assert_allclose(tangent, np.vdot(g, d[i]), rtol=1e-9, atol=1e-12)
            if np.ndim(args[i]) == 0 and not isinstance(args[i], np.ndarray) \
                    and np.ndim(fun(*args)) == 0:
                assert np.ndim(tangent) == 0 and not isinstance(tangent, np.ndarray)
            total = total + tangent
        if isinstance(wrt, tuple):
            value, tangent = jvp(fun, wrt=wrt)(*args, *[dirs[i] for i in wrt])
            np.testing.assert_allclose(tangent, total, rtol=1e-9, atol=1e-12)


def test_inactive_and_vector_results():
    assert jvp(p.constant_result)(2.0, 1.0) == (3.0, 0.0)
    value, t = jvp(p.unused_argument, wrt=1)(2.0, np.ones((2, 2)), np.ones((2, 2)))
    assert value == 4.0 and t == 0.0
    x, v = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    value, t = jvp(p.vector_result)(x, v)
    np.testing.assert_allclose(value, 2 * x)
    np.testing.assert_allclose(t, 2 * v)


def test_wrt_by_name_and_signature():
    df = jvp(p.golden, wrt=("y", "x"))
    assert list(inspect.signature(df).parameters) == ["x", "y", "d_y", "d_x"]
    value, t = df(0.3, 1.2, 1.0, 0.0)
    assert np.isclose(t, 0.3)
    value, t = jvp(wrt=1)(p.golden)(0.3, 1.2, 1.0)
    assert np.isclose(t, 0.3)
    assert jvp(p.golden) is jvp(p.golden)          # cached
    srcgrad.clear_cache()
    assert jvp(p.golden) is not None


def test_source_reads_like_the_math():
    text = srcgrad.source(jvp(p.golden, wrt=(0, 1)))
    assert "def jvp_golden(x, y, d_x, d_y):" in text
    assert "d_b = d_x * np.cos(x)" in text
    assert "return (out, d_out)" in text
    assert "tape" not in text
    text = srcgrad.source(jvp(p.euler, wrt=(0, 1)))
    assert "for t in range(T):" in text and "d_x = d_x + d_x_6" in text
    standalone = srcgrad.source(jvp(p.euler, wrt=(0, 1)), standalone=True)
    assert "def jvp_euler(" in standalone


def test_loop_carried_overwrite_reading_its_result():
    # y = np.exp(y) in a loop: the tangent reads the old and the new y
    rng = np.random.default_rng(3)
    check_jvp(p.carried_uses_result, (0.5, 4), 0, rng)
    check_jvp(p.alias_then_inplace, (np.array([0.3, -0.2, 0.5]), 3), 0, rng)


# --------------------------------------------------------------------------
# <u, J v> == <J^T u, v> for vector-valued functions (hypothesis)

VECTOR_FUNS = [
    (fp.layer, fp.layer_dot, [(3,)], 4),
    (fp.branchy, fp.branchy_dot, [(4,), (4,)], 4),
    (fp.matrix_fun, fp.matrix_fun_dot, [(3, 3), ()], (3, 3)),
]


@pytest.mark.parametrize("case", VECTOR_FUNS, ids=[c[0].__name__ for c in VECTOR_FUNS])
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_dot_product_property(case, data):
    f, f_dot, shapes, out_shape = case
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
    args = [float(rng.uniform(0.2, 1.5)) if s == () else rng.uniform(-1.5, 1.5, size=s)
            for s in shapes]
    u = rng.uniform(-1.0, 1.0, size=out_shape)
    wrt = tuple(range(len(args)))
    vs = [direction(rng, a) for a in args]
    _, Jv = jvp(f, wrt=wrt)(*args, *vs)
    JTu = srcgrad.grad(f_dot, wrt=wrt)(*args, u)
    lhs = np.vdot(u, Jv)
    rhs = sum(np.vdot(g, v) for g, v in zip(JTu, vs))
    assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-12), (lhs, rhs)


# --------------------------------------------------------------------------
# rules: every differentiable rule has a tangent; each is checked


def test_every_rule_has_a_tangent():
    missing = [(r.name, q) for r in all_rules() if r.differentiable for q in r.adjoints
               if tangent_template(r, q) is None]
    assert not missing


PRIM = None


def fw_unary(x):
    return PRIM(x)


def fw_binary(x, y):
    return PRIM(x, y)


def set_prim(prim):
    global PRIM
    PRIM = prim
    srcgrad.clear_cache()


@pytest.mark.parametrize("rule", tr.UNARY, ids=tr.ids(tr.UNARY))
def test_unary_rule(rule):
    set_prim(rule.fun)
    for shape in [(), (3,), (2, 3)]:
        rng = np.random.default_rng(seed(rule.name, shape))
        x = tr.domain(rule, 0).sample(rng, shape)
        check_jvp(fw_unary, (x,), 0, rng)


BINARY_SHAPES = [((), ()), ((2, 3), (2, 3)), ((), (3,)), ((3,), (2, 3)), ((2, 1), (1, 3))]


@pytest.mark.parametrize("rule", tr.BINARY, ids=tr.ids(tr.BINARY))
def test_binary_rule(rule):
    set_prim(rule.fun)
    active = positions(tr.wrt_for(rule, 2))
    for sx, sy in BINARY_SHAPES:
        rng = np.random.default_rng(seed(rule.name, sx, sy))
        x, y = tr.sample_pair(rule, rng, sx, sy)
        for wrt in [active] + [(i,) for i in active] if len(active) > 1 else [active[0]]:
            # one active argument broadcast against an inactive one: the
            # tangent still has the result's shape
            check_jvp(fw_binary, (x, y), wrt, rng)


@pytest.mark.parametrize("case", tr.SCALAR_CASES, ids=[tr.scalar_id(c) for c in tr.SCALAR_CASES])
def test_scalar_rule(case):
    rule, n = case
    rng = np.random.default_rng(seed(rule.name, n))
    tr.use(rule.fun, ())
    if n == 1:
        x = tr.domain(rule, 0).sample(rng, ())
        check_jvp(tr.scalar1, (x,), tr.wrt_for(rule, 1), rng)
    else:
        x, y = tr.sample_pair(rule, rng, (), ())
        check_jvp(tr.scalar2, (x, y), tr.wrt_for(rule, 2), rng)


@pytest.mark.parametrize("case", tr.REDUCTION_CASES,
                         ids=[f"{q.__name__}-{w.__name__}-{s}" for q, w, _, s in tr.REDUCTION_CASES])
def test_reduction_rule(case):
    prim, wrapper, kwargs, shape = case
    rng = np.random.default_rng(seed(prim.__name__, wrapper.__name__, str(shape)))
    x = tr.distinct(rng, shape)
    tr.use(prim, shape[1:] if kwargs is None else np.shape(prim(x, **kwargs)))
    check_jvp(wrapper, (x,), 0, rng)


@pytest.mark.parametrize("prim", [np.max, np.min])
def test_extreme_ties_match_reverse_mode(prim):
    x = np.array([[1.0, -2.0, 1.0], [1.0, 0.5, -2.0]])
    v = np.random.default_rng(5).uniform(-1, 1, size=x.shape)
    tr.use(prim, ())
    _, t = jvp(tr.red_axis_none)(x, v)
    assert np.isclose(t, np.vdot(srcgrad.grad(tr.red_axis_none)(x), v))


@pytest.mark.parametrize("shapes", tr.MATMUL_SHAPES, ids=str)
def test_matmul_rule(shapes):
    x, y = tr.product_args(shapes, 3)
    rng = np.random.default_rng(seed(shapes))
    for prim in (np.matmul, None):
        tr.use(prim, np.shape(np.matmul(x, y)))
        wrapper = tr.binary if prim is not None else tr.matmul_operator
        for wrt in [(0, 1), 0, 1]:
            check_jvp(wrapper, (x, y), wrt, rng)


@pytest.mark.parametrize("shapes", tr.DOT_SHAPES, ids=str)
def test_dot_rule(shapes):
    x, y = tr.product_args(shapes, 5)
    rng = np.random.default_rng(seed(shapes))
    tr.use(np.dot, np.shape(np.dot(x, y)))
    for wrt in [(0, 1), 0, 1]:
        check_jvp(tr.binary, (x, y), wrt, rng)


@pytest.mark.parametrize("shapes", tr.WHERE_SHAPES, ids=str)
def test_where_rule(shapes):
    sc, sx, sy = shapes
    rng = np.random.default_rng(11)
    tr.COND = rng.uniform(size=sc) > 0.5 if sc else True
    x, y = tr.ANY.sample(rng, sx), tr.ANY.sample(rng, sy)
    tr.use(None, np.broadcast_shapes(sc, sx, sy))
    check_jvp(tr.where_xy, (x, y), (0, 1), rng)
    check_jvp(tr.where_x_const, (x,), 0, rng)
    check_jvp(tr.where_const_y, (y,), 0, rng)
    check_jvp(tr.leaky_relu, (tr.NONZERO.sample(rng, (2, 3)),), 0, rng, clear=True)


@pytest.mark.parametrize("wrapper", [tr.clip_both, tr.clip_keywords, tr.clip_lower_only,
                                     tr.clip_upper_only], ids=lambda f: f.__name__)
def test_clip_rule(wrapper):
    for shape in [(), (2, 3)]:
        rng = np.random.default_rng(seed(wrapper.__name__, shape))
        tr.use(None, shape)
        check_jvp(wrapper, (tr.clip_sample(rng, shape),), 0, rng)


@pytest.mark.parametrize("case", tr.CASES, ids=[c.id() for c in tr.CASES])
def test_library_rule(case):
    """The table of test_rules (every other NumPy rule), in forward mode."""
    tr.P1, tr.P2, tr.P3, tr.AXIS = (case.params.get(k) for k in ("P1", "P2", "P3", "AXIS"))
    rng = np.random.default_rng(seed(case.id()))
    args = [tr.sample(rng, s) for s in case.specs]
    tr.PRIM = case.prim
    out = tr.RAW[case.wrapper](*args)
    tr.use(case.prim, np.shape(out), seed=seed(case.id()))
    check_jvp(case.wrapper, tuple(args), case.wrt, rng, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fun", tr.METHODS, ids=lambda f: f.__name__)
def test_array_methods(fun):
    rng = np.random.default_rng(seed(fun.__name__))
    x = tr.Interval(0.3, 1.4).sample(rng, (6,))
    check_jvp(fun, (x,), 0, rng)


@pytest.mark.parametrize("case", tr.COMPOSITES, ids=[c[0].__name__ for c in tr.COMPOSITES])
def test_composites_against_reverse(case):
    fun, args, wrt = case
    srcgrad.clear_cache()
    rng = np.random.default_rng(seed(fun.__name__))
    dirs, tangent = check_jvp(fun, args, wrt, rng)
    grads = srcgrad.grad(fun, wrt=wrt)(*args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    expected = sum(np.vdot(g, dirs[i]) for i, g in zip(positions(wrt), grads))
    np.testing.assert_allclose(tangent, expected, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------
# custom rules: defjvp, derived tangents, and the error without one


def cube(x):
    return x ** 3


def uses_cube(x):
    return cube(x) * 2.0


def test_rule_without_tangent_is_an_error_then_defjvp():
    srcgrad.defvjp(cube, "x", "g * 3.0 * x ** 2")          # kind None: nothing to derive
    try:
        srcgrad.clear_cache()
        with pytest.raises(srcgrad.UnsupportedError, match=r"(?s)cube.*defjvp"):
            jvp(uses_cube)(1.5, 1.0)
        defjvp(cube, "t * 3.0 * x ** 2")
        srcgrad.clear_cache()
        value, t = jvp(uses_cube)(1.5, 1.0)
        assert np.isclose(value, 6.75) and np.isclose(t, 13.5)
        # re-declaring the adjoint keeps the tangent
        srcgrad.defvjp(cube, "x", "g * 3.0 * x ** 2")
        assert lookup(cube).tangents
    finally:
        _RULES.pop(_key(cube), None)
        srcgrad.clear_cache()


def test_derived_tangent_follows_the_adjoint():
    srcgrad.defvjp(cube, "x", "g * 3.0 * x ** 2", kind="elementwise")
    try:
        srcgrad.clear_cache()
        assert tangent_template(lookup(cube), "x").text == "t * 3.0 * x ** 2"
        value, t = jvp(uses_cube)(np.array([1.0, 2.0]), np.array([1.0, -1.0]))
        np.testing.assert_allclose(t, [6.0, -24.0])
    finally:
        _RULES.pop(_key(cube), None)
        srcgrad.clear_cache()


# --------------------------------------------------------------------------
# random structured programs (loops, branches, break, continue, return):
# forward mode agrees with reverse mode


@pytest.fixture(scope="module")
def random_programs(tmp_path_factory):
    from tests.test_random_programs import make_module
    return make_module(tmp_path_factory, RANDOM_COUNT)


RANDOM_COUNT = 60


@pytest.mark.parametrize("seed_", range(RANDOM_COUNT))
def test_random_program_forward_equals_reverse(random_programs, seed_):
    f = getattr(random_programs, f"p{seed_}")
    df, jf = srcgrad.grad(f, wrt=(0, 1)), jvp(f, wrt=(0, 1))
    rng = np.random.default_rng(seed_)
    for args, value in finite_points(f, rng, 2):
        v = tuple(float(t) for t in rng.uniform(-1.0, 1.0, size=2))
        got_value, tangent = jf(*args, *v)
        assert got_value == value
        g = df(*args)
        expected = g[0] * v[0] + g[1] * v[1]
        assert np.isclose(tangent, expected, rtol=1e-9, atol=1e-10), srcgrad.source(jf)
        # the generic (array-capable) version agrees with the float fast path
        _, generic = jf(*map(np.float64, args), *map(np.float64, v))
        assert np.isclose(generic, tangent, rtol=1e-12, atol=1e-14)
