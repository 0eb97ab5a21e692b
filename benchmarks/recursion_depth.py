"""``python -m benchmarks.recursion_depth``: how a gradient through a
recursion grows with the recursion's depth (issue #15: "recursion linear in
depth").

Three recursive functions, each at depths 25 to 400 (``--depths``):

- ``power(x, n)``: ``x * power(x, n - 1)``, a number of a number (each level
  through the callee's unit form: value and derivative at once);
- ``levels(v, n)``: an array of an array, ``np.sin(levels(v * 0.9, n - 1))
  * v + v`` (a result that is not a number: the split form, a closure per
  level);
- ``chain(x, n)``: a number of a list of two numbers (the split form).

For each: the primal's time, the gradient's (``srcgrad.grad``, generated
once, then timed), their ratio, and the growth exponent of each over the
depths (the least-squares slope of log(time) against log(depth): 1 is
linear, 2 quadratic).  Times are medians of timeit-autoranged measurements
(``benchmarks.harness.median_time``).  ``hvp`` through a recursion is
quadratic by design (each level's reverse sweep computes the levels below it
again, docs/architecture.md) and is not measured here.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.harness import Settings, fmt_time, median_time, python_speed  # noqa: E402


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def levels(v, n):
    if n == 0:
        return v * v
    return np.sin(levels(v * 0.9, n - 1)) * v + v


def loss_levels(v, n):
    return np.sum(levels(v, n))


def chain(xs, n):
    if n == 0:
        return xs[0] * xs[1]
    return chain([xs[1] * 0.99, xs[0] + 0.01], n - 1) + 0.001 * xs[0]


FUNCTIONS = [
    ("power", power, lambda: 1.001, "a number (unit form)"),
    ("levels", loss_levels, lambda: np.linspace(0.1, 0.5, 4), "an array (split form)"),
    ("chain", chain, lambda: [0.7, 0.3], "a list of two numbers (split form)"),
]


def exponent(depths, times):
    xs = [math.log(d) for d in depths]
    ys = [math.log(t) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.recursion_depth",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--depths", default="25,50,100,200,400",
                   help="recursion depths, comma-separated (default: 25,50,100,200,400)")
    p.add_argument("--repeat", type=int, default=5, help="measurements per cell (default 5)")
    opts = p.parse_args(sys.argv[1:] if argv is None else argv)
    depths = [int(d) for d in opts.depths.split(",")]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * max(depths) + 1000))
    import srcgrad
    settings = Settings(repeat=opts.repeat, target=0.05)
    lines = ["### gradient through a recursion, by depth (median time per call)", "",
             "| function | result | depth | primal | srcgrad.grad | / primal |",
             "|---|---|---:|---:|---:|---:|"]
    curves = []
    for name, f, make, what in FUNCTIONS:
        df = srcgrad.grad(f, wrt=0)
        primal, grad = [], []
        for d in depths:
            x = make()
            df(x, d)                    # (the forms it calls are made at the first call)
            tp = median_time(lambda: f(x, d), settings)
            tg = median_time(lambda: df(x, d), settings)
            primal.append(tp)
            grad.append(tg)
            lines.append(f"| {name} | {what} | {d} | {fmt_time(tp)} | {fmt_time(tg)} | "
                         f"{tg / tp:.2f}x |")
            print(f"  {name} depth {d}: {fmt_time(tg)}", file=sys.stderr, flush=True)
        curves.append((name, exponent(depths, primal), exponent(depths, grad)))
    print("\n".join(lines))
    print()
    for name, ep, eg in curves:
        print(f"- {name}: growth exponent over depths {depths[0]}-{depths[-1]}: primal "
              f"{ep:.2f}, gradient {eg:.2f}")
    print(f"- Python speed: {python_speed():.2f} ms for the reference job "
          f"(benchmarks.harness.python_speed; lower is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
