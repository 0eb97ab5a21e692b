"""``python -m benchmarks.higher``: the cost of second derivatives and Jacobians.

* hvp / grad on Rosenbrock (n=1000): the Hessian-vector product (forward mode
  over the generated gradient) against the gradient itself;
* 100 -> 100 Jacobians in forward mode, batched (one pass of the batched jvp,
  the 100 directions on a last axis) and looped (``batch=None``: 100 jvp
  calls), and reverse mode (100 vjp calls);
* the Hessian of Rosenbrock (n=100 and n=1000), batched (forward over reverse,
  256 directions per pass) and looped (one hvp call per direction).

Each figure is the median over many repeats of a timed block of calls, one
thread, after warm-up.  ``--repeat N`` sets the number of repeats.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import srcgrad  # noqa: E402
import srcgrad.api.higher  # noqa: E402


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


W = np.random.default_rng(0).normal(size=(100, 100)) / 10.0


def layer(x):
    return np.tanh(W @ x) + 0.5 * x * np.sum(x ** 2)


def tanh_layer(x):
    return np.tanh(W @ x) * x


def median_time(fn, repeats, number):
    """Median seconds per call over ``repeats`` blocks of ``number`` calls."""
    for _ in range(max(1, number // 4)):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.higher", description=__doc__)
    p.add_argument("--repeat", type=int, default=51)
    opts = p.parse_args(argv)
    r = opts.repeat
    rng = np.random.default_rng(1)

    x = rng.uniform(-1.0, 1.0, 1000)
    v = rng.normal(size=1000)
    g = srcgrad.grad(rosenbrock)
    h = srcgrad.hvp(rosenbrock)
    eps = 1e-6            # the hvp agrees with finite differences of the gradient
    np.testing.assert_allclose(h(x, v), (g(x + eps * v) - g(x - eps * v)) / (2 * eps),
                               rtol=1e-5, atol=1e-4)
    t_f = median_time(lambda: rosenbrock(x), r, 200)
    t_g = median_time(lambda: g(x), r, 200)
    t_h = median_time(lambda: h(x, v), r, 200)
    print(f"Rosenbrock n=1000 (median of {r} x 200 calls, one thread)")
    print(f"  f      {t_f * 1e6:8.1f} us")
    print(f"  grad   {t_g * 1e6:8.1f} us   grad/f = {t_g / t_f:.2f}")
    print(f"  hvp    {t_h * 1e6:8.1f} us   hvp/grad = {t_h / t_g:.2f}   hvp/f = {t_h / t_f:.2f}")

    y = rng.uniform(-1.0, 1.0, 100)
    for fun in (tanh_layer, layer):
        jb = srcgrad.jacobian(fun, mode="forward")
        jl = srcgrad.jacobian(fun, mode="forward", batch=None)
        jr = srcgrad.jacobian(fun, mode="reverse")
        np.testing.assert_allclose(jb(y), jr(y), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(jl(y), jr(y), rtol=1e-10, atol=1e-12)
        t_l = median_time(lambda: fun(y), r, 200)
        t_jb = median_time(lambda: jb(y), r, 20)
        t_jl = median_time(lambda: jl(y), r, 5)
        t_jr = median_time(lambda: jr(y), r, 5)
        print(f"Jacobian of {fun.__name__}, 100 -> 100 (median of {r} blocks)")
        print(f"  f                          {t_l * 1e6:8.1f} us")
        print(f"  jacobian forward, batched  {t_jb * 1e3:8.3f} ms   ({t_jb / t_l:.0f} x f)")
        print(f"  jacobian forward, looped   {t_jl * 1e3:8.3f} ms   ({t_jl / t_l:.0f} x f)")
        print(f"  jacobian reverse (looped)  {t_jr * 1e3:8.3f} ms   ({t_jr / t_l:.0f} x f)")

    for n, reps in ((100, max(5, r // 3)), (1000, 5)):
        xs = rng.uniform(-1.0, 1.0, n)
        hb = srcgrad.hessian(rosenbrock)
        hl = srcgrad.hessian(rosenbrock, batch=None)
        np.testing.assert_allclose(hb(xs), hl(xs), rtol=1e-12, atol=1e-12)
        t_hb = median_time(lambda: hb(xs), reps, 3)
        t_hl = median_time(lambda: hl(xs), reps, 1 if n > 100 else 3)
        print(f"Hessian of Rosenbrock n={n}")
        step = srcgrad.api.higher._pass_size(srcgrad.api.higher.BATCH, n)
        print(f"  batched (forward over reverse, {step:3d} directions per pass) {t_hb * 1e3:8.2f} ms")
        print(f"  looped ({n} hvp calls)                                  {t_hl * 1e3:8.2f} ms"
              f"   ({t_hl / t_hb:.1f} x batched)")

if __name__ == "__main__":
    main()
