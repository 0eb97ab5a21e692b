"""The random programs of test_random_programs.py, called as helpers: from
module-level callers (twice, with other arguments, inside a loop) and as
nested functions closing over the caller's variables.  Inlining splices the
callee's normalised body (its returns, breaks and loops) into the caller;
every gradient is checked against finite differences."""

import textwrap

import numpy as np
import pytest

import srcgrad
from tests.test_random_programs import Gen, check_point, finite_points, load_module

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
    return load_module(tmp_path_factory, "random_calls", (_callers(s) for s in range(COUNT)))


@pytest.mark.parametrize("seed", range(COUNT))
def test_random_program_called_as_a_helper(programs, seed):
    rng = np.random.default_rng(seed)
    for name in (f"q{seed}", f"r{seed}"):
        f = getattr(programs, name)
        df = srcgrad.grad(f, wrt=(0, 1))
        for args, value in finite_points(f, rng, 2):
            check_point(f, df, args)
