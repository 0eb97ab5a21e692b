"""Jacobians (forward, reverse, auto), Hessian-vector products and Hessians
(forward mode over the generated gradient), checked against finite
differences; and the rules of srcgrad's runtime helpers, which make the
generated gradient differentiable."""

import collections
import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import srcgrad
from srcgrad.rules.runtime_rules import RUNTIME_RULES
from srcgrad.runtime.forward import broadcast_like
from srcgrad.runtime import (add_at, astype_dx, cumsum_dx, diag_dx, diagonal_dx, dot_dx, dot_dy,
                             expand, fit, inner_dx, inner_dy, inv_da, kron_dx, kron_dy, matmul_dx,
                             matmul_dy, pad_dx, repeat_dx, reshape_dx, take_dx, tensordot_dx,
                             tensordot_dy, tile_dx, trace_dx, transpose_dx, unbroadcast, unreduce,
                             unreduce_extreme, unreduce_mean, written_adjoint)
from srcgrad.runtime import (array_dx, concatenate_dx, div_or_zero, einsum_dx, hstack_dx,
                             linspace_dx, norm_dx, pad_values_dx, stack_dx, var_dx, vstack_dx)
from srcgrad.runtime import Adjoints, restructure_t, restructure_t_dh
from srcgrad.runtime.forward import rebroadcast

from srcgrad.api.check import numerical_grad

from tests.fd import fd_jacobian

MODES = ("forward", "reverse", "auto")


def rng_for(*key):
    import zlib
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


# --------------------------------------------------------------------------
# functions

def vec_to_vec(x):
    return np.tanh(x) * np.sum(x ** 2) + x[::-1] * x[0]


def matrix_in(a, b):
    return np.sin(a) @ b + np.sum(a ** 2, axis=1, keepdims=True)


def scalar_to_vec(s):
    return np.array([np.sin(s), s ** 2, np.exp(s) * s])


def two_args(x, y):
    return x * np.sum(y ** 2) + np.cos(x) * y[0]


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def mlp_loss(w1, b1, w2, x, y):
    h = np.tanh(x @ w1 + b1)
    z = h @ w2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


def rnn(w, x0, n):
    x = x0
    for t in range(n):
        x = x + 0.1 * np.tanh(w @ x)
    return np.sum(x * x)


def loop_branch(x, n):
    s = 0.0
    for i in range(n):
        if s > 1.0:
            s = s + np.sum(np.tanh(x * i)) * s
        else:
            s = s + np.sum(x ** 2) + 0.1
    return s


def while_loop(x):
    s = x
    while np.sum(s * s) < 50.0:
        s = s * 1.5 + np.sin(s)
    return np.sum(s ** 2)


def writes(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] = x[i] * x[(i + 1) % 3]
    a = np.sum(y ** 2)
    y[0] = a
    return np.sum(y * x)


def swaps(x, n):
    a = x
    b = x * 2.0
    for i in range(n):
        a, b = np.sin(b) * a, a * b
    return np.sum(a + b)


def scalar_fun(x):
    return np.sin(x) * x ** 3


def two_scalars(x, y):
    return x * x * y + np.exp(x * y)


# --------------------------------------------------------------------------
# jacobian

JACOBIAN_CASES = [
    ("vector to vector", vec_to_vec, lambda r: (r.uniform(-1, 1, 4),), 0),
    ("matrix input", matrix_in, lambda r: (r.uniform(-1, 1, (2, 3)), r.uniform(-1, 1, (3, 2))), 0),
    ("matrix input, second", matrix_in, lambda r: (r.uniform(-1, 1, (2, 3)), r.uniform(-1, 1, (3, 2))), 1),
    ("scalar to vector", scalar_to_vec, lambda r: (0.7,), 0),
    ("tuple wrt", two_args, lambda r: (r.uniform(-1, 1, 3), r.uniform(-1, 1, 2)), (0, 1)),
    ("vector to scalar", rosenbrock, lambda r: (r.uniform(-1, 1, 5),), 0),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, fun, sample, wrt", JACOBIAN_CASES,
                         ids=[c[0] for c in JACOBIAN_CASES])
def test_jacobian(name, fun, sample, wrt, mode):
    args = sample(rng_for(name))
    J = srcgrad.jacobian(fun, wrt=wrt, mode=mode)(*args)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    blocks = J if isinstance(wrt, tuple) else (J,)
    assert len(blocks) == len(positions)
    for i, block in zip(positions, blocks):
        expected = fd_jacobian(fun, args, i)
        assert np.shape(block) == np.shape(fun(*args)) + np.shape(args[i])
        np.testing.assert_allclose(block, expected, rtol=1e-6, atol=1e-7)


def test_jacobian_scalar_of_scalar_is_a_float():
    assert isinstance(srcgrad.jacobian(scalar_fun)(0.5), float)
    for mode in MODES:
        np.testing.assert_allclose(srcgrad.jacobian(scalar_fun, mode=mode)(0.5),
                                   fd_jacobian(scalar_fun, (0.5,), 0), rtol=1e-7)


def test_jacobian_auto_mode_picks_by_size(monkeypatch):
    calls = []
    jac = srcgrad.jacobian(scalar_to_vec)
    jvp_fn, vjp_fn = srcgrad.jvp(scalar_to_vec), srcgrad.vjp(scalar_to_vec)
    import srcgrad.api.higher as higher
    real_fwd, real_rev = higher._forward_batched, higher._reverse_batched
    monkeypatch.setattr(higher, "_forward_batched", lambda *a: calls.append("f") or real_fwd(*a))
    monkeypatch.setattr(higher, "_reverse_batched", lambda *a: calls.append("r") or real_rev(*a))
    jac(0.3)                                          # 1 input, 3 outputs: forward
    srcgrad.jacobian(rosenbrock)(np.ones(4))          # 4 inputs, 1 output: reverse
    assert calls == ["f", "r"]
    assert jvp_fn is srcgrad.jvp(scalar_to_vec) and vjp_fn is srcgrad.vjp(scalar_to_vec)


def test_jacobian_errors_and_cache():
    with pytest.raises(srcgrad.SrcgradError, match="mode"):
        srcgrad.jacobian(vec_to_vec, mode="sideways")
    assert srcgrad.jacobian(vec_to_vec) is srcgrad.jacobian(vec_to_vec)
    assert srcgrad.jacobian(vec_to_vec, mode="forward") is not srcgrad.jacobian(vec_to_vec)
    text = srcgrad.source(srcgrad.jacobian(vec_to_vec, mode="forward"))
    assert "def jvp_batched_vec_to_vec(x, d_x):" in text and "jacobian" in text.splitlines()[0]
    text = srcgrad.source(srcgrad.jacobian(vec_to_vec, mode="forward", batch=None))
    assert "def jvp_vec_to_vec(x, d_x):" in text
    with pytest.raises(srcgrad.SrcgradError, match="batch"):
        srcgrad.jacobian(vec_to_vec, batch=-1)
    assert "def vjp_batched_vec_to_vec(" in srcgrad.source(srcgrad.jacobian(vec_to_vec,
                                                                             mode="reverse"))
    assert "def vjp_vec_to_vec(" in srcgrad.source(srcgrad.jacobian(vec_to_vec, mode="reverse",
                                                                     batch=None))


# --------------------------------------------------------------------------
# hessian and hvp, against finite differences of the gradient

def mlp_args(r):
    w1, b1, w2 = r.normal(size=(3, 4)), r.normal(size=4), r.normal(size=(4, 2))
    x, y = r.normal(size=(5, 3)), np.eye(2)[r.integers(0, 2, 5)]
    return w1, b1, w2, x, y


HESSIAN_CASES = [
    ("rosenbrock", rosenbrock, lambda r: (r.uniform(-1.5, 1.5, 6),), 0),
    ("mlp loss, w1", mlp_loss, mlp_args, 0),
    ("mlp loss, w2", mlp_loss, mlp_args, 2),
    ("mlp loss, tuple", mlp_loss, mlp_args, (0, 1, 2)),
    ("loop with a branch", loop_branch, lambda r: (r.uniform(0.2, 0.6, 3), 5), 0),
    ("rnn (outer products batched)", rnn, lambda r: (r.uniform(-0.5, 0.5, (3, 3)),
                                                     r.uniform(-1, 1, 3), 4), 0),
    ("while loop", while_loop, lambda r: (r.uniform(0.5, 1.0, 3),), 0),
    ("writes into an array", writes, lambda r: (r.uniform(-1, 1, 3),), 0),
    ("tuple assignment in a loop", swaps, lambda r: (r.uniform(-1, 1, 3), 3), 0),
    ("scalar", scalar_fun, lambda r: (0.7,), 0),
    ("two scalars", two_scalars, lambda r: (0.3, -0.6), (0, 1)),
]


def fd_hessian_blocks(fun, args, positions):
    """``H[i][j]``: finite differences of the gradient with respect to ``x_i``
    along ``x_j`` (the reverse-mode gradient, itself tested elsewhere)."""
    blocks = []
    for i in positions:
        g = srcgrad.grad(fun, wrt=i)
        blocks.append([fd_jacobian(g, args, j) for j in positions])
    return blocks


@pytest.mark.parametrize("name, fun, sample, wrt", HESSIAN_CASES,
                         ids=[c[0] for c in HESSIAN_CASES])
def test_hessian(name, fun, sample, wrt):
    args = sample(rng_for(name))
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    H = srcgrad.hessian(fun, wrt=wrt)(*args)
    expected = fd_hessian_blocks(fun, args, positions)
    if not isinstance(wrt, tuple):
        H = ((H,),)
    for i in range(len(positions)):
        for j in range(len(positions)):
            xi, xj = args[positions[i]], args[positions[j]]
            assert np.shape(H[i][j]) == np.shape(xi) + np.shape(xj)
            np.testing.assert_allclose(H[i][j], expected[i][j], rtol=1e-5, atol=1e-6)
    if len(positions) == 1:         # a Hessian is symmetric
        n = int(np.prod(np.shape(args[positions[0]]), dtype=int))
        flat = np.reshape(H[0][0], (n, n))
        np.testing.assert_allclose(flat, flat.T, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name, fun, sample, wrt", HESSIAN_CASES,
                         ids=[c[0] for c in HESSIAN_CASES])
def test_hvp_is_hessian_times_v(name, fun, sample, wrt):
    r = rng_for(name, "v")
    args = sample(r)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    vs = [r.uniform(-1, 1, np.shape(args[i])) if np.ndim(args[i]) else float(r.uniform(-1, 1))
          for i in positions]
    hv = srcgrad.hvp(fun, wrt=wrt)(*args, *vs)
    H = srcgrad.hessian(fun, wrt=wrt)(*args)
    if not isinstance(wrt, tuple):
        hv, H = (hv,), ((H,),)
    for i, xi in enumerate(positions):
        expected = sum(np.tensordot(H[i][j], vs[j], axes=np.ndim(vs[j]))
                       for j in range(len(positions)))
        assert np.shape(hv[i]) == np.shape(args[xi])
        np.testing.assert_allclose(hv[i], expected, rtol=1e-9, atol=1e-10)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2 ** 32 - 1), case=st.sampled_from(["rosenbrock", "mlp", "loop"]))
def test_hvp_symmetric(seed, case):
    """``u . H v == v . H u`` for random points and directions."""
    r = np.random.default_rng(seed)
    if case == "rosenbrock":
        fun, args, wrt = rosenbrock, (r.uniform(-2, 2, 5),), 0
    elif case == "mlp":
        fun, args, wrt = mlp_loss, mlp_args(r), 0
    else:
        fun, args, wrt = loop_branch, (r.uniform(-0.7, 0.7, 3), int(r.integers(0, 6))), 0
    x = args[wrt]
    u, v = r.normal(size=np.shape(x)), r.normal(size=np.shape(x))
    h = srcgrad.hvp(fun, wrt=wrt)
    hv, hu = h(*args, v), h(*args, u)
    scale = 1.0 + np.abs(u).sum() * np.abs(hv).sum()
    assert abs(np.vdot(u, hv) - np.vdot(v, hu)) <= 1e-9 * scale


def test_hvp_source_cache_and_names():
    h = srcgrad.hvp(rosenbrock)
    assert h is srcgrad.hvp(rosenbrock)
    text = srcgrad.source(h)
    assert text.startswith("def hvp_rosenbrock(x, t_x):")
    assert "t_d_x" in text and "zeros_like(" in text
    module = srcgrad.source(h, standalone=True)
    assert "tests" not in module and "def zeros_like(" in module
    ns = {}
    exec(compile(module, "<standalone hvp>", "exec"), ns)
    x, v = np.linspace(-1, 1, 5), np.linspace(0.5, 1.5, 5)
    np.testing.assert_allclose(ns["hvp_rosenbrock"](x, v), h(x, v), rtol=1e-12)
    assert "batched hvp below" in srcgrad.source(srcgrad.hessian(rosenbrock))
    assert "one call of the hvp below" in srcgrad.source(srcgrad.hessian(rosenbrock, batch=None))


def test_hvp_of_a_loop_keeps_a_tangent_tape():
    text = srcgrad.source(srcgrad.hvp(loop_branch))
    assert "t_tape = []" in text and "t_tape.append(" in text and "= t_tape.pop()" in text
    # the recorded branch conditions have no tangent
    assert "conds.append(cond)" in text and "t_cond" not in text and "t_conds" not in text


def test_grad_of_grad_of_a_scalar_function():
    dd = srcgrad.grad(srcgrad.grad(scalar_fun))
    x = 0.7
    exact = -np.sin(x) * x ** 3 + 6 * np.cos(x) * x ** 2 + 6 * np.sin(x) * x
    assert dd(x) == pytest.approx(exact, rel=1e-12)
    assert srcgrad.source(dd).startswith("def d_d_scalar_fun(x):")
    # a second derivative in both modes
    value, t = srcgrad.jvp(srcgrad.grad(scalar_fun))(x, 1.0)
    assert t == pytest.approx(exact, rel=1e-12)


def test_grad_of_a_gradient_with_a_tape():
    # reverse over reverse: the inner gradient's tape is a list whose appends
    # and pops have adjoints of their own
    x = np.array([0.3, -0.7, 0.5])
    v = np.array([1.0, 2.0, -1.0])
    inner = srcgrad.grad(loop_branch)

    def along(x):
        return np.sum(inner(x, 4) * v)

    got = srcgrad.grad(along)(x)
    np.testing.assert_allclose(got, srcgrad.hessian(loop_branch)(x, 4) @ v, rtol=1e-10)
    np.testing.assert_allclose(got, numerical_grad(along, (x,), 0), rtol=1e-6)


def scalar_loop(x):
    s = 0.0
    for i in range(4):
        s = s + math.sin(x * (i + 1)) * x
        if s > 1.0:
            s = s * 0.5
    return s


def calls_jvp_inside(x):
    return srcgrad.jvp(scalar_loop)(x, 1.0)[1] * x


def test_nestings_of_grad_jvp_vjp():
    x = 0.7
    d1 = srcgrad.grad(scalar_loop)
    d2 = srcgrad.grad(d1)
    assert d2(x) == pytest.approx(numerical_grad(d1, (x,), 0), rel=1e-7)
    assert srcgrad.jvp(d1)(x, 1.0)[1] == pytest.approx(d2(x), rel=1e-12)
    assert srcgrad.vjp(d1)(x, 2.0)[1] == pytest.approx(2.0 * d2(x), rel=1e-12)
    # srcgrad.jvp(f) written inside the differentiated function: generated
    # when the outer gradient is, and inlined
    got = srcgrad.grad(calls_jvp_inside)(x)
    assert got == pytest.approx(numerical_grad(calls_jvp_inside, (x,), 0), rel=1e-7)


# --------------------------------------------------------------------------
# the rules of the runtime helpers: their tangents (forward) and adjoints
# (reverse) against finite differences, through srcgrad.jacobian

X23 = np.random.default_rng(1).uniform(-1, 1, (2, 3))
Y34 = np.random.default_rng(2).uniform(-1, 1, (3, 4))
P33 = np.linalg.inv(np.eye(3) + 0.3 * np.random.default_rng(3).uniform(-1, 1, (3, 3)))
IDX = np.array([0, 2, 2])


def r_unbroadcast(a):
    return unbroadcast(a, np.ones(3))


def r_fit(a):
    return fit(a, np.ones((1, 3)))


def r_expand(a):
    return expand(a, np.ones((2, 3)))


def r_expand_scalar(a):
    return expand(a, np.ones((2, 3)))


def r_unreduce(a):
    return unreduce(a, X23, 1, False)


def r_unreduce_mean(a):
    return unreduce_mean(a, X23, 1, False)


def r_unreduce_extreme(a):
    return unreduce_extreme(a, X23, np.max(X23, axis=1), 1, False)


def r_add_at(d, v):
    return add_at(d * 1.0, np.ones(5), IDX, v)


def r_written_adjoint(a):
    return written_adjoint(a, IDX)


def r_matmul_dx(a, y):
    return matmul_dx(a, X23, y)


def r_matmul_dx_vector(a, y):
    return matmul_dx(a, np.ones(3), y)


def r_matmul_dy(a, x):
    return matmul_dy(a, x, Y34)


def r_dot_dx(a, y):
    return dot_dx(a, X23, y)


def r_dot_dy(a, x):
    return dot_dy(a, x, Y34)


def r_inner_dx(a, y):
    return inner_dx(a, X23, y)


def r_inner_dy(a, x):
    return inner_dy(a, x, Y34.T)


def r_tensordot_dx(a, y):
    return tensordot_dx(a, X23, y, 1)


def r_tensordot_dy(a, x):
    return tensordot_dy(a, x, Y34, 1)


def r_kron_dx(a, y):
    return kron_dx(a, np.ones(2), y)


def r_kron_dy(a, x):
    return kron_dy(a, x, np.ones(3))


def r_inv_da(a, p):
    return inv_da(a, p)


def r_reshape_dx(a):
    return reshape_dx(a, X23, "C")


def r_transpose_dx(a):
    return transpose_dx(a, (2, 0, 1))


def r_cumsum_dx(a):
    return cumsum_dx(a, X23, 1)


def r_cumsum_dx_flat(a):
    return cumsum_dx(a, X23, None)


def r_diag_dx(a):
    return diag_dx(a, np.ones(3), 1)


def r_diagonal_dx(a):
    return diagonal_dx(a, np.ones((3, 4)), 1, 0, 1)


def r_trace_dx(a):
    return trace_dx(a, np.ones((3, 3)), 0, 0, 1)


def r_take_dx(a):
    return take_dx(a, np.ones(5), IDX, None)


def r_tile_dx(a):
    return tile_dx(a, np.ones(2), 3)


def r_repeat_dx(a):
    return repeat_dx(a, np.ones(3), 2, None)


def r_pad_dx(a):
    return pad_dx(a, np.ones(3), (1, 2), "constant")


def r_astype_dx(a):
    return astype_dx(a, X23, float)


def r_broadcast_like(a):
    return broadcast_like(a, X23)


def r_div_or_zero(a, b):
    return div_or_zero(a, b + 2.0)


def r_var_dx(a, x):
    return var_dx(a, x, 1, 0, False, None)


def r_pad_values_dx(a):
    return pad_values_dx(a, X23, ((1, 0), (2, 1)), (0.0, 1.0))


def r_concatenate_dx(a):
    return concatenate_dx(a, [np.ones(2), np.ones(3)], 0)[1] * 2.0


def r_concatenate_dx_array(a):
    return concatenate_dx(a, X23, 0)


def r_stack_dx(a):
    return stack_dx(a, X23, 1)


def r_hstack_dx(a):
    return hstack_dx(a, (np.ones(2), np.ones(3)))[0] * 3.0


def r_vstack_dx(a):
    return vstack_dx(a, X23)


def r_array_dx(a):
    return array_dx(a, X23, None)


def r_norm_dx(a, x, n):
    return norm_dx(a, x, n, None, 1, False)


def r_norm_dx_p(a, x, n):
    return norm_dx(a, x, n, 3, 0, True)


def r_einsum_dx(a, x, y):
    return einsum_dx(a, "ij,jk->ik", 1, x, y, None)


def r_einsum_dx_3(a, x, y, z):
    return einsum_dx(a, "i,ij,jj->ij", 0, x, y, z) + einsum_dx(a, "i,ij,jj->ij", 2, x, y, z)[0]


def r_linspace_dx(a):
    return linspace_dx(a, np.ones(3), 2.0, 4, True, None, 1, 1)


def r_linspace_dx_start(a):
    return linspace_dx(a, 0.5, np.ones(2), 5, False, None, 0, 0)


def r_rebroadcast(a):
    return rebroadcast(a, np.ones((2, 3)))


def r_rebroadcast_list(a):
    p = rebroadcast(Adjoints([a, a[0] * a]), [np.ones(3), np.ones((2, 3))])
    return p[0] + p[1]


def r_restructure_t(a):
    p = restructure_t((a, a[1] * a), Adjoints([np.ones(3), np.ones(3)]))
    return p[0] + 2.0 * p[1] + restructure_t(a, np.ones((2, 3)))


def r_restructure_t_dh(a):
    p = restructure_t_dh(Adjoints([a[0], a[1] * a[0]]), (np.ones(3), np.ones(3)))
    return p[0] + 2.0 * p[1] + restructure_t_dh(a, np.ones(3))


def u(*shape):
    return lambda r: r.uniform(-1, 1, shape) if shape else float(r.uniform(-1, 1))


RUNTIME_CASES = [
    (broadcast_like, r_broadcast_like, [u(3)]),
    (unbroadcast, r_unbroadcast, [u(2, 3)]),
    (fit, r_fit, [u(2, 3)]),
    (expand, r_expand, [u(3)]),
    (expand, r_expand_scalar, [u()]),
    (unreduce, r_unreduce, [u(2)]),
    (unreduce_mean, r_unreduce_mean, [u(2)]),
    (unreduce_extreme, r_unreduce_extreme, [u(2)]),
    (add_at, r_add_at, [u(5), u(3)]),
    (written_adjoint, r_written_adjoint, [u(5)]),
    (matmul_dx, r_matmul_dx, [u(2, 4), u(3, 4)]),
    (matmul_dx, r_matmul_dx_vector, [u(4), u(3, 4)]),
    (matmul_dy, r_matmul_dy, [u(2, 4), u(2, 3)]),
    (dot_dx, r_dot_dx, [u(2, 4), u(3, 4)]),
    (dot_dy, r_dot_dy, [u(2, 4), u(2, 3)]),
    (inner_dx, r_inner_dx, [u(2, 4), u(4, 3)]),
    (inner_dy, r_inner_dy, [u(2, 4), u(2, 3)]),
    (tensordot_dx, r_tensordot_dx, [u(2, 4), u(3, 4)]),
    (tensordot_dy, r_tensordot_dy, [u(2, 4), u(2, 3)]),
    (kron_dx, r_kron_dx, [u(6), u(3)]),
    (kron_dy, r_kron_dy, [u(6), u(2)]),
    (inv_da, r_inv_da, [u(3, 3), lambda r: P33 + 0.1 * r.uniform(-1, 1, (3, 3))]),
    (reshape_dx, r_reshape_dx, [u(6)]),
    (transpose_dx, r_transpose_dx, [u(3, 4, 2)]),
    (cumsum_dx, r_cumsum_dx, [u(2, 3)]),
    (cumsum_dx, r_cumsum_dx_flat, [u(6)]),
    (diag_dx, r_diag_dx, [u(4, 4)]),
    (diagonal_dx, r_diagonal_dx, [u(3)]),
    (trace_dx, r_trace_dx, [u()]),
    (take_dx, r_take_dx, [u(3)]),
    (tile_dx, r_tile_dx, [u(6)]),
    (repeat_dx, r_repeat_dx, [u(6)]),
    (pad_dx, r_pad_dx, [u(6)]),
    (astype_dx, r_astype_dx, [u(2, 3)]),
    (div_or_zero, r_div_or_zero, [u(3), u(3)]),
    (var_dx, r_var_dx, [u(2), u(2, 3)]),
    (pad_values_dx, r_pad_values_dx, [u(3, 6)]),
    (concatenate_dx, r_concatenate_dx, [u(5)]),
    (concatenate_dx, r_concatenate_dx_array, [u(6)]),
    (stack_dx, r_stack_dx, [u(3, 2)]),
    (hstack_dx, r_hstack_dx, [u(5)]),
    (vstack_dx, r_vstack_dx, [u(2, 3)]),
    (array_dx, r_array_dx, [u(2, 3)]),
    (norm_dx, r_norm_dx, [u(3), u(3, 4), lambda r: r.uniform(0.5, 1.5, 3)]),
    (norm_dx, r_norm_dx_p, [u(1, 4), u(3, 4), lambda r: r.uniform(0.5, 1.5, (1, 4))]),
    (einsum_dx, r_einsum_dx, [u(2, 4), u(2, 3), u(3, 4)]),
    (einsum_dx, r_einsum_dx_3, [u(3, 3), u(3), u(3, 3), u(3, 3)]),
    (linspace_dx, r_linspace_dx, [u(3, 4)]),
    (linspace_dx, r_linspace_dx_start, [u(5, 2)]),
    (rebroadcast, r_rebroadcast, [u(3)]),
    (rebroadcast, r_rebroadcast_list, [u(3)]),
    (restructure_t, r_restructure_t, [u(3)]),
    (restructure_t_dh, r_restructure_t_dh, [u(2, 3)]),
]


def test_every_runtime_rule_is_tested():
    tested = {c[0] for c in RUNTIME_CASES}
    from srcgrad.runtime.forward import tape_pop, tape_push
    assert set(RUNTIME_RULES) - tested == {tape_push, tape_pop}   # tested through hvp of loops


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("helper, case, samplers", RUNTIME_CASES,
                         ids=[c[1].__name__ for c in RUNTIME_CASES])
def test_runtime_rule(helper, case, samplers, mode):
    r = rng_for(case.__name__)
    args = tuple(s(r) for s in samplers)
    wrt = tuple(range(len(args)))
    J = srcgrad.jacobian(case, wrt=wrt, mode=mode)(*args)
    for i in wrt:
        np.testing.assert_allclose(J[i], fd_jacobian(case, args, i), rtol=1e-6, atol=1e-8)


# --- Hessians with respect to a dict, a list, a dataclass, a named tuple ------------------

@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: float


Pair = collections.namedtuple("Pair", ["u", "v"])


def dict_energy(p):
    return np.sum(p["w"] ** 3) * p["b"] ** 2 + np.sum(np.sin(p["w"] * p["b"]))


def layer_energy(layer):
    return np.sum(np.tanh(layer.w) ** 2) * layer.b + layer.b ** 3


def nested_energy(p):
    return np.sum(p["a"].u * p["a"].v ** 2) + p["c"][0] ** 2 * np.sum(p["a"].u)


@pytest.mark.parametrize("f, x", [
    (dict_energy, {"w": np.array([0.3, -0.5, 0.2]), "b": 1.5, "tag": "not a number"}),
    (layer_energy, Layer(np.array([[0.2, -0.4], [0.6, 0.1]]), 0.7)),
    (nested_energy, {"a": Pair(np.array([0.3, 0.4]), np.array([-0.2, 0.5])), "c": [0.8]}),
], ids=["dict", "dataclass", "nested"])
def test_hessian_of_a_structured_argument(f, x):
    from srcgrad.api.blocks import leaf, leaf_paths, with_leaf
    H = srcgrad.hessian(f)(x)
    paths = list(leaf_paths(x))
    key = (lambda p: p[0] if len(p) == 1 else p)
    g = srcgrad.grad(f)
    for q in paths:
        xq = np.asarray(leaf(x, q), dtype=float)
        for k in range(xq.size):
            e = np.zeros(xq.size)
            e[k] = 1e-6
            up = with_leaf(x, q, (xq.ravel() + e).reshape(xq.shape) if xq.ndim else float(xq + e[0]))
            dn = with_leaf(x, q, (xq.ravel() - e).reshape(xq.shape) if xq.ndim else float(xq - e[0]))
            for p in paths:
                col = (np.asarray(leaf(g(up), p)) - np.asarray(leaf(g(dn), p))) / 2e-6
                block = np.asarray(H[key(p)][key(q)])
                assert block.shape == np.shape(leaf(x, p)) + xq.shape
                np.testing.assert_allclose(block.reshape(np.size(leaf(x, p)), xq.size)[:, k],
                                           np.ravel(col), rtol=1e-5, atol=1e-6)
    p0, q0 = paths[0], paths[-1]
    np.testing.assert_allclose(np.asarray(H[key(p0)][key(q0)]).reshape(-1),
                               np.moveaxis(np.asarray(H[key(q0)][key(p0)]).reshape(
                                   np.size(leaf(x, q0)), np.size(leaf(x, p0))), 0, 1).reshape(-1))


# --- jacobian(jacobian(f)) --------------------------------------------------------------

def vec_field(x):
    return np.sin(x) * x[::-1] + np.sum(x ** 3)


def two_args(x, y):
    return np.tanh(x * y[0]) + y[1] * x ** 2


def scalar_of_vector(x):
    return np.sum(np.exp(x) * x)


@pytest.mark.parametrize("f, args, inner, outer", [
    (vec_field, (np.array([0.3, 0.5, 0.7]),), 0, 0),
    (two_args, (np.array([0.3, 0.5]), np.array([0.7, -0.4])), 1, 0),
    (two_args, (np.array([0.3, 0.5]), np.array([0.7, -0.4])), 0, 0),
    (scalar_of_vector, (np.array([0.2, -0.1, 0.4]),), 0, 0),
], ids=["vector", "mixed", "same", "scalar"])
def test_jacobian_of_jacobian(f, args, inner, outer):
    J = srcgrad.jacobian(f, wrt=inner)
    J2 = srcgrad.jacobian(J, wrt=outer)(*args)
    b = args[outer]
    cols = []
    for e in np.eye(b.size):
        up, dn = list(args), list(args)
        up[outer], dn[outer] = b + 1e-6 * e.reshape(b.shape), b - 1e-6 * e.reshape(b.shape)
        cols.append((J(*up) - J(*dn)) / 2e-6)
    np.testing.assert_allclose(J2, np.stack(cols, axis=-1), rtol=1e-6, atol=1e-7)
    if f is scalar_of_vector:              # the Hessian
        np.testing.assert_allclose(J2, srcgrad.hessian(f)(*args), rtol=1e-10)


# --- third derivatives through loops (reverse over reverse over reverse) ------------------

def loop_sines(x):
    s = 0.0
    for i in range(3):
        s = s + np.sin(x * s + x)
    return s


def while_growth(x):
    s, k = x, 0
    while s < 3.0 and k < 10:
        s = s * 1.3 + np.sin(s) * x
        k += 1
    return s * x


@pytest.mark.parametrize("f", [loop_sines, while_growth], ids=lambda f: f.__name__)
def test_third_derivative_through_loops(f):
    g2 = srcgrad.grad(srcgrad.grad(f))
    g3 = srcgrad.grad(g2)(0.7)
    assert g3 == pytest.approx((g2(0.7 + 1e-5) - g2(0.7 - 1e-5)) / 2e-5, rel=1e-6)
    # forward over reverse over reverse (the adjoint of the tape: unpop_adjoint is an append)
    value, tangent = srcgrad.jvp(g2)(0.7, 1.0)
    assert value == pytest.approx(g2(0.7), rel=1e-12) and tangent == pytest.approx(g3, rel=1e-9)
