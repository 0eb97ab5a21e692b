"""Crashes found by the wide fuzzer (round 2), now right or refused.

1. A lambda (or nested ``def``) whose body holds a comprehension: the
   comprehension belongs to the lambda's scope; it is desugared where the
   lambda is inlined, and ignored when the lambda is never called (it used to
   recurse forever in ``comprehensions.run``).
2. A name bound outside a loop (or branch) to an active value and rebound in
   the loop to another value: the reverse sweep read an adjoint that was
   never initialised on the path that did not contribute.

Every program is checked with ``tests.modes.assert_sound`` (grad, jvp and
hvp against finite differences).
"""

import numpy as np
import pytest

from .modes import assert_sound

X = np.array([0.5, -0.3, 0.8, 0.2])
M = np.arange(12.).reshape(3, 4) / 10 - 0.4


def sound(f, args, wrt=0, hvp="ok"):
    assert_sound(f, args, wrt, modes=("grad", "jvp"))
    assert_sound(f, args, wrt, modes=("hvp",), expect=hvp)


# -- 1. comprehensions in lambdas and nested defs ----------------------------------------

def lam_comp_unused(x):
    g7 = lambda t_, c=0.5: [0.5 for i, e in x]      # noqa: E731
    return 0.5


def lam_comp_unused_active(x):
    g = lambda t: [e * t for e in x]                 # noqa: E731
    return np.sum(x * x)


def lam_comp_called(x):
    g = lambda t: [e * t for e in x]                 # noqa: E731
    return sum(g(2.0))


def lam_comp_called_param(x):
    g = lambda v, c=0.5: sum([np.sin(e) * c for e in v])  # noqa: E731
    return g(x) + g(x * x, 2.0)


def lam_comp_in_loop(x):
    s = 0.0
    for k in range(3):
        h = lambda v: np.sum(np.array([e * k for e in v]))  # noqa: E731
        s = s + h(x)
    return s


def lam_genexp(x):
    g = lambda v: sum(e * e for e in v)              # noqa: E731
    return g(x) * 0.5


def lam_dictcomp(x):
    g = lambda v: {i: v[i] * 2 for i in range(len(v))}  # noqa: E731
    d = g(x)
    return d[0] + d[3]


def def_comp_unused(x):
    def g(t):
        return [e * t for e in x]
    return np.sum(np.cos(x))


def def_comp_called(x):
    def g(t):
        ys = [np.exp(e) * t for e in x]
        return sum(ys)
    return g(1.5) + g(-0.5)


def lam_comp_in_comp_arg(x):
    g = lambda v: [e + 1.0 for e in v]               # noqa: E731
    return sum([a * b for a, b in zip(g(x), x)])


LAMBDAS = [lam_comp_unused, lam_comp_unused_active, lam_comp_called, lam_comp_called_param,
           lam_comp_in_loop, lam_genexp, lam_dictcomp, def_comp_unused, def_comp_called,
           lam_comp_in_comp_arg]


@pytest.mark.parametrize("f", LAMBDAS, ids=lambda f: f.__name__)
def test_comprehension_in_lambda(f):
    sound(f, [X], 0, hvp="ok-or-refused")
