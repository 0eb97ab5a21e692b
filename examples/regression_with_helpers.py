"""A small neural regression written the way people write NumPy code: the
parameters in a dict, a helper function per layer, a closure for the weight
penalty, a generator expression over the layers.  srcgrad inlines the
helpers and the closure into one readable gradient function, whose gradient
is a dict with the same keys as the parameters.

Run:  python examples/regression_with_helpers.py
"""

import numpy as np

import srcgrad


def dense(p, name, x, act=np.tanh):
    return act(x @ p["W" + name] + p["b" + name])


def identity(z):
    return z


def loss(params, x, y):
    scale = params["decay"]

    def penalty(w):
        return 0.5 * scale * np.sum(w * w)

    h = dense(params, "1", x)
    pred = dense(params, "2", h, act=identity)[:, 0]
    data = np.mean((pred - y) ** 2)
    return data + sum(penalty(params[k]) for k in ("W1", "W2"))


def main():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2.0, 2.0, size=(200, 1))
    y = np.sin(2.0 * x[:, 0]) + 0.05 * rng.normal(size=200)
    params = {"W1": 0.5 * rng.normal(size=(1, 16)), "b1": np.zeros(16),
              "W2": 0.5 * rng.normal(size=(16, 1)), "b2": np.zeros(1), "decay": 1e-4}

    value_and_grad = srcgrad.value_and_grad(loss)
    print(srcgrad.source(value_and_grad).split("\n\n\n")[0])
    print()

    # the gradient is a dict with the parameters' keys; check it entry by entry
    for key in ("W1", "b2"):
        srcgrad.check_grad(lambda a, key=key: loss({**params, key: a}, x, y), params[key])
    print("gradient checked against finite differences")

    # plain gradient descent with momentum, in the dict structure
    velocity = {k: np.zeros_like(v) for k, v in params.items() if k != "decay"}
    first = None
    for step in range(1500):
        value, grads = value_and_grad(params, x, y)
        first = value if first is None else first
        for k in velocity:
            velocity[k] = 0.9 * velocity[k] - 0.05 * grads[k]
            params[k] = params[k] + velocity[k]
    print(f"loss: {first:.4f} at the start, {value:.4f} after {step + 1} steps")
    assert value < 0.2 * first, "the fit did not converge"


if __name__ == "__main__":
    main()
