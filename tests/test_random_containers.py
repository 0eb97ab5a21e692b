"""The random programs of test_random_programs.py rewritten to take their
inputs in a dict and to record values in a list as they go (appends in
loops and branches, a pop now and then, comprehensions over the list at the
return): gradients with respect to the dict against finite differences, and
forward mode against reverse mode."""

import random
import re

import numpy as np
import pytest

import srcgrad
from tests.test_random_programs import Gen, load_module, smooth_reference

COUNT = 80
_ASSIGN = re.compile(r"^(\s+)([a-z]\w*) = (?!0$)(.+)$")
_RETURN = re.compile(r"^(\s+)return (.+)$")


def containerised(seed):
    src = Gen(seed).program("body")
    r = random.Random(1000 + seed)
    lines = [f"def c{seed}(p):", '    x = p["x"]', '    y = p["y"]', "    acc = [x * 0.1]"]
    for line in src.splitlines()[1:]:
        m = _RETURN.match(line)
        if m:
            pad, value = m.groups()
            lines.append(f"{pad}return ({value}) + 0.1 * sum(acc) + sum([v * v for v in acc]) * 0.01")
            continue
        lines.append(line)
        m = _ASSIGN.match(line)
        if m and not m.group(2).startswith("c") and r.random() < 0.6:
            pad, target, _ = m.groups()
            lines.append(f"{pad}acc.append({target} * 0.5)")
            if r.random() < 0.3:
                lines.append(f"{pad}if len(acc) > 2:")
                lines.append(f"{pad}    last = acc.pop()")
                lines.append(f"{pad}    acc.append(last * 0.9 + acc[0])")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    return load_module(tmp_path_factory, "random_containers",
                       (containerised(s) for s in range(COUNT)))


@pytest.mark.parametrize("seed", range(COUNT))
def test_random_container_program(programs, seed):
    f = getattr(programs, f"c{seed}")
    df = srcgrad.grad(f)
    jvp = srcgrad.jvp(f)
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(3):
        x, y = (float(v) for v in rng.uniform(-1.5, 1.5, size=2))
        p = {"x": x, "y": y}
        try:
            value = f(p)
        except (OverflowError, ZeroDivisionError):
            continue
        if not np.isfinite(value) or abs(value) > 1e6:
            continue
        got = df(p)
        assert p == {"x": x, "y": y}                       # the input is not changed
        assert type(got) is dict and set(got) == {"x", "y"}
        for key, i in (("x", 0), ("y", 1)):
            ref = smooth_reference(lambda a, b: f({"x": a, "y": b}), (x, y), i)
            if ref is None:
                continue
            checked += 1
            assert np.isclose(got[key], ref, rtol=1e-4, atol=1e-5), (
                f"c{seed} at {p}: d/d{key} srcgrad {got[key]} vs FD {ref}\n" + srcgrad.source(df))
        # forward mode along a random direction agrees with reverse mode
        t = {"x": 0.3, "y": -0.7}
        _, tangent = jvp(p, t)
        assert np.isclose(tangent, 0.3 * got["x"] - 0.7 * got["y"], rtol=1e-6, atol=1e-8)
