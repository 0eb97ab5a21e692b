"""Random array programs that write into arrays (x[i] = v, slices, +=)
inside loops and branches, checked against finite differences in reverse
mode and against forward mode.  Deterministic: one seed per program."""

import random

import numpy as np
import pytest

import srcgrad
from srcgrad.api.check import numerical_grad
from tests.test_random_programs import load_module

N = 4
ELEMENTWISE = ["np.sin({})", "np.tanh({})", "({} * 0.5)", "np.cos({})", "({} * {} * 0.2)"]


class ArrayGen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.lines = []
        self.loop = []

    def index(self):
        r = self.r
        if self.loop and r.random() < 0.5:
            return f"({r.choice(self.loop)} + {r.randint(0, 3)}) % {N}"
        return str(r.randint(0, N - 1))

    def scalar(self, depth=0):
        r = self.r
        k = r.random()
        if depth > 1 or k < 0.3:
            return r.choice([f"a[{self.index()}]", f"x[{self.index()}]", "y", "np.sum(a) * 0.1"])
        if k < 0.6:
            t = r.choice(ELEMENTWISE)
            a = self.scalar(depth + 1)
            return t.format(*([a] * t.count("{}")))
        return f"({self.scalar(depth + 1)} + {self.scalar(depth + 1)})"

    def array(self):
        r = self.r
        t = r.choice(ELEMENTWISE)
        base = r.choice(["a", "x", "(a * x)"])
        return t.format(*([base] * t.count("{}")))

    def block(self, indent, depth):
        for _ in range(self.r.randint(1, 4)):
            self.stmt(indent, depth)

    def stmt(self, indent, depth):
        r, pad = self.r, "    " * indent
        k = r.random()
        if depth < 2 and k < 0.2:
            i = f"i{depth}"
            self.lines.append(f"{pad}for {i} in range({r.randint(0, 4)}):")
            self.loop.append(i)
            self.block(indent + 1, depth + 1)
            self.loop.pop()
        elif depth < 2 and k < 0.32:
            self.lines.append(f"{pad}if {self.scalar(1)} > {round(r.uniform(-0.5, 0.5), 2)}:")
            self.block(indent + 1, depth + 1)
            if r.random() < 0.5:
                self.lines.append(f"{pad}else:")
                self.block(indent + 1, depth + 1)
        elif k < 0.55:
            self.lines.append(f"{pad}a[{self.index()}] = {self.scalar()}")
        elif k < 0.65:
            self.lines.append(f"{pad}a[{self.index()}] += {self.scalar()}")
        elif k < 0.75:
            lo = r.randint(0, N - 2)
            self.lines.append(f"{pad}a[{lo}:{lo + 2}] = {self.scalar()} * x[{lo}:{lo + 2}]")
        elif k < 0.88:
            self.lines.append(f"{pad}a = {self.array()}")
        else:
            self.lines.append(f"{pad}y = {self.scalar()}")

    def program(self, name):
        self.lines = [f"def {name}(x, y):", "    a = x * 1.0"]
        self.block(1, 0)
        self.lines.append("    return np.sum(a * a) + np.sum(a * x) + y")
        return "\n".join(self.lines) + "\n"


COUNT = 150


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    return load_module(tmp_path_factory, "random_array_programs",
                       (ArrayGen(s).program(f"q{s}") for s in range(COUNT)))


@pytest.mark.parametrize("seed", range(COUNT))
def test_random_array_program(programs, seed):
    f = getattr(programs, f"q{seed}")
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-1, 1, size=N), float(rng.uniform(-1, 1))
    x_before = x.copy()
    gx, gy = srcgrad.grad(f, wrt=(0, 1))(x, y)
    assert np.array_equal(x, x_before), "the caller's array changed"
    fx = numerical_grad(f, (x, y), 0, eps=1e-6)
    fx2 = numerical_grad(f, (x, y), 0, eps=1e-7)
    fy = numerical_grad(f, (x, y), 1, eps=1e-6)
    fy2 = numerical_grad(f, (x, y), 1, eps=1e-7)
    smooth = np.allclose(fx, fx2, rtol=1e-3, atol=1e-5) and np.isclose(fy, fy2, rtol=1e-3, atol=1e-5)
    if smooth:
        assert np.allclose(gx, fx, rtol=1e-4, atol=1e-5), srcgrad.source(srcgrad.grad(f, wrt=(0, 1)))
        assert np.isclose(gy, fy, rtol=1e-4, atol=1e-5)
    # forward mode agrees with reverse mode along a random direction
    v, w = rng.normal(size=N), float(rng.normal())
    value, pushed = srcgrad.jvp(f, wrt=(0, 1))(x, y, v, w)
    assert np.isclose(value, f(x, y))
    assert np.isclose(pushed, np.vdot(gx, v) + gy * w, rtol=1e-7, atol=1e-9)
