import numpy as np, timeit, sys
import srcgrad
from srcgrad.compiler.frontend.inline import joint

def lv(u, theta):
    x, y = u[0], u[1]
    return np.array([theta[0] * x - theta[1] * x * y,
                     theta[2] * x * y - theta[3] * y])

def lv2(u, theta):
    x, y = u[0], u[1]
    a = theta[0] * x - theta[1] * x * y + 0.01 * np.sin(x) * theta[0]
    b = theta[2] * x * y - theta[3] * y + 0.01 * np.cos(y) * theta[3]
    c = a * b * 1e-3 - x * y * 1e-3
    return np.array([a + c * theta[1], b - c * theta[2]])

def lvv(u, theta):
    return theta[0] * u - theta[1] * u * np.roll(u, 1) + np.tanh(u) * theta[2] - theta[3] * u * u

def make(rhs):
    def loss(theta, u0, obs):
        h = 0.05
        u = u0
        loss = 0.0
        for i in range(obs.shape[0]):
            k1 = rhs(u, theta)
            k2 = rhs(u + 0.5 * h * k1, theta)
            k3 = rhs(u + 0.5 * h * k2, theta)
            k4 = rhs(u + h * k3, theta)
            u = u + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            loss = loss + np.sum((u - obs[i]) ** 2)
        return loss
    return loss


def lv3(u, theta):
    x, y = u[0], u[1]
    a = theta[0] * x - theta[1] * x * y + 0.01 * np.sin(x) * theta[0]
    b = theta[2] * x * y - theta[3] * y + 0.01 * np.cos(y) * theta[3]
    c = a * b * 1e-3 - x * y * 1e-3
    d = np.exp(-0.1 * x * x) * theta[1] + np.exp(-0.1 * y * y) * theta[2]
    e = np.tanh(a - b) * 1e-2 + np.log(1.0 + x * x) * 1e-3
    return np.array([a + c * theta[1] + d * 1e-2 - e, b - c * theta[2] - d * 1e-2 + e])
