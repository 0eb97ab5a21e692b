"""A neural network learns XOR by backpropagation -- the backpropagation is
srcgrad's generated gradient, printed below, not a hand derivation.

Two inputs, a hidden layer of four tanh units, one sigmoid output; the loss
is the cross-entropy over the four XOR cases; plain gradient descent.

Run:  python examples/xor_network.py
"""

import numpy as np

import srcgrad

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0.0, 1.0, 1.0, 0.0])


def predict(W1, b1, W2, b2, x):
    hidden = np.tanh(x @ W1 + b1)
    return 1.0 / (1.0 + np.exp(-(hidden @ W2 + b2)))


def loss(W1, b1, W2, b2, x, y):
    p = predict(W1, b1, W2, b2, x)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def main():
    d_loss = srcgrad.grad(loss, wrt=(0, 1, 2, 3))     # the gradient with respect to the weights
    # the generated code: the version for Python floats (behind a type check), then the
    # version for any arrays, which runs here
    print(srcgrad.source(d_loss))

    rng = np.random.default_rng(1)
    W1, b1 = rng.normal(size=(2, 4)), np.zeros(4)
    W2, b2 = rng.normal(size=4), 0.0
    srcgrad.check_grad(loss, W1, b1, W2, b2, X, Y, wrt=(0, 1, 2, 3))   # against finite differences

    rate = 0.5
    for step in range(3001):
        gW1, gb1, gW2, gb2 = d_loss(W1, b1, W2, b2, X, Y)
        W1, b1, W2, b2 = W1 - rate * gW1, b1 - rate * gb1, W2 - rate * gW2, b2 - rate * gb2
        if step % 1000 == 0:
            print(f"step {step:4d}: loss {loss(W1, b1, W2, b2, X, Y):.4f}")

    p = predict(W1, b1, W2, b2, X)
    for x, target, out in zip(X, Y, p):
        print(f"  {x[0]:.0f} xor {x[1]:.0f} = {target:.0f}   network: {out:.3f}")
    assert np.all(np.round(p) == Y), "the network did not learn XOR"


if __name__ == "__main__":
    main()
