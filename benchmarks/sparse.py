"""``python -m benchmarks.sparse``: sparse Jacobians and Hessians, and batched
reverse mode.

* the Jacobian of a bundle-adjustment-style residual (every observation, two
  residuals, depends on one camera, 9 parameters, and one point, 3): compressed
  batched forward passes, one direction per colour of a distance-1 colouring
  of the columns;
* the Hessian of a 1-D discretised PDE energy (n = 10,000): star colouring,
  compressed batched hvp (forward over reverse);
* ``jacobian(f, mode="reverse")``: the batched vjp (one pass, a block of
  cotangents) against one vjp call per output (``batch=None``).

Cost is in **gradient-evaluation units**: the time of the sparse Jacobian
(Hessian) with a given pattern over the time of one reverse pass (one
generated ``vjp`` call for the residual, one ``grad`` call for the energy);
the target is at most ``colours + 2``.  Detection (``sparsity="detect"``,
which traces the function at each call) and colouring (done once for a given
pattern) are timed separately.  Each time is the median of ``--repeat``
blocks of calls, one thread, after warm-up.  The tests
(tests/test_sparse.py) check these functions against the dense results on
small sizes.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import srcgrad  # noqa: E402
from benchmarks.higher import median_time  # noqa: E402


def ba_residual(params, n_cams, cam_idx, pt_idx, obs):
    """Residuals of a bundle-adjustment-style problem: camera ``c`` is
    ``(w, t, f, k1, k2)`` (small-angle rotation ``w``, translation ``t``, focal
    length ``f``, radial distortion ``k1, k2``), a point is ``(x, y, z)``."""
    cams = params[:n_cams * 9].reshape(n_cams, 9)
    pts = params[n_cams * 9:].reshape(-1, 3)
    c = cams[cam_idx]
    p = pts[pt_idx]
    q = p + np.cross(c[:, 0:3], p) + c[:, 3:6]
    uv = q[:, :2] / q[:, 2:3]
    r2 = np.sum(uv ** 2, axis=1)
    scale = c[:, 6] * (1.0 + c[:, 7] * r2 + c[:, 8] * r2 ** 2)
    return (scale[:, None] * uv - obs).ravel()


def ba_problem(n_cams, n_pts, n_obs, seed=0):
    rng = np.random.default_rng(seed)
    cams = np.zeros((n_cams, 9))
    cams[:, 0:3] = rng.normal(scale=0.05, size=(n_cams, 3))
    cams[:, 3:6] = rng.normal(scale=0.1, size=(n_cams, 3))
    cams[:, 6] = 1.0 + rng.uniform(0, 0.1, n_cams)
    cams[:, 7:9] = rng.normal(scale=0.01, size=(n_cams, 2))
    pts = rng.normal(size=(n_pts, 3))
    pts[:, 2] += 8.0
    cam_idx = rng.integers(0, n_cams, n_obs)
    pt_idx = np.concatenate([np.arange(n_pts), rng.integers(0, n_pts, n_obs - n_pts)])
    obs = rng.normal(scale=0.1, size=(n_obs, 2))
    return np.concatenate([cams.ravel(), pts.ravel()]), n_cams, cam_idx, pt_idx, obs


def ba_pattern(n_cams, cam_idx, pt_idx, n_params):
    """The true pattern: row ``2k + i`` depends on the camera and the point of
    observation ``k``."""
    import scipy.sparse as sps
    k = np.repeat(np.arange(2 * len(cam_idx)), 12)
    j = np.concatenate([cam_idx[:, None] * 9 + np.arange(9),
                        n_cams * 9 + pt_idx[:, None] * 3 + np.arange(3)], axis=1)
    cols = np.repeat(j, 2, axis=0).ravel()
    return sps.csr_matrix((np.ones(len(k), bool), (k, cols)), shape=(2 * len(cam_idx), n_params))


def pde_energy(u, h):
    """A 1-D discretised energy: Dirichlet ends, ``1/2 |u'|^2 + u^4/4 - f u``."""
    du = np.diff(u, prepend=0.0, append=0.0) / h
    return h * (0.5 * np.sum(du ** 2) + np.sum(0.25 * u ** 4 - np.sin(u)))


def pde_energy_sliced(u, h):
    """The same energy written with slices instead of ``np.diff``."""
    du = (u[1:] - u[:-1]) / h
    ends = (u[0] ** 2 + u[-1] ** 2) / h ** 2
    return h * (0.5 * np.sum(du ** 2) + 0.5 * ends + np.sum(0.25 * u ** 4 - np.sin(u)))


def pde_pattern(n):
    import scipy.sparse as sps
    return sps.diags([np.ones(n - 1), np.ones(n), np.ones(n - 1)], [-1, 0, 1],
                     dtype=bool, format="csr")


W = np.random.default_rng(1).normal(size=(20, 200)) / 10.0


def wide(x):
    """200 inputs, 20 outputs: a case for reverse mode."""
    return np.tanh(W @ x) * np.sum(x ** 2)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.sparse", description=__doc__)
    p.add_argument("--repeat", type=int, default=11)
    p.add_argument("--quick", action="store_true", help="smaller sizes")
    a = p.parse_args(argv)
    r = a.repeat
    rows = []

    # -- bundle adjustment --------------------------------------------------------
    size = (20, 1000, 4000) if a.quick else (50, 5000, 20000)
    params, nc, ci, pi, obs = ba_problem(*size)
    args = (params, nc, ci, pi, obs)
    P = ba_pattern(nc, ci, pi, params.size)
    vjp = srcgrad.vjp(ba_residual)
    cot = np.ones(2 * size[2])
    t_grad = median_time(lambda: vjp(*args, cot), r, 1)
    jac = srcgrad.jacobian(ba_residual, sparsity=P, mode="forward")
    t0 = time.perf_counter()
    J = jac(*args)
    t_first = time.perf_counter() - t0
    t_sparse = median_time(lambda: jac(*args), r, 1)
    jac_d = srcgrad.jacobian(ba_residual, sparsity="detect", mode="forward")
    t_detect = median_time(lambda: jac_d(*args), max(3, r // 4), 1)
    found = srcgrad.jacobian_sparsity(ba_residual)(*args)
    assert (found.astype(int) - P.astype(int)).nnz == 0, "detected pattern differs"
    rows.append((f"BA Jacobian {J.shape[0]}x{J.shape[1]} ({size[0]} cams, {size[1]} pts, "
                 f"{size[2]} obs)", J.srcgrad_colours, t_grad, t_sparse, t_first, t_detect))

    # -- PDE energy ---------------------------------------------------------------
    n = 2000 if a.quick else 10000
    u = np.random.default_rng(2).uniform(-1, 1, n)
    h = 1.0 / (n + 1)
    for energy in (pde_energy, pde_energy_sliced):
        g = srcgrad.grad(energy)
        t_grad = median_time(lambda: g(u, h), r, 10)
        hess = srcgrad.hessian(energy, sparsity=pde_pattern(n))
        t0 = time.perf_counter()
        H = hess(u, h)
        t_first = time.perf_counter() - t0
        t_sparse = median_time(lambda: hess(u, h), r, 10)
        hess_d = srcgrad.hessian(energy, sparsity="detect")
        assert abs(hess_d(u, h) - H).max() == 0
        t_detect = median_time(lambda: hess_d(u, h), max(3, r // 4), 1)
        rows.append((f"PDE energy Hessian n={n} ({energy.__name__})", H.srcgrad_colours, t_grad,
                     t_sparse, t_first, t_detect))

    print("| problem | colours | reverse pass (ms) | sparse, given pattern (ms) | cost (gradient "
          "units) | first call, colouring included (ms) | with sparsity=\"detect\" (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, c, tg, ts, tf, td in rows:
        print(f"| {name} | {c} | {tg * 1e3:.2f} | {ts * 1e3:.2f} | {ts / tg:.1f} | "
              f"{tf * 1e3:.1f} | {td * 1e3:.1f} |")

    # -- batched reverse ------------------------------------------------------------
    x = np.random.default_rng(3).normal(size=200)
    batched = srcgrad.jacobian(wide, mode="reverse")
    looped = srcgrad.jacobian(wide, mode="reverse", batch=None)
    assert np.allclose(batched(x), looped(x))
    tb = median_time(lambda: batched(x), r, 10)
    tl = median_time(lambda: looped(x), r, 10)
    tv = median_time(lambda: srcgrad.vjp(wide)(x, np.ones(20)), r, 10)
    print()
    print("| reverse-mode Jacobian, 200 -> 20 | ms | vjp calls |")
    print("|---|---:|---:|")
    print(f"| one vjp | {tv * 1e3:.3f} | 1 |")
    print(f"| batched (one pass, 20 cotangents) | {tb * 1e3:.3f} | {tb / tv:.1f} |")
    print(f"| looped (batch=None, 20 vjp calls) | {tl * 1e3:.3f} | {tl / tv:.1f} |")


if __name__ == "__main__":
    main()
