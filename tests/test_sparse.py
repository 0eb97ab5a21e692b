"""Sparse Jacobians and Hessians (``sparsity=``), their colourings, the
dependency tracer behind ``sparsity="detect"``, and batched reverse mode:
each against the dense ``jacobian``/``hessian`` and central finite
differences, on small sizes."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import srcgrad
from benchmarks.sparse import (ba_pattern, ba_problem, ba_residual, pde_energy, pde_energy_sliced,
                               pde_pattern)

sps = pytest.importorskip("scipy.sparse")

from srcgrad.api.sparse import colour_columns, star_colouring, star_plan  # noqa: E402

RNG = np.random.default_rng(0)
C = RNG.normal(size=(4, 6)) * (RNG.random((4, 6)) < 0.4)      # a constant sparse matrix


def fd_jacobian(f, x, *rest, eps=1e-6):
    x = np.asarray(x, dtype=float)
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = eps
        cols.append((np.ravel(f(x + e.reshape(x.shape), *rest))
                     - np.ravel(f(x - e.reshape(x.shape), *rest))) / (2 * eps))
    return np.array(cols).T


# -- functions ----------------------------------------------------------------

def chain(x):
    return x[1:] * x[:-1] + np.sin(x[1:])


def with_matmul(x):
    return C @ x + x[:4] ** 2


def with_cross(x):
    v = x.reshape(-1, 3)
    return np.cross(v, v * v[:, ::-1] + 1.0).ravel()


def with_write(x):
    y = x.copy()
    y[2] = x[0] * x[5]
    y[3:5] += np.exp(x[1:3])
    return y * 2.0


def with_view(x):
    y = x.copy()
    z = y[:3]
    z[0] = x[4] ** 2
    return y + 0.0


def with_reductions(x):
    m = x.reshape(3, 2)
    return np.concatenate([np.sum(m ** 2, axis=1), np.max(m, axis=0), np.cumsum(x)[:2]])


def with_branch(x):
    if x[0] > 0:
        return x * x[1]
    return x


def with_loop_write(x):
    out = np.zeros(x.size - 1)
    for i in range(x.size - 1):
        out[i] = x[i] * x[i + 1]         # a traced value into a plain array: dense
    return out


def with_where(x):
    return np.where(x > 0.5, x ** 2, np.roll(x, 1)) + np.diff(x, prepend=x[-1])


def with_pad_flip(x):
    return np.pad(np.flip(x) ** 2, 1, mode="edge")[:-1] * np.tile(x[:2], 4)[:x.size + 1]


def with_misc(x):
    m = x.reshape(2, 3)
    s = np.sort(m, axis=1).T.ravel()
    acc = np.zeros(4) + x[0]
    np.add.at(acc, [0, 1, 1], x[3:] * 2.0)
    return np.concatenate([s, np.abs(acc), np.maximum(m[0], m[1]), np.mean(m, axis=0)])


def with_loop(x):
    total = 0.0
    parts = []
    for v in x[:3]:
        total += v ** 2
        parts.append(total)
    return np.stack(parts + [np.dot(x[3:], x[3:])])


def with_solve(x):
    A = np.eye(3) * 2.0 + np.outer(x[:3], x[:3]) * 0.1
    return np.concatenate([np.linalg.solve(A, x[3:]), x[3:] ** 2])


def with_inplace_view(x):
    y = np.ones(6) * x                     # a traced array
    r = y.reshape(2, 3)                    # a view of it
    r[1] *= x[0]
    return y


def with_append_iadd(x):
    y = x * 1.0
    r = y[3:]
    r += x[0] ** 2                          # through a view: y changes
    return np.append(np.array([5.0, 7.0]), y) + np.concatenate([[3.0], x * 2.0, [1.0]])


JACOBIAN_CASES = [chain, with_matmul, with_cross, with_write, with_view, with_reductions,
                  with_branch, with_where, with_pad_flip, with_loop, with_solve]
#: code srcgrad refuses to differentiate (np.add.at as a statement, a write
#: through a view): the tracer alone, against finite differences
TRACER_ONLY = [with_misc, with_inplace_view, with_append_iadd]


def quartic(x):
    return np.sum(x ** 4) + np.sum(x[1:] * x[:-1]) + np.sum(np.exp(x[::2]))


def blocks(x):
    m = x.reshape(3, 2)
    return np.sum(np.log(np.sum(np.exp(m), axis=1))) + np.prod(x[:2])


def coupled(x, A):
    return 0.5 * x @ (A @ x) + np.sum(np.cos(x))


def with_division(x):
    return np.sum(x[:3] / (1.0 + x[3:] ** 2)) + np.linalg.norm(x[::3])


def with_branch_h(x):
    if np.sum(x) > 0:
        return np.sum(np.diff(x) ** 3)
    return np.sum(x ** 2)


def bilinear(x):
    return x[:3] @ x[3:] + np.sum(np.sort(x) * np.arange(6.0)) + np.max(x[4:]) ** 2


def with_solve_h(x):
    A = np.eye(3) * 2.0 + np.outer(x[:3], x[:3]) * 0.1
    return np.sum(np.linalg.solve(A, np.ones(3))) + np.sum(x[3:] ** 3)


HESSIAN_CASES = [quartic, blocks, with_division, with_branch_h, bilinear, with_solve_h]


# -- colourings -------------------------------------------------------------------

def random_pattern(m, n, density, seed):
    return sps.random(m, n, density=density, random_state=seed, format="csr") != 0


@pytest.mark.parametrize("seed", range(8))
def test_column_colouring_is_distance_1(seed):
    P = random_pattern(30, 25, 0.1, seed)
    colour = colour_columns(P)
    A = P.toarray()
    for c in range(colour.max() + 1):
        assert (A[:, colour == c].sum(axis=1) <= 1).all()


@pytest.mark.parametrize("seed", range(8))
def test_star_colouring_is_a_star_colouring(seed):
    P = random_pattern(20, 20, 0.12, seed)
    P = P + P.T
    colour = star_colouring(P)
    A = P.toarray().astype(bool)
    np.fill_diagonal(A, False)
    n = len(colour)
    # distance-1
    assert not any(A[i, j] and colour[i] == colour[j] for i in range(n) for j in range(n))
    # every path on four vertices has three colours
    for a in range(n):
        for b in np.flatnonzero(A[a]):
            for c in np.flatnonzero(A[b]):
                if c == a:
                    continue
                for d in np.flatnonzero(A[c]):
                    if d in (a, b):
                        continue
                    assert len({colour[a], colour[b], colour[c], colour[d]}) >= 3
    star_plan(P, colour)                 # decompression works for every entry


def test_tridiagonal_takes_three_colours():
    P = pde_pattern(50)
    assert colour_columns(P).max() + 1 == 3
    assert star_colouring(P).max() + 1 == 3


# -- Jacobians --------------------------------------------------------------------

@pytest.mark.parametrize("f", JACOBIAN_CASES + TRACER_ONLY, ids=lambda f: f.__name__)
def test_detected_jacobian_pattern_is_a_superset(f):
    x = RNG.uniform(0.2, 1.2, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = srcgrad.jacobian_sparsity(f)(x).toarray()
    J = fd_jacobian(f, x)
    J[np.abs(J) < 1e-7] = 0.0
    assert not (J != 0)[~P].any()
    assert P.sum() < P.size                                  # and it is sparse
    if f is with_inplace_view:
        assert P[3:, 0].all() and not P[:3, 0][1:].any()
    if f is with_append_iadd:                # the write through the view reached y
        assert P[5:, 0].all() and not P[0].any() and P[1, 0]


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
@pytest.mark.parametrize("f", JACOBIAN_CASES, ids=lambda f: f.__name__)
def test_sparse_jacobian_detect(f, mode):
    x = RNG.uniform(0.2, 1.2, 6)
    J = srcgrad.jacobian(f, sparsity="detect", mode=mode)(x)
    dense = np.asarray(srcgrad.jacobian(f)(x)).reshape(J.shape)
    assert isinstance(J, sps.csr_matrix)
    np.testing.assert_allclose(J.toarray(), dense, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(J.toarray(), fd_jacobian(f, x), rtol=1e-6, atol=1e-6)


def test_dense_fallback_warns_and_is_right():
    x = RNG.uniform(0.2, 1.2, 5)
    with pytest.warns(RuntimeWarning, match="dependency tracing stopped"):
        P = srcgrad.jacobian_sparsity(with_loop_write)(x)
    assert P.toarray().all()
    with pytest.warns(RuntimeWarning):
        J = srcgrad.jacobian(with_loop_write, sparsity="detect")(x)
    np.testing.assert_allclose(J.toarray(), srcgrad.jacobian(with_loop_write)(x), atol=1e-12)


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_bundle_adjustment_jacobian(mode):
    params, nc, ci, pi, obs = ba_problem(3, 6, 10, seed=1)
    args = (params, nc, ci, pi, obs)
    P = ba_pattern(nc, ci, pi, params.size)
    assert (srcgrad.jacobian_sparsity(ba_residual)(*args) != P).nnz == 0
    dense = srcgrad.jacobian(ba_residual)(*args)
    for sparsity in (P, "detect", P.toarray()):
        J = srcgrad.jacobian(ba_residual, sparsity=sparsity, mode=mode)(*args)
        np.testing.assert_allclose(J.toarray(), dense, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(J.toarray(), fd_jacobian(ba_residual, *args), rtol=1e-5,
                               atol=1e-6)
    if mode == "forward":
        assert J.srcgrad_colours <= 12       # 9 camera + 3 point columns, greedy


def test_sparse_jacobian_batches_and_keywords():
    def f(x, scale=2.0):
        return scale * x[1:] * x[:-1]
    x = RNG.normal(size=7)
    for mode in ("forward", "reverse"):
        J = srcgrad.jacobian(f, sparsity="detect", mode=mode, batch=1)(x, scale=3.0)
        np.testing.assert_allclose(J.toarray(), srcgrad.jacobian(f)(x, scale=3.0), atol=1e-12)


# -- Hessians ---------------------------------------------------------------------

@pytest.mark.parametrize("f", HESSIAN_CASES, ids=lambda f: f.__name__)
def test_sparse_hessian_detect(f):
    x = RNG.uniform(0.2, 1.2, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = srcgrad.hessian_sparsity(f)(x).toarray()
        H = srcgrad.hessian(f, sparsity="detect")(x)
    dense = srcgrad.hessian(f)(x)
    assert not (dense != 0)[~P].any()
    assert P.sum() < P.size
    np.testing.assert_allclose(H.toarray(), dense, rtol=1e-10, atol=1e-10)
    g = srcgrad.grad(f)
    np.testing.assert_allclose(H.toarray(), fd_jacobian(g, x), rtol=1e-5, atol=1e-5)


def test_hessian_with_constant_matrix():
    A = np.diag(np.ones(5)) + np.diag(np.ones(4), 1)
    x = RNG.normal(size=5)
    P = srcgrad.hessian_sparsity(coupled)(x, A)
    assert P.nnz == 5 + 2 * 4                              # tridiagonal, not dense
    H = srcgrad.hessian(coupled, sparsity="detect")(x, A)
    np.testing.assert_allclose(H.toarray(), srcgrad.hessian(coupled)(x, A), atol=1e-12)


@pytest.mark.parametrize("energy", [pde_energy, pde_energy_sliced])
def test_pde_energy_hessian(energy):
    n = 40
    u = RNG.uniform(-1, 1, n)
    h = 1.0 / (n + 1)
    dense = srcgrad.hessian(energy)(u, h)
    assert (srcgrad.hessian_sparsity(energy)(u, h) != pde_pattern(n)).nnz == 0
    for sparsity in (pde_pattern(n), "detect"):
        H = srcgrad.hessian(energy, sparsity=sparsity)(u, h)
        assert H.srcgrad_colours == 3
        np.testing.assert_allclose(H.toarray(), dense, rtol=1e-10, atol=1e-8)
    np.testing.assert_allclose(H.toarray(), fd_jacobian(srcgrad.grad(energy), u, h),
                               rtol=1e-5, atol=1e-3)


def test_hessian_pattern_given_one_triangle():
    n = 8
    u = RNG.uniform(-1, 1, n)
    upper = sps.triu(pde_pattern(n))
    H = srcgrad.hessian(pde_energy, sparsity=upper)(u, 0.1)
    np.testing.assert_allclose(H.toarray(), srcgrad.hessian(pde_energy)(u, 0.1), atol=1e-9)


# -- refusals ---------------------------------------------------------------------

def two(x, y):
    return x * y


def test_refusals():
    x = np.ones(3)
    with pytest.raises(srcgrad.SrcgradError, match="one wrt argument"):
        srcgrad.jacobian(two, wrt=(0, 1), sparsity="detect")
    with pytest.raises(srcgrad.SrcgradError, match="'detect'"):
        srcgrad.hessian(quartic, sparsity="find")
    with pytest.raises(srcgrad.SrcgradError, match="pattern has shape"):
        srcgrad.jacobian(chain, sparsity=np.ones((3, 3)))(x)
    with pytest.raises(srcgrad.SrcgradError, match="pattern has shape"):
        srcgrad.hessian(quartic, sparsity=np.ones((2, 2)))(x)
    with pytest.raises(srcgrad.SrcgradError, match="2-D array"):
        srcgrad.jacobian(chain, sparsity=np.ones(3))
    with pytest.raises(srcgrad.SrcgradError, match="needs a scalar result"):
        srcgrad.hessian_sparsity(chain)(x)


def test_scipy_only_imported_when_used():
    code = ("import sys, numpy as np, srcgrad\n"
            "from benchmarks.sparse import pde_energy\n"
            "srcgrad.hessian(pde_energy)(np.ones(3), 0.5)\n"
            "assert 'scipy' not in sys.modules\n"
            "srcgrad.jacobian_sparsity\n"
            "assert 'scipy' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=".")


# -- batched reverse mode -----------------------------------------------------------

def wide(x, W, shift=0.5):
    return np.tanh(W @ x + shift) * np.sum(x ** 2)


def pair_out(x, y):
    return np.stack([x * y, np.sin(x) + y ** 2])


def scalar_out(x):
    return np.sum(x ** 3)


def test_batched_reverse_matches_loop_and_forward():
    W = RNG.normal(size=(3, 8))
    x = RNG.normal(size=8)
    batched = srcgrad.jacobian(wide, mode="reverse")
    assert batched.srcgrad_batched_reverse is not None
    assert "def vjp_batched_wide(" in srcgrad.source(batched)
    J = batched(x, W, shift=0.1)
    np.testing.assert_allclose(J, srcgrad.jacobian(wide, mode="reverse", batch=None)(x, W,
                                                                                    shift=0.1))
    np.testing.assert_allclose(J, srcgrad.jacobian(wide, mode="forward")(x, W, shift=0.1),
                               atol=1e-12)
    np.testing.assert_allclose(J, fd_jacobian(lambda v: wide(v, W, shift=0.1), x), atol=1e-6)
    np.testing.assert_allclose(srcgrad.jacobian(wide, mode="reverse", batch=2)(x, W), 
                               srcgrad.jacobian(wide, mode="forward")(x, W), atol=1e-12)


def test_batched_reverse_tuple_wrt_and_scalar():
    x, y = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    got = srcgrad.jacobian(pair_out, wrt=(0, 1), mode="reverse")(x, y)
    want = srcgrad.jacobian(pair_out, wrt=(0, 1), mode="forward")(x, y)
    for a, b in zip(got, want):
        assert a.shape == (2, 2, 3, 2, 3)
        np.testing.assert_allclose(a, b, atol=1e-12)
    g = srcgrad.jacobian(scalar_out, mode="reverse")(np.arange(3.0))
    np.testing.assert_allclose(g, 3 * np.arange(3.0) ** 2)


def test_auto_picks_reverse_for_fewer_outputs(monkeypatch):
    import srcgrad.api.higher as higher
    calls = []
    real = higher._reverse_batched
    monkeypatch.setattr(higher, "_reverse_batched", lambda *a: calls.append(1) or real(*a))
    W = RNG.normal(size=(3, 8))
    srcgrad.jacobian(wide)(RNG.normal(size=8), W)
    assert calls == [1]
