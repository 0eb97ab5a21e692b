"""Finite differences against srcgrad's exact gradient.

A difference quotient has two errors: truncation (the step is not zero,
error ~ h for a forward difference, ~ h**2 for a central one) and rounding
(f is computed to about 1e-16 relative precision, and that error is divided
by h).  Their sum is smallest at h ~ 1e-8 (forward) or ~ 1e-5 (central) and
never below about 1e-8 or 1e-11: a finite-difference gradient is good to
half or two-thirds of the digits.  srcgrad's gradient is exact up to rounding
(~1e-16), for every step size because it takes none.

This prints the error of both quotients over steps 1e-1 ... 1e-13 and, when
matplotlib is installed, saves the same as a plot (finite_differences.png,
or the path given as the first argument).

Run:  python examples/finite_differences.py [plot.png]
"""

import sys

import numpy as np

import srcgrad


def f(x):
    """A smooth function of a vector, with a product, a quotient and a transcendental."""
    return np.sum(np.exp(np.sin(x)) / (1.0 + x * x)) + np.prod(np.cos(x))


def main(plot=None):
    x = np.array([0.3, -1.2, 2.0, 0.7])
    v = np.array([1.0, 2.0, -1.0, 0.5]) / np.sqrt(6.25)     # a unit direction
    d_f = srcgrad.grad(f)
    print(srcgrad.source(d_f))
    exact = d_f(x) @ v                  # the directional derivative, from srcgrad
    # ... checked with a high-order difference at a moderate step (its error is ~1e-12)
    h = 1e-3
    rich = (-f(x + 2 * h * v) + 8 * f(x + h * v) - 8 * f(x - h * v) + f(x - 2 * h * v)) / (12 * h)
    assert abs(rich - exact) < 1e-9 * max(1.0, abs(exact))

    steps = [10.0 ** -k for k in range(1, 14)]
    forward = [abs((f(x + h * v) - f(x)) / h - exact) for h in steps]
    central = [abs((f(x + h * v) - f(x - h * v)) / (2 * h) - exact) for h in steps]
    print(f"directional derivative from srcgrad: {exact:.16f}\n")
    print("   step h   | forward difference error | central difference error")
    print("  ----------|--------------------------|-------------------------")
    for h, e1, e2 in zip(steps, forward, central):
        print(f"   {h:8.0e} |        {e1:9.2e}         |        {e2:9.2e}")
    best_f, best_c = min(forward), min(central)
    print(f"\nbest forward difference error {best_f:.1e} (at h = {steps[forward.index(best_f)]:.0e}),"
          f" best central {best_c:.1e} (at h = {steps[central.index(best_c)]:.0e});"
          f" srcgrad is exact to rounding.")
    assert 1e-12 < best_f and 1e-14 < best_c     # the quotients never reach srcgrad's precision

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(install matplotlib to get the plot)")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(steps, forward, "o-", label="forward difference")
    ax.loglog(steps, central, "s-", label="central difference")
    ax.axhline(np.finfo(float).eps * abs(exact), color="k", ls="--", label="srcgrad (rounding)")
    ax.set_xlabel("step h")
    ax.set_ylabel("error of the derivative")
    ax.legend()
    fig.tight_layout()
    path = plot or "finite_differences.png"
    fig.savefig(path)
    print(f"plot saved to {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
