"""Vector-valued functions for the forward-mode dot-product test, each with a
twin ``*_dot(x, ..., u)`` returning ``np.vdot(u, f(x, ...))`` (the same body:
srcgrad does not differentiate calls to Python functions yet), whose
gradient is ``J^T u`` by reverse mode."""

import numpy as np

A = np.array([[0.5, -0.3, 0.8], [0.1, 0.9, -0.4], [-0.7, 0.2, 0.3], [0.6, 0.4, -0.2]])


def layer(x):
    h = np.tanh(A @ x) * x[0]
    for i in range(3):
        h = h + 0.1 * np.sin(h) * x[i]
    return h


def layer_dot(x, u):
    h = np.tanh(A @ x) * x[0]
    for i in range(3):
        h = h + 0.1 * np.sin(h) * x[i]
    return np.vdot(u, h)


def branchy(x, y):
    z = x * y
    if np.sum(x) > 0.0:
        z = np.exp(-z) * x
    else:
        z = z ** 2 + y
    return np.cumsum(z) + np.max(x) * y


def branchy_dot(x, y, u):
    z = x * y
    if np.sum(x) > 0.0:
        z = np.exp(-z) * x
    else:
        z = z ** 2 + y
    return np.vdot(u, np.cumsum(z) + np.max(x) * y)


def matrix_fun(m, s):
    a = m @ m.T + 3.0 * np.eye(3)
    b = np.linalg.inv(a) * s + np.outer(np.diag(m), np.sum(m, axis=0))
    return np.tril(b) + np.linalg.det(a) * 0.01


def matrix_fun_dot(m, s, u):
    a = m @ m.T + 3.0 * np.eye(3)
    b = np.linalg.inv(a) * s + np.outer(np.diag(m), np.sum(m, axis=0))
    return np.vdot(u, np.tril(b) + np.linalg.det(a) * 0.01)
