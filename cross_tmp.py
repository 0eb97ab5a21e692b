import numpy as np, timeit, sys
import srcgrad
from crossdefs_tmp import lv, lv2, lv3, lvv
from srcgrad.compiler.frontend.inline import joint

def _unused(u, theta):
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

rng = np.random.default_rng(0)
for rhs, n in ((lv, 2), (lv2, 2), (lv3, 2), (lvv, 1000)):
    f = make(rhs)
    args = (np.array([1.5, 1.0, 1.0, 3.0]), rng.random(n), rng.random((300, n)))
    res = {}
    for label, m in (("joint", 1), ("inline", 10**6)):
        joint.MIN_OPERATIONS = m
        srcgrad.clear_cache()
        df = srcgrad.grad(f, wrt=(0, 1))
        src = srcgrad.source(df)
        assert ("split_" in src) == (label == "joint"), label
        df(*args)
        res[label] = min(timeit.repeat(lambda: df(*args), number=3, repeat=7)) / 3 * 1e3
    print(rhs.__name__, {k: round(v, 2) for k, v in res.items()}, round(res["joint"] / res["inline"], 2))
