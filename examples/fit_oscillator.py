"""Fit the stiffness and damping of an oscillator to noisy measurements.

The model is plain NumPy: an explicit-Euler simulation of x'' = -k x - c x'
in a Python loop, compared with the data by a squared error.  srcgrad turns
``loss`` into a readable gradient function, which we print, check against
finite differences, and use for gradient descent.

Run:  python examples/fit_oscillator.py   (or: make demo)
"""

import time

import numpy as np

import srcgrad

DT = 0.02
STEPS = 250


def simulate(k, c, x0, v0):
    """Positions of the oscillator at every step."""
    xs = np.zeros(STEPS)
    x, v = x0, v0
    for t in range(STEPS):
        a = -k * x - c * v
        x = x + DT * v
        v = v + DT * a
        xs[t] = x
    return xs


def loss(k, c, data):
    """Mean squared error of the simulated positions against the data."""
    x, v = 1.0, 0.0
    err = 0.0
    for t in range(STEPS):
        a = -k * x - c * v
        x = x + DT * v
        v = v + DT * a
        r = x - data[t]
        err = err + r * r
    return err / STEPS


def main():
    rng = np.random.default_rng(1)
    k_true, c_true = 4.0, 0.3
    data = simulate(k_true, c_true, 1.0, 0.0) + 0.01 * rng.normal(size=STEPS)

    start = time.perf_counter()
    d_loss = srcgrad.value_and_grad(loss, wrt=(0, 1))
    took = time.perf_counter() - start
    print(f"srcgrad generated the gradient of loss() in {took * 1e3:.1f} ms:\n")
    print(srcgrad.source(d_loss))

    k, c = 2.5, 1.0
    srcgrad.check_grad(loss, k, c, data, wrt=(0, 1))
    print("check_grad: the gradient agrees with central finite differences\n")

    # gradient descent with a simple backtracking step size
    step = 0.5
    value, (dk, dc) = d_loss(k, c, data)
    shown = None
    for it in range(1, 301):
        while True:
            k_new, c_new = k - step * dk, c - step * dc
            new_value, (dk_new, dc_new) = d_loss(k_new, c_new, data)
            if new_value < value or step < 1e-8:
                break
            step *= 0.5
        k, c, value, dk, dc = k_new, c_new, new_value, dk_new, dc_new
        step *= 1.5
        line = f"loss {value:.3e}  k = {k:.4f}  c = {c:.4f}"
        if (it in (1, 2, 5) or it % 25 == 0) and line != shown:    # (once it settles: quiet)
            print(f"iteration {it:3d}: {line}")
            shown = line
    print(f"\nfitted k = {k:.3f} (true {k_true}), c = {c:.3f} (true {c_true})")
    assert abs(k - k_true) < 0.1 and abs(c - c_true) < 0.1, "the fit did not converge"

    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        loss(k, c, data)
    primal = (time.perf_counter() - start) / n
    start = time.perf_counter()
    for _ in range(n):
        d_loss(k, c, data)
    gradient = (time.perf_counter() - start) / n
    print(f"one loss evaluation {primal * 1e6:.0f} µs; value and gradient {gradient * 1e6:.0f} µs "
          f"({gradient / primal:.1f}x)")


if __name__ == "__main__":
    main()
