"""Random loops of the shape ``optimise/eager_reverse.py`` changes: a sum or
an array accumulated over the iterations (in some programs in the branch an
early return leaves), terms from inner loops, branches,
helper arrays written in place, a seed that is a constant, a parameter or
made from the sum (where the pass must leave the loop alone).  Every
program is checked in every mode against finite differences, and the pass
must fire on a good share of them (else the test tests nothing)."""

import random

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler.optimise import eager_reverse
from tests.modes import assert_sound
from tests.test_random_programs import load_module

COUNT = 60


def program(seed):
    rng = random.Random(seed)
    pick = rng.choice
    lines = [f"def f{seed}(x, w, k):"]
    if rng.random() < 0.3:          # the loop in one branch (branch_join.py)
        lines.append("    if k > 0.6:")
        lines.append("        return " + pick(["np.sum(x * x) * k", "w[0] * k + np.sum(x)"]))
    lines.append("    s = 0.0")
    arrays = rng.random() < 0.25
    if arrays:
        lines.append("    acc = np.zeros(3)")
    if rng.random() < 0.5:
        lines.append("    c = np.tanh(k) + 0.5")
        c = "c"
    else:
        c = "k"
    lines.append("    for i in range(x.shape[0]):")
    body = []
    t = pick(["x[i] * k", "np.sin(x[i]) * " + c, "x[i] * x[i] + w[i % 3]",
              "np.exp(-x[i] * x[i]) * w[0]"])
    body.append(f"t = {t}")
    if rng.random() < 0.5:          # an inner loop carrying a value
        body += ["p = 0.0", "for j in range(3):",
                 "    p = " + pick(["p * x[i] + w[j]", "np.tanh(p * k + w[j])",
                                    "p * 0.5 + x[i] * w[j]"]),
                 "t = t + p"]
    if rng.random() < 0.4:          # a branch
        body += ["if t > 0.1:", "    u = t * " + c, "else:", "    u = -0.5 * t"]
    else:
        body.append("u = t * t")
    if rng.random() < 0.3:          # a local array written in place
        body += ["v = np.zeros(3)", "v[1] = u", "u = u + np.sum(v * w)"]
    body.append(pick(["s = s + u * " + c, "s = s - u", "s += np.sin(u)", "s = s + u * t"]))
    if arrays:
        body.append(pick(["acc = acc + w * u", "acc += np.cos(w * t)"]))
    lines += ["        " + b for b in body]
    total = "s" + (" + np.sum(acc * w)" if arrays else "")
    if rng.random() < 0.35:         # a second sum over the same arrays
        lines += ["    r = 0.0", "    for i in range(x.shape[0]):",
                  "        q = " + pick(["np.cos(x[i] * w[1])", "x[i] * k + w[i % 3]"]),
                  "        " + pick(["r = r + q * q", "r = r - np.tanh(q) * x[i]"])]
        total += " + " + pick(["r", "0.3 * r", "r * s"])
    # the seed of s: a constant (the pass applies), or made from the loop's
    # results (``* k``: d_k starts from s; np.sin: d_s from s): it must not
    lines.append("    return " + pick([f"0.5 * ({total})", f"{total}", f"2.0 * ({total}) - 1.0",
                                      f"({total}) * k", f"np.sin({total})"]))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    return load_module(tmp_path_factory, "random_eager", [program(s) for s in range(COUNT)])


def test_random_accumulating_loops(programs, monkeypatch):
    fired = []
    real = eager_reverse._fuse

    def fuse(*args, **kwargs):
        found = real(*args, **kwargs)
        if found is not None:
            fired.append(1)
        return found
    monkeypatch.setattr(eager_reverse, "_fuse", fuse)
    rng = np.random.default_rng(7)
    problems, fused = [], 0
    for seed in range(COUNT):
        f = getattr(programs, f"f{seed}")
        args = (rng.uniform(-1, 1, 5), rng.uniform(-1, 1, 3), float(rng.uniform(0.3, 0.9)))
        srcgrad.clear_cache()
        before = len(fired)
        try:
            assert_sound(f, args, wrt=(0, 1, 2), modes=("grad", "jvp", "hvp"))
        except AssertionError as e:
            problems.append(f"seed {seed}: {e}\n{program(seed)}")
        fused += len(fired) > before
    assert not problems, "\n\n".join(problems)
    assert fused >= COUNT // 4, fused
