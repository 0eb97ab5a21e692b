"""Linear and logistic regression fitted by gradient descent, each with the
gradient srcgrad generates from the loss as you would write it.

The linear fit is compared with NumPy's least-squares solution, the
logistic fit with the labels it should separate.

Run:  python examples/linear_and_logistic_regression.py
"""

import numpy as np

import srcgrad


def squared_error(w, b, X, y):
    residual = X @ w + b - y
    return np.mean(residual ** 2)


def cross_entropy(w, b, X, labels):
    z = X @ w + b
    # log(1 + exp(z)) - labels * z, written stably for large |z|
    return np.mean(np.logaddexp(0.0, z) - labels * z)


def descend(d_loss, w, b, X, y, rate, steps):
    for _ in range(steps):
        gw, gb = d_loss(w, b, X, y)
        w, b = w - rate * gw, b - rate * gb
    return w, b


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))

    # linear regression: y = X w + b + noise
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.7 + 0.1 * rng.normal(size=200)
    d_squared_error = srcgrad.grad(squared_error, wrt=(0, 1))
    print(srcgrad.source(d_squared_error))
    srcgrad.check_grad(squared_error, np.zeros(3), 0.0, X, y, wrt=(0, 1))
    w, b = descend(d_squared_error, np.zeros(3), 0.0, X, y, rate=0.1, steps=500)
    exact = np.linalg.lstsq(np.column_stack([X, np.ones(200)]), y, rcond=None)[0]
    print("linear:   w =", np.round(w, 4), " b =", round(b, 4))
    print("lstsq:    w =", np.round(exact[:3], 4), " b =", round(exact[3], 4))
    assert np.allclose(np.append(w, b), exact, atol=1e-6)

    # logistic regression: labels from a noisy linear rule
    labels = (X @ np.array([2.0, -1.0, 0.0]) + 0.3 * rng.normal(size=200) > 0.0).astype(float)
    d_cross_entropy = srcgrad.grad(cross_entropy, wrt=(0, 1))
    print(srcgrad.source(d_cross_entropy))
    srcgrad.check_grad(cross_entropy, np.zeros(3), 0.0, X, labels, wrt=(0, 1))
    w, b = descend(d_cross_entropy, np.zeros(3), 0.0, X, labels, rate=0.5, steps=2000)
    accuracy = np.mean((X @ w + b > 0.0) == (labels > 0.5))
    print("logistic: w =", np.round(w, 3), " b =", round(b, 3), f" training accuracy {accuracy:.1%}")
    assert accuracy > 0.9


if __name__ == "__main__":
    main()
