"""The random programs of test_random_programs.py, called as helpers: from
module-level callers (twice, with other arguments, inside a loop), as
nested functions closing over the caller's variables, through
functools.partial and lambdas with defaults, and in a conditional expression
and a while condition.  Inlining splices the
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


def s{seed}(x, y):
    f = functools.partial(p{seed}, y=y * 0.5)
    g = lambda u, scale=0.3: f(u) * scale
    return g(x) + f(x=y) + g(y, scale=x)


def t{seed}(x, y):
    z = p{seed}(x, y) if x > 0 else p{seed}(y, x)
    n = 0
    while p{seed}(z * 0.1, y) > 0.5 and n < 2:
        z = z * 0.9 + y * 0.1
        n = n + 1
    return z
"""


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    return load_module(tmp_path_factory, "random_calls",
                       ["import functools"] + [_callers(s) for s in range(COUNT)])


@pytest.mark.parametrize("seed", range(COUNT))
def test_random_program_called_as_a_helper(programs, seed):
    rng = np.random.default_rng(seed)
    # partials, lambdas with defaults, calls in conditional positions: one seed
    # in four (the suite's time budget)
    names = ("q", "r", "s", "t") if seed % 4 == 0 else ("q", "r")
    for name in (f"{n}{seed}" for n in names):
        f = getattr(programs, name)
        df = srcgrad.grad(f, wrt=(0, 1))
        for args, value in finite_points(f, rng, 2):
            check_point(f, df, args)
