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

from tests.modes import assert_sound

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


def lam_dict_view_and_unpack(x):
    d = {"a": x[0], "b": x[1]}
    g = lambda dd: sum([v * v for k, v in dd.items()])   # noqa: E731
    h = lambda dd: {**dd, "c": 2.0}                       # noqa: E731
    k = lambda t: [e for e in t] if t[0] > 0 else [0.0]   # noqa: E731  (never called)
    e = h(d)
    return g(d) + e["c"] * x[2]


def def_nested_comp(x):
    def g(t):
        def h(u):
            return [a * u for a in t]
        return sum(h(2.0))
    return g(x) + sum([g(x * e) for e in [1.0, 2.0]])


def lam_comp_in_ifexp_called(x):
    k = lambda t: [e for e in t] if t[0] > 0 else [0.0]   # noqa: E731
    return sum(k(x))


def lam_set_comp_called(x):
    k = lambda t: sum({e for e in t})   # noqa: E731
    return k(x)


LAMBDAS = [lam_dict_view_and_unpack, def_nested_comp, lam_comp_unused, lam_comp_unused_active, lam_comp_called, lam_comp_called_param,
           lam_comp_in_loop, lam_genexp, lam_dictcomp, def_comp_unused, def_comp_called,
           lam_comp_in_comp_arg]


@pytest.mark.parametrize("f", LAMBDAS, ids=lambda f: f.__name__)
def test_comprehension_in_lambda(f):
    sound(f, [X], 0, hvp="ok-or-refused")


# -- 2. a name rebound to a value that does not depend on wrt ----------------------------
# (the accumulation into the other value's adjoint was kept while its zeros
# were removed as dead: ``optimise.eliminate_dead_code`` did not see that
# ``d_x += e`` reads ``d_x``)

def rebind_in_for(x, M):
    a5, a6, a7 = M
    for q16 in x:
        a6 = x
    return np.sum(a6)


def rebind_in_for_mixed(x, M):
    a5, a6, a7 = M
    for q in x:
        a6 = x * a6
    return np.sum(a6 * a5)


def rebind_in_while(x, M):
    a5, a6, a7 = M
    k = 0
    while k < 3:
        a6 = x
        k = k + 1
    return np.sum(a6)


def rebind_in_while_cond(x, M):
    a5, a6, a7 = M
    k = 0
    while k < len(x):
        if x[k] > 0:
            a6 = x
        k = k + 1
    return np.sum(a6 * a7)


def rebind_in_branch(x, M):
    a5, a6, a7 = M
    if x[0] > 0:
        a6 = x
    return np.sum(a6)


def rebind_in_branch_else(x, M):
    a5, a6, a7 = M
    if x[0] < 0:
        a6 = a5 * 2.0
    else:
        a6 = x
    return np.sum(a6 * a6)


def rebind_several(x, M):
    a5, a6, a7 = M
    for q in x:
        a6 = x
        a7 = x + 1.0
        a5 = a5 * q
    return np.sum(a5 + a6 + a7)


def rebind_branch_in_loop(x, M):
    a5, a6, a7 = M
    for q in x:
        if q > 0:
            a6 = x
        else:
            a7 = x * q
    return np.sum(a6 * a7)


def rebind_nested_loops(x, M):
    a5, a6, a7 = M
    for i in range(2):
        for q in x:
            a6 = x
        a7 = a7 * a6
    return np.sum(a7)


def rebind_from_row_loop(x, M):
    rows = [r for r in M]
    s = 0.0
    for r in rows:
        t = r
        for q in x:
            t = x
        s = s + np.sum(t)
    return s


def rebind_scalar(x, M):
    a5, a6, a7 = M
    s = a6[0]
    for q in x:
        s = q
    return s * 2.0


def rebind_in_empty_loop(x, M):
    a5, a6, a7 = M
    for q in x[x > 10]:            # no iteration
        a6 = x * q
    return np.sum(a6)


def rows_in_empty_while(x, M):
    a5, a6, a7 = M
    k = 0
    while k < len(x) and x[k] > 10:
        r = M[1]
        a6 = r * x
        k = k + 1
    return np.sum(a6 * a6)


REBINDS = [rebind_in_empty_loop, rows_in_empty_while, rebind_in_for, rebind_in_for_mixed, rebind_in_while, rebind_in_while_cond,
           rebind_in_branch, rebind_in_branch_else, rebind_several, rebind_branch_in_loop,
           rebind_nested_loops, rebind_from_row_loop, rebind_scalar]


@pytest.mark.parametrize("f", REBINDS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
@pytest.mark.parametrize("x", [X, -X], ids=["x", "minus_x"])
def test_rebind_to_inactive(f, wrt, x):
    sound(f, [x, M], wrt, hvp="ok-or-refused")


# -- 2b. an inactive value read through an index or a copy on one path only -------------
# (the reverse sweep gave it an adjoint, which nothing consumed: where paths
# merged, its zeros were made from a primal unbound on the other path)

def branch_view_of_constant(x):
    if x[0] >= 0.7:
        return 0.5
    d = x if x[1] <= 0.5 else np.ones((2, 4))[1]
    return np.sum(d * x)


def branch_copy_of_constant(x):
    c = np.ones(4)
    if x[2] > 0:
        w = np.linspace(0.0, 1.0, 4)
        d = w
    else:
        d = x
    return np.sum(d * x)


def loop_view_of_constant(x):
    s = 0.0
    for k in range(3):
        if x[k] > 0:
            t = np.ones((3, 4))
            r = t[k]
        else:
            r = x
        s = s + np.sum(r * x)
    return s


def branch_row_of_unused_matrix(x, M):
    if x[1] > 0:
        r = M[0]
    else:
        r = x * 2.0
    return np.sum(r * r)


@pytest.mark.parametrize("f", [branch_view_of_constant, branch_copy_of_constant,
                               loop_view_of_constant], ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [X, -X, np.array([0.9, 0.6, -0.2, 0.1])],
                         ids=["x", "minus_x", "big"])
def test_inactive_source_on_one_path(f, x):
    sound(f, [x], 0, hvp="ok-or-refused")


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
@pytest.mark.parametrize("x", [X, -X], ids=["x", "minus_x"])
def test_row_of_matrix_on_one_path(wrt, x):
    sound(branch_row_of_unused_matrix, [x, M], wrt, hvp="ok-or-refused")


def test_comprehension_in_lambda_refused_where_called():
    """A construct refused in a lambda's body (a set comprehension) is refused
    where the lambda is inlined, naming the lambda's line; a comprehension in
    a branch of ``x if c else y`` (refused before) is differentiated."""
    for mode in ("grad", "jvp"):
        outcomes = assert_sound(lam_set_comp_called, [X], 0, modes=(mode,),
                                expect="refused")
        line = lam_set_comp_called.__code__.co_firstlineno + 1
        assert f"test_soundness_r2crash.py:{line}" in str(outcomes[0]), outcomes
    assert_sound(lam_comp_in_ifexp_called, [X], 0, expect="ok")
    assert_sound(lam_comp_in_ifexp_called, [-X], 0, expect="ok")