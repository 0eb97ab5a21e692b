"""The random programs of test_random_programs.py, called as helpers: from
module-level callers (twice, with other arguments, inside a loop) and as
nested functions closing over the caller's variables.  Inlining splices the
callee's normalised body (its returns, breaks and loops) into the caller;
every gradient is checked against finite differences."""

import importlib.util
import sys
import textwrap

import numpy as np
import pytest

import srcgrad
from tests.test_random_programs import Gen, finite_points, smooth_reference

COUNT = 100


def _callers(seed):
    body = Gen(seed).program(f"p{seed}")
    nested = textwrap.indent(body.replace(f"def p{seed}(x, y):", "def inner(u, y):", 1)
                             .replace("(x", "(u").replace(" x", " u").replace("x ", "u "), "    ")
    return f"""{body}

def q{seed}(x, y):
    s = p{seed}(y * 0.7, x) * 1.3
    for k in range(2):
        s = s + p{seed}(x, s * 0.1) * 0.5
    return s


def r{seed}(x, y):
    z = x * 0.9
{nested}
    return inner(z, y) + inner(y, z) * z
"""


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    src = ["import math", "import numpy as np", ""] + [_callers(s) for s in range(COUNT)]
    path = tmp_path_factory.mktemp("random_calls") / "random_calls.py"
    path.write_text("\n".join(src))
    spec = importlib.util.spec_from_file_location("random_calls", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["random_calls"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", range(COUNT))
def test_random_program_called_as_a_helper(programs, seed):
    rng = np.random.default_rng(seed)
    for name in (f"q{seed}", f"r{seed}"):
        f = getattr(programs, name)
        df = srcgrad.grad(f, wrt=(0, 1))
        for args, value in finite_points(f, rng, 2):
            got = df(*args)
            for i in range(2):
                ref = smooth_reference(f, args, i)
                if ref is None:
                    continue
                assert np.isclose(got[i], ref, rtol=1e-4, atol=1e-5), (
                    f"{name} at {args}: d/d{'xy'[i]} srcgrad {got[i]} vs FD {ref}\n"
                    + srcgrad.source(df))
