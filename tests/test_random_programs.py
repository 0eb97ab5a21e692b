"""Random structured programs (nested loops, branches, break, continue,
return, loop-carried and per-iteration values) checked against finite
differences.  Deterministic: each program comes from a fixed seed."""

import importlib.util
import random
import sys

import numpy as np
import pytest

import srcgrad
from srcgrad.api.check import numerical_grad

UNARY = ["np.sin({})", "np.cos({})", "np.tanh({})", "math.sin({})", "({} * 0.5)", "(-{})",
         "({} * {} * 0.1)", "np.exp(np.tanh({}))"]
BINARY = ["({} + {})", "({} - {})", "({} * {} * 0.3)", "np.tanh({} * {})", "max({}, {})",
          "({} / (1.5 + np.sin({})))"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.lines = []
        self.vars = ["x", "y"]
        self.loop_vars = []

    def expr(self, depth=0):
        r = self.r
        if depth > 1 or r.random() < 0.3:
            choice = r.random()
            if choice < 0.7:
                return r.choice(self.vars)
            if choice < 0.85 and self.loop_vars:
                return f"({r.choice(self.loop_vars)} * 0.1)"
            return repr(round(r.uniform(-2, 2), 2))
        if r.random() < 0.5:
            t = r.choice(UNARY)
            a = self.expr(depth + 1)
            return t.format(*([a] * t.count("{}")))
        t = r.choice(BINARY)
        a, b = self.expr(depth + 1), self.expr(depth + 1)
        return t.format(a, b) if t.count("{}") == 2 else t.format(a, b, b)

    def block(self, indent, depth, in_loop):
        n = self.r.randint(1, 4)
        for _ in range(n):
            self.stmt(indent, depth, in_loop)

    def stmt(self, indent, depth, in_loop):
        r, pad = self.r, "    " * indent
        k = r.random()
        if depth < 3 and k < 0.18:
            self.lines.append(f"{pad}if {r.choice(self.vars)} > {round(r.uniform(-1, 1), 2)}:")
            self.block(indent + 1, depth + 1, in_loop)
            if r.random() < 0.5:
                self.lines.append(f"{pad}else:")
                self.block(indent + 1, depth + 1, in_loop)
        elif depth < 3 and k < 0.32:
            i = f"i{depth}"
            self.lines.append(f"{pad}for {i} in range({r.randint(0, 4)}):")
            self.loop_vars.append(i)
            self.block(indent + 1, depth + 1, True)
            self.loop_vars.pop()
        elif depth < 3 and k < 0.38:
            c = f"c{depth}"
            self.lines.append(f"{pad}{c} = 0")
            self.lines.append(f"{pad}while {c} < {r.randint(1, 3)}:")
            self.lines.append(f"{pad}    {c} = {c} + 1")
            self.block(indent + 1, depth + 1, True)
        elif in_loop and k < 0.44:
            self.lines.append(f"{pad}if {r.choice(self.vars)} > {round(r.uniform(0, 2), 2)}:")
            self.lines.append(f"{pad}    {r.choice(['break', 'continue'])}")
        elif k < 0.47:
            self.lines.append(f"{pad}if {r.choice(self.vars)} > {round(r.uniform(0.5, 2), 2)}:")
            self.lines.append(f"{pad}    return {self.expr()}")
        else:
            fresh = [v for v in ("a", "b", "c") if v not in self.vars]
            new = depth == 0 and fresh and r.random() < 0.3
            target = fresh[0] if new else r.choice(self.vars)
            self.lines.append(f"{pad}{target} = {self.expr()}")
            if target not in self.vars:
                self.vars.append(target)

    def program(self, name):
        self.lines = [f"def {name}(x, y):"]
        self.block(1, 0, False)
        self.lines.append(f"    return {' + '.join(self.vars)}")
        return "\n".join(self.lines) + "\n"


def load_module(tmp_path_factory, name, sources):
    """Write generated ``sources`` (each a function's text) to a file and
    import it as module ``name`` (srcgrad reads source from files)."""
    src = ["import math", "import numpy as np", ""] + list(sources)
    path = tmp_path_factory.mktemp(name) / f"{name}.py"
    path.write_text("\n".join(src))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def make_module(tmp_path_factory, count):
    return load_module(tmp_path_factory, "random_programs",
                       (Gen(seed).program(f"p{seed}") for seed in range(count)))


COUNT = 300


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    return make_module(tmp_path_factory, COUNT)


def smooth_reference(f, args, i):
    """Finite differences at two step sizes; None where they disagree (a
    branch decision flips within the step: no derivative to compare)."""
    a = numerical_grad(f, args, i, eps=1e-6)
    b = numerical_grad(f, args, i, eps=1e-7)
    if not np.isclose(a, b, rtol=1e-3, atol=1e-5):
        return None
    return a


def finite_points(f, rng, count):
    """Up to ``count`` random points (x, y) where ``f`` is finite and moderate."""
    for _ in range(count):
        args = tuple(float(v) for v in rng.uniform(-1.5, 1.5, size=2))
        try:
            value = f(*args)
        except (OverflowError, ZeroDivisionError):
            continue
        if np.isfinite(value) and abs(value) <= 1e6:
            yield args, value


def check_point(f, df, args):
    """``df(*args)`` (a gradient for both of ``f``'s arguments) agrees with
    finite differences wherever ``f`` is smooth around ``args``."""
    got = df(*args)
    for i in range(2):
        ref = smooth_reference(f, args, i)
        if ref is None:
            continue
        assert np.isclose(got[i], ref, rtol=1e-4, atol=1e-5), (
            f"{f.__name__} at {args}: d/d{'xy'[i]} srcgrad {got[i]} vs FD {ref}\n"
            + srcgrad.source(df))
    return got


@pytest.mark.parametrize("seed", range(COUNT))
def test_random_program(programs, seed):
    f = getattr(programs, f"p{seed}")
    df = srcgrad.grad(f, wrt=(0, 1))
    rng = np.random.default_rng(seed)
    for args, value in finite_points(f, rng, 3):
        got = check_point(f, df, args)
        # the generic (array-capable) version agrees with the float fast path
        generic = df(np.float64(args[0]), np.float64(args[1]))
        assert np.allclose(generic, got, rtol=1e-10, atol=1e-12)
