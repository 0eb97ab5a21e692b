"""``python -m benchmarks.higher``: the cost of second derivatives and Jacobians.

* hvp / grad on Rosenbrock (n=1000): the Hessian-vector product (forward mode
  over the generated gradient) against the gradient itself;
* a 100 -> 100 Jacobian in forward mode (100 jvp calls) and reverse mode (100
  vjp calls).

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


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


W = np.random.default_rng(0).normal(size=(100, 100)) / 10.0


def layer(x):
    return np.tanh(W @ x) + 0.5 * x * np.sum(x ** 2)


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
    jf = srcgrad.jacobian(layer, mode="forward")
    jr = srcgrad.jacobian(layer, mode="reverse")
    np.testing.assert_allclose(jf(y), jr(y), rtol=1e-10, atol=1e-12)
    t_l = median_time(lambda: layer(y), r, 200)
    t_jf = median_time(lambda: jf(y), r, 5)
    t_jr = median_time(lambda: jr(y), r, 5)
    print(f"Jacobian of a 100 -> 100 function (median of {r} x 5 calls)")
    print(f"  f                  {t_l * 1e6:8.1f} us")
    print(f"  jacobian forward   {t_jf * 1e3:8.2f} ms   ({t_jf / t_l:.0f} x f)")
    print(f"  jacobian reverse   {t_jr * 1e3:8.2f} ms   ({t_jr / t_l:.0f} x f)")

    xs = rng.uniform(-1.0, 1.0, 100)
    hess = srcgrad.hessian(rosenbrock)
    t_hs = median_time(lambda: hess(xs), max(5, r // 5), 3)
    print(f"Hessian of Rosenbrock n=100 (100 hvp calls): {t_hs * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
