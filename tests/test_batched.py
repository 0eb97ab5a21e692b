"""Batched forward mode (``jvp_batched``, ``hvp_batched``; used by
``srcgrad.jacobian`` and ``srcgrad.hessian``): every tangent carries a last
axis of K directions.  The oracle is the ordinary (unbatched) generated jvp,
called once per direction: for every rule, construct, container, call and
random program, the batched pass must give exactly the K tangents stacked on
a last axis (and the tangent of the result must have the result's shape plus
``(K,)``).  K = 1 and K = 3 (3 is also a length of the test arrays, so a
direction axis aligned with the wrong primal axis would broadcast silently
and be caught here by value)."""

import copy
import importlib
import sys
import warnings

import numpy as np
import pytest

import srcgrad
from srcgrad.api import higher
from srcgrad.api.forward import jvp, jvp_batched
from srcgrad.runtime.batched import _stack

from tests import programs as p
from tests import test_containers as tc
from tests import test_forward as tf
from tests import test_higher as th
from tests import test_rules as tr
from tests.test_calls import SCALAR_CASES as CALLS
from tests.test_constructs import CASES as CONSTRUCTS
from tests.test_linalg_tuples import CASES as LINALG


def _tree_close(got, want, path="", rtol=1e-10, atol=1e-12):
    if isinstance(want, dict):
        keys = set(want) | set(got)
        for k in keys:
            _tree_close(got.get(k, 0.0) if isinstance(got, dict) else got[k],
                        want.get(k, 0.0), f"{path}[{k!r}]", rtol, atol)
    elif isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), (path, got, want)
        for i, (a, b) in enumerate(zip(got, want)):
            _tree_close(a, b, f"{path}[{i}]", rtol, atol)
    elif hasattr(want, "__dict__") and not isinstance(want, np.ndarray):
        for k in vars(want):
            _tree_close(getattr(got, k), getattr(want, k), f"{path}.{k}", rtol, atol)
    elif want is None or isinstance(want, str):
        return
    else:
        np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                                   rtol=rtol, atol=atol, err_msg=path)


def random_tangent(rng, x):
    """A random tangent of ``x`` (any structure; integers get float tangents)."""
    if isinstance(x, (bool, np.bool_, str)) or x is None:
        return x
    if isinstance(x, np.ndarray):
        return rng.uniform(-1.0, 1.0, size=x.shape) if x.dtype.kind in "fiu" else x
    if isinstance(x, (int, float, np.floating)):
        return float(rng.uniform(-1.0, 1.0))
    tc_rng = tc.RNG
    tc.RNG = rng
    try:
        return tc.tangent_like(x)
    finally:
        tc.RNG = tc_rng


def check_batched(fun, args, wrt, K=3, seed=0, clear=False):
    """The batched jvp of ``fun`` against K unbatched jvps."""
    if clear:
        srcgrad.clear_cache()
    args = tuple(tf.full_args(fun, args))
    pos = tf.positions(wrt)
    rng = np.random.default_rng(seed)
    dirs = [[random_tangent(rng, args[i]) for i in pos] for _ in range(K)]
    jf, jb = jvp(fun, wrt=wrt), jvp_batched(fun, wrt=wrt)
    outs = [tf.call_with(jf, fun, copy.deepcopy(args), d) for d in dirs]
    batched = [_stack([dirs[k][j] for k in range(K)]) for j in range(len(pos))]
    value, tb = tf.call_with(jb, fun, copy.deepcopy(args), batched)
    _tree_close(value, outs[0][0], "value", rtol=1e-12, atol=1e-13)
    expected = _stack([o[1] for o in outs])
    if isinstance(value, (float, int, np.ndarray, np.generic)):
        assert np.shape(tb) == np.shape(value) + (K,), (np.shape(tb), np.shape(value), K)
    _tree_close(tb, expected, "tangent")
    return jb


KS = [1, 3]


# --------------------------------------------------------------------------
# every rule (the inputs of tests/test_forward.py and tests/test_rules.py)

@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("rule", tr.UNARY, ids=tr.ids(tr.UNARY))
def test_unary_rule(rule, K):
    tf.set_prim(rule.fun)
    for shape in [(), (3,), (2, 3)]:
        rng = np.random.default_rng(tf.seed(rule.name, shape))
        x = tr.domain(rule, 0).sample(rng, shape)
        check_batched(tf.fw_unary, (x,), 0, K)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("rule", tr.BINARY, ids=tr.ids(tr.BINARY))
def test_binary_rule(rule, K):
    tf.set_prim(rule.fun)
    active = tf.positions(tr.wrt_for(rule, 2))
    for sx, sy in tf.BINARY_SHAPES:
        rng = np.random.default_rng(tf.seed(rule.name, sx, sy))
        x, y = tr.sample_pair(rule, rng, sx, sy)
        for wrt in [active] + [(i,) for i in active] if len(active) > 1 else [active[0]]:
            check_batched(tf.fw_binary, (x, y), wrt, K)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("case", tr.SCALAR_CASES, ids=[tr.scalar_id(c) for c in tr.SCALAR_CASES])
def test_scalar_rule(case, K):
    rule, n = case
    rng = np.random.default_rng(tf.seed(rule.name, n))
    tr.use(rule.fun, ())
    if n == 1:
        check_batched(tr.scalar1, (tr.domain(rule, 0).sample(rng, ()),), tr.wrt_for(rule, 1), K)
    else:
        x, y = tr.sample_pair(rule, rng, (), ())
        check_batched(tr.scalar2, (x, y), tr.wrt_for(rule, 2), K)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("case", tr.REDUCTION_CASES,
                         ids=[f"{q.__name__}-{w.__name__}-{s}" for q, w, _, s in tr.REDUCTION_CASES])
def test_reduction_rule(case, K):
    prim, wrapper, kwargs, shape = case
    rng = np.random.default_rng(tf.seed(prim.__name__, wrapper.__name__, str(shape)))
    x = tr.distinct(rng, shape)
    tr.use(prim, shape[1:] if kwargs is None else np.shape(prim(x, **kwargs)))
    check_batched(wrapper, (x,), 0, K)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("shapes", tr.MATMUL_SHAPES, ids=str)
def test_matmul_rule(shapes, K):
    x, y = tr.product_args(shapes, 3)
    for prim in (np.matmul, None):
        tr.use(prim, np.shape(np.matmul(x, y)))
        wrapper = tr.binary if prim is not None else tr.matmul_operator
        for wrt in [(0, 1), 0, 1]:
            check_batched(wrapper, (x, y), wrt, K)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("shapes", tr.DOT_SHAPES, ids=str)
def test_dot_rule(shapes, K):
    x, y = tr.product_args(shapes, 5)
    tr.use(np.dot, np.shape(np.dot(x, y)))
    for wrt in [(0, 1), 0, 1]:
        check_batched(tr.binary, (x, y), wrt, K)


def _unweighted(x, y):
    return tr.PRIM(x, y)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("prim", [np.matmul, np.dot], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                                    ((4, 2, 3), (3, 2)), ((2, 3), (4, 3, 2)), ((3,), (4, 3, 2)),
                                    ((4, 2, 3), (3,)), ((2, 2, 3), (2, 3, 2)), ((), (3,)),
                                    ((2, 3), ())], ids=str)
def test_products_of_every_shape(shapes, prim, K):
    """Products whose result is the tangent itself (no weighting sum)."""
    if prim is np.matmul and () in shapes:
        pytest.skip("matmul takes no scalars")
    rng = np.random.default_rng(tf.seed(shapes, prim.__name__))
    x, y = (rng.uniform(-1, 1, s) if s else float(rng.uniform(-1, 1)) for s in shapes)
    tr.use(prim, ())
    for wrt in [(0, 1), 0, 1]:
        check_batched(_unweighted, (x, y), wrt, K)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("shapes", tr.WHERE_SHAPES, ids=str)
def test_where_rule(shapes, K):
    sc, sx, sy = shapes
    rng = np.random.default_rng(11)
    tr.COND = rng.uniform(size=sc) > 0.5 if sc else True
    x, y = tr.ANY.sample(rng, sx), tr.ANY.sample(rng, sy)
    tr.use(None, np.broadcast_shapes(sc, sx, sy))
    check_batched(tr.where_xy, (x, y), (0, 1), K)
    check_batched(tr.where_x_const, (x,), 0, K)
    check_batched(tr.where_const_y, (y,), 0, K)
    check_batched(tr.leaky_relu, (tr.NONZERO.sample(rng, (2, 3)),), 0, K, clear=True)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("wrapper", [tr.clip_both, tr.clip_keywords, tr.clip_lower_only,
                                     tr.clip_upper_only], ids=lambda f: f.__name__)
def test_clip_rule(wrapper, K):
    for shape in [(), (2, 3)]:
        rng = np.random.default_rng(tf.seed(wrapper.__name__, shape))
        tr.use(None, shape)
        check_batched(wrapper, (tr.clip_sample(rng, shape),), 0, K)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("case", tr.CASES, ids=[c.id() for c in tr.CASES])
def test_library_rule(case, K):
    """The table of test_rules (every other NumPy rule)."""
    tr.P1, tr.P2, tr.P3, tr.AXIS = (case.params.get(k) for k in ("P1", "P2", "P3", "AXIS"))
    rng = np.random.default_rng(tf.seed(case.id()))
    args = [tr.sample(rng, s) for s in case.specs]
    tr.PRIM = case.prim
    out = tr.RAW[case.wrapper](*args)
    tr.use(case.prim, np.shape(out), seed=tf.seed(case.id()))
    check_batched(case.wrapper, tuple(args), case.wrt, K)


def raw_x(x):
    return tr.PRIM(x)


def raw_x_p(x):
    return tr.PRIM(x, tr.P1)


def raw_x_pp(x):
    return tr.PRIM(x, tr.P1, tr.P2)


def raw_x_ppp(x):
    return tr.PRIM(x, tr.P1, tr.P2, tr.P3)


def raw_x_axis(x):
    return tr.PRIM(x, axis=tr.AXIS)


def raw_xy(x, y):
    return tr.PRIM(x, y)


def raw_xy_p(x, y):
    return tr.PRIM(x, y, tr.P1)


def raw_sub_x(x):
    return tr.PRIM(tr.P1, x)


def raw_sub_xy(x, y):
    return tr.PRIM(tr.P1, x, y)


def raw_sub_xyz(x, y, z):
    return tr.PRIM(tr.P1, x, y, z)


def raw_reshape_kw(x):
    return np.reshape(x, shape=tr.P1)


def raw_pad_kw(x):
    return np.pad(x, tr.P1, constant_values=1.5)


def raw_var_ddof(x):
    return tr.PRIM(x, tr.AXIS, ddof=1)


def raw_var_correction_keepdims(x):
    return tr.PRIM(x, axis=tr.AXIS, correction=1, keepdims=True)


def raw_average_w(x, w):
    return np.average(x, tr.AXIS, w)


def raw_average_w_keepdims(x, w):
    return np.average(x, axis=tr.AXIS, weights=w, keepdims=True)


def raw_norm(x):
    return tr.PRIM(x, tr.P1, tr.AXIS, tr.P2)


def raw_cholesky_upper(x):
    return np.linalg.cholesky(x, upper=True)


def raw_astype(x):
    return np.ndarray.astype(x, tr.P1)


RAW = {getattr(tr, "call_" + name[4:]): f for name, f in list(globals().items())
       if name.startswith("raw_")}


def test_raw_table_is_complete():
    assert set(RAW) == set(tr.RAW)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("case", tr.CASES, ids=[c.id() for c in tr.CASES])
def test_library_rule_unweighted(case, K):
    """The same without the weighted sum: the tangent of the rule's own
    result, of its own shape (a direction axis in the wrong place cannot
    hide behind the sum)."""
    tr.P1, tr.P2, tr.P3, tr.AXIS = (case.params.get(k) for k in ("P1", "P2", "P3", "AXIS"))
    rng = np.random.default_rng(tf.seed(case.id(), "raw"))
    args = [tr.sample(rng, s) for s in case.specs]
    tr.PRIM = case.prim
    raw = RAW[case.wrapper]
    out = raw(*args)
    tr.use(case.prim, np.shape(out), seed=tf.seed(case.id()))
    if not isinstance(out, (np.ndarray, float, np.floating)):
        pytest.skip("several results: covered by the weighted version")
    check_batched(raw, tuple(args), case.wrt, K)


@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("fun", tr.METHODS, ids=lambda f: f.__name__)
def test_array_methods(fun, K):
    rng = np.random.default_rng(tf.seed(fun.__name__))
    check_batched(fun, (tr.Interval(0.3, 1.4).sample(rng, (6,)),), 0, K)


@pytest.mark.parametrize("case", tr.COMPOSITES, ids=[c[0].__name__ for c in tr.COMPOSITES])
def test_composites(case):
    fun, args, wrt = case
    check_batched(fun, args, wrt, 3, clear=True)


@pytest.mark.parametrize("case", LINALG, ids=[c[0].__name__ for c in LINALG])
def test_linalg_with_several_results(case):
    fun, args, wrt = case
    check_batched(fun, args, wrt, 3, clear=True)


# --------------------------------------------------------------------------
# constructs, loops, containers, calls, random programs

@pytest.mark.parametrize("fun,wrt,inputs", CONSTRUCTS, ids=[c[0].__name__ for c in CONSTRUCTS])
def test_construct(fun, wrt, inputs):
    for k, args in enumerate(inputs):
        check_batched(fun, args, wrt, 3, seed=k)
        # the same arguments as arrays (the generic path of each construct)
        arrays = tuple(np.float64(a) if isinstance(a, float) else a for a in args)
        check_batched(fun, arrays, wrt, 2, seed=k)


@pytest.mark.parametrize("fun,args,wrt", tc.CASES, ids=[c[0].__name__ for c in tc.CASES])
def test_container(fun, args, wrt):
    check_batched(fun, args, wrt, 3, clear=True)


@pytest.mark.parametrize("fun,args", CALLS, ids=[c[0].__name__ for c in CALLS])
def test_calls(fun, args):
    check_batched(fun, args, 0, 3)


def test_vector_results_and_inactive_results():
    check_batched(p.vector_result, (np.array([1.0, 2.0]),), 0, 3)
    check_batched(p.constant_result, (2.0,), 0, 3)
    check_batched(p.unused_argument, (2.0, np.ones((2, 2))), 1, 3)


@pytest.mark.parametrize("case", tf.VECTOR_FUNS, ids=[c[0].__name__ for c in tf.VECTOR_FUNS])
def test_vector_functions(case):
    f, _, shapes, _ = case
    rng = np.random.default_rng(4)
    args = [float(rng.uniform(0.2, 1.5)) if s == () else rng.uniform(-1.5, 1.5, size=s)
            for s in shapes]
    check_batched(f, args, tuple(range(len(args))), 3)


@pytest.fixture(scope="module")
def random_programs(tmp_path_factory):
    from tests.test_random_programs import make_module
    return make_module(tmp_path_factory, RANDOM_COUNT)


RANDOM_COUNT = 40


@pytest.mark.parametrize("seed_", range(RANDOM_COUNT))
def test_random_program(random_programs, seed_):
    f = getattr(random_programs, f"p{seed_}")
    rng = np.random.default_rng(seed_)
    from tests.test_random_programs import finite_points
    for args, _ in finite_points(f, rng, 2):
        check_batched(f, args, (0, 1), 3, seed=seed_)


@pytest.fixture(scope="module")
def random_array_programs(tmp_path_factory):
    from tests.test_random_array_programs import ArrayGen
    src = ["import numpy as np", ""] + [ArrayGen(s).program(f"q{s}") for s in range(ARRAY_COUNT)]
    path = tmp_path_factory.mktemp("random_arrays_b") / "random_array_programs_b.py"
    path.write_text("\n".join(src))
    spec = importlib.util.spec_from_file_location("random_array_programs_b", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["random_array_programs_b"] = module
    spec.loader.exec_module(module)
    return module


ARRAY_COUNT = 40


@pytest.mark.parametrize("seed_", range(ARRAY_COUNT))
def test_random_array_program(random_array_programs, seed_):
    from tests.test_random_array_programs import N
    f = getattr(random_array_programs, f"q{seed_}")
    rng = np.random.default_rng(seed_)
    x, y = rng.uniform(-1, 1, size=N), float(rng.uniform(-1, 1))
    before = x.copy()
    check_batched(f, (x, y), (0, 1), 3, seed=seed_)
    assert np.array_equal(x, before)


# --------------------------------------------------------------------------
# the runtime helpers' rules (forward over reverse) and hvp

@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("helper, case, samplers", th.RUNTIME_CASES,
                         ids=[c[1].__name__ for c in th.RUNTIME_CASES])
def test_runtime_rule(helper, case, samplers, K):
    r = th.rng_for(case.__name__)
    args = tuple(s(r) for s in samplers)
    check_batched(case, args, tuple(range(len(args))), K)


@pytest.mark.parametrize("name, fun, sample, wrt", th.HESSIAN_CASES,
                         ids=[c[0] for c in th.HESSIAN_CASES])
def test_hvp_batched_equals_hvp(name, fun, sample, wrt):
    r = th.rng_for(name, "batched")
    args = sample(r)
    pos = tf.positions(wrt)
    K = 3
    vs = [[random_tangent(r, args[i]) for i in pos] for _ in range(K)]
    h = srcgrad.hvp(fun, wrt=wrt)
    hb = higher.hvp_batched(fun, wrt=wrt)
    want = _stack([h(*args, *v) for v in vs])
    got = hb(*args, *[_stack([vs[k][j] for k in range(K)]) for j in range(len(pos))])
    _tree_close(got, want)


# --------------------------------------------------------------------------
# jacobian and hessian: batched passes against the loop, chunks, fallbacks

@pytest.mark.parametrize("batch", [256, 2, 1])
@pytest.mark.parametrize("name, fun, sample, wrt", th.JACOBIAN_CASES,
                         ids=[c[0] for c in th.JACOBIAN_CASES])
def test_jacobian_batched_equals_loop(name, fun, sample, wrt, batch):
    args = sample(th.rng_for(name))
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # a fallback to the loop fails the test
        jac = srcgrad.jacobian(fun, wrt=wrt, mode="forward", batch=batch)
        assert jac.srcgrad_batched is not None
        got = jac(*args)
    want = srcgrad.jacobian(fun, wrt=wrt, mode="forward", batch=None)(*args)
    assert type(got) is type(want)
    _tree_close(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("batch", [256, 4])
@pytest.mark.parametrize("name, fun, sample, wrt", th.HESSIAN_CASES,
                         ids=[c[0] for c in th.HESSIAN_CASES])
def test_hessian_batched_equals_loop(name, fun, sample, wrt, batch):
    args = sample(th.rng_for(name))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hess = srcgrad.hessian(fun, wrt=wrt, batch=batch)
        assert hess.srcgrad_batched is not None
        got = hess(*args)
    want = srcgrad.hessian(fun, wrt=wrt, batch=None)(*args)
    assert type(got) is type(want)
    _tree_close(got, want, rtol=1e-10, atol=1e-12)


def test_jacobian_source_shows_the_batched_pass():
    text = srcgrad.source(srcgrad.jacobian(th.vec_to_vec, mode="forward"))
    assert "batched jvp" in text.splitlines()[0]
    assert "def jvp_batched_vec_to_vec(x, d_x):" in text
    assert "n_dir = n_directions(d_x)" in text and "bx(" in text
    text = srcgrad.source(srcgrad.jacobian(th.vec_to_vec, mode="forward", batch=None))
    assert "def jvp_vec_to_vec(x, d_x):" in text and "batch=None" in text.splitlines()[0]
    text = srcgrad.source(srcgrad.hessian(th.rosenbrock))
    assert "batched hvp" in text.splitlines()[0] and "def hvp_batched_rosenbrock(x, t_x):" in text


def test_fallback_when_the_batched_pass_fails(monkeypatch):
    """A failure of the batched pass warns and computes the loop (exact)."""
    jac = srcgrad.jacobian(th.vec_to_vec, mode="forward", batch=3)
    x = np.array([0.1, -0.4, 0.9, 0.3])
    want = srcgrad.jacobian(th.vec_to_vec, mode="forward", batch=None)(x)

    def broken(*args, **kwargs):
        raise ValueError("broken on purpose")
    monkeypatch.setattr(higher, "_forward_batched", broken)
    with pytest.warns(RuntimeWarning, match="broken on purpose"):
        got = jac(x)
    np.testing.assert_array_equal(got, want)


def test_generic_fallback_is_used_and_shown():
    """A rule without a batched template runs its ordinary tangent once per
    direction (``per_direction``), and says so in the source."""
    def f(x):
        return np.cumprod(x) * 2.0
    jb = check_batched(f, (np.array([0.5, 1.5, 2.0]),), 0, 3)
    assert "per_direction(lambda t_k:" in srcgrad.source(jb)


def test_ellipsis_and_integer_array_indices():
    def f(x, idx):
        y = x[..., 1] * x[0, ...]
        z = x[idx] + x[:, idx[:2]].sum()
        x2 = x * 1.0
        x2[..., 0] = y
        x2[idx[:1]] = x2[idx[:1]] * 3.0
        return np.sum(z, axis=-1) + x2.sum(axis=0)[::-1]
    x = np.random.default_rng(0).uniform(-1, 1, (3, 3))
    check_batched(f, (x, np.array([2, 0, 2])), 0, 3)
    check_batched(f, (x, np.array([2, 0, 2])), 0, 1)
