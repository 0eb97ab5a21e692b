"""The reverse of a loop run as its forward goes (``optimise/eager_reverse.py``):
where it applies (sums over iterations with a known seed, the recursive
determinant's levels), where it must not (an adjoint carried from one
iteration to the next, a seed the loop's result decides, a value changed
after the loop), each program checked in every mode against finite
differences, and the pass's conditions one by one on hand-written code."""

import numpy as np
import pytest

import srcgrad
from srcgrad import runtime
from srcgrad.compiler.ir.printer import function, to_source
from srcgrad.compiler.optimise.eager_reverse import run_eagerly
from benchmarks.loop_workloads import det_minors, poly_lsq
from tests.modes import assert_sound

OBJECTS = {"zeros_like": runtime.zeros_like}


def primary(df):
    """The source of the version the arguments above run (the first)."""
    return srcgrad.source(df).split("\n\n\n")[0]


# -- programs where it applies -------------------------------------------------

def horner(c, x, k):
    s = 0.0
    for i in range(len(x)):
        p = 0.0
        for j in range(3):                  # (an inner loop: its values on the tape)
            p = p * x[i] * k + c[j]
        s = s + np.sin(p)
    return s


def weighted(c, x, w):
    s = 0.0
    for i in range(x.shape[0]):
        p = c[0]
        for j in range(1, 3):
            p = np.tanh(p * x[i] + c[j])
        s = s - w[i] * p * p
    return 0.5 * s


def two_sums(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        p = 0.0
        for j in range(2):
            p = np.tanh(p * x[i] + w[j])
        s = s + p * x[i]
    t = 0.0
    for i in range(x.shape[0]):         # (its reverse adds into the same adjoints)
        q = 0.0
        for j in range(2):
            q = np.sin(q + x[i] * w[j])
        t = t + q * q
    return s + 2.0 * t


def in_one_branch(x, flag):
    n = x.shape[0]
    if flag > 0:
        return np.sum(x * x)
    s = 0.0
    for i in range(n):
        s = s + np.exp(x[i]) * x[(i + 1) % n]
    return s


APPLIES = [
    (horner, (np.array([0.3, -0.5, 0.9]), np.linspace(-1, 1, 5), 0.8), (0, 1, 2)),
    (weighted, (np.array([0.3, -0.5, 0.9]), np.linspace(-1, 1, 5), np.linspace(1, 2, 5)),
     (0, 1, 2)),
    (two_sums, (np.linspace(-1, 1, 5), np.array([0.4, -0.2])), (0, 1)),
    (in_one_branch, (np.linspace(-1, 1, 5), -1.0), 0),
    (poly_lsq, (np.array([0.3, -0.2, 0.1]), list(np.linspace(0, 1, 7)),
                list(np.sin(np.linspace(0, 1, 7)))), 0),
    (det_minors, (np.eye(4) + 0.3 * np.random.default_rng(1).standard_normal((4, 4)),), 0),
]


@pytest.mark.parametrize("f, args, wrt", APPLIES, ids=[a[0].__name__ for a in APPLIES])
def test_applies_and_is_sound(f, args, wrt):
    text = primary(srcgrad.grad(f, wrt=wrt))
    # the reverse loops left are inner loops, inside the forward one, and
    # what goes on the tape comes off it in the same iteration
    lines = text.splitlines()
    assert all(line.startswith(" " * 8) for line in lines if "reversed(" in line), text
    assert all(line.startswith(" " * 12) for line in lines if "tape." in line), text
    assert_sound(f, args, wrt=wrt, modes=("grad", "jvp", "hvp"))


def test_the_recursive_determinant_adds_each_minor_at_once():
    """Each level adds the minors' gradients into its own as its loop goes:
    no tape, no reverse loop, the base case's adjoint in its own branch."""
    text = primary(srcgrad.grad(det_minors))
    assert "tape" not in text and "reversed(" not in text, text
    loop = text[text.index("for j in range(n):"):]
    assert loop.index("split_call") < loop.index("pulled(") < loop.index("out_1 = total")
    head = text[:text.index("else:")]
    assert "d_M[0, 0] += 1.0" in head, text


# -- programs where it must not apply --------------------------------------------

def carried(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = 0.5 * s + np.sin(x[i])       # d_s changes from one iteration to the next
    return s


def seed_from_the_loop(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * x[i]
    return np.sqrt(s)                    # d_s is known only once s is


def changed_after(x):
    a = x * 1.0
    s = 0.0
    for i in range(3):
        s = s + a[i] * a[i + 1]
    a[1] = 3.0 * a[2]                    # the reverse reads a as the loop saw it
    return s + np.sum(a * a)


def with_a_break(x):
    s = 0.0
    for i in range(x.shape[0]):
        if s > 1.5:
            break
        s = s + x[i] * x[i]
    return s


def while_loop(x):
    s, i = 0.0, 0
    while i < x.shape[0]:
        s = s + np.cos(x[i])
        i += 1
    return s


def overwritten(x):
    # the reverse loop sets d_u to 0 (u is assigned in each iteration); the
    # statements between the loops assign d_u too, and the reverse loop's comes
    # after theirs (a wrong gradient of this session's first version, found by
    # tests/test_random_calls.py: r74)
    z = x[0] * 0.9
    u = x[1]
    for i in range(2):
        u = i * 0.1
    return (u + z) * z + x[1]


REFUSES = [carried, seed_from_the_loop]
SOUND = [changed_after, with_a_break, while_loop, overwritten]


@pytest.mark.parametrize("f", REFUSES, ids=[f.__name__ for f in REFUSES])
def test_does_not_apply(f):
    text = primary(srcgrad.grad(f))
    assert "reversed(" in text, text
    assert_sound(f, (np.linspace(0.1, 0.9, 5),), modes=("grad", "jvp", "hvp"))


@pytest.mark.parametrize("f", SOUND, ids=[f.__name__ for f in SOUND])
def test_loops_near_the_rule_are_sound(f):
    assert_sound(f, (np.linspace(0.1, 0.9, 5),), modes=("grad", "jvp", "hvp"))


# -- the conditions, on hand-written code ------------------------------------------

BASE = '''
tape = []
total = 0.0
for j in range(n):
    t = x[j] * x[j]
    total = total + t
    tape.append(t)
{between}
d_total = 1.0
d_x = zeros_like(x)
for j in reversed(range(n)):
    t = tape.pop()
    d_x[j] += 2.0 * d_total * x[j]{more}
return {ret}'''


def run(between="", more="", ret="d_x", pair=(2, None)):
    fn = function(BASE.format(between=between, more=more, ret=ret), params="n, x")
    loops = [s for s in fn.body if s.__class__.__name__ == "For"]
    loops[0].srcgrad_pair = 0
    loops[-1].srcgrad_pair = 0 if pair[1] is None else pair[1]
    return to_source(run_eagerly(fn, OBJECTS))


def fused(text):
    return "reversed(" not in text


def test_the_plain_case_fuses():
    text = run()
    assert fused(text) and "tape" not in text, text


def test_a_value_changed_after_the_loop_keeps_the_reverse_loop():
    assert not fused(run(between="x[0] = 2.0"))


def test_an_adjoint_read_between_the_loops_keeps_it():
    assert not fused(run(more="\n    d_x[0] += d_x[1]"))            # read in the reverse loop
    assert not fused(variant("d_x = zeros_like(x)", "d_x = zeros_like(x)\nu = d_x[1] * 2.0"))
    # only added into between the loops (another loop's reverse): the sums commute
    assert fused(variant("d_x = zeros_like(x)", "d_x = zeros_like(x)\nd_x[1] += 1.0"))
    assert not fused(variant("d_x = zeros_like(x)", "d_x[1] += 1.0\nd_x = zeros_like(x)"))
    assert fused(run(more="\nd_x = d_x * 2.0"))                     # after it: the sum


def test_a_name_the_reverse_assigns_read_after_it_keeps_it():
    assert not fused(run(more="\n    u = x[j] * 2.0", ret="d_x, u"))
    assert fused(run(more="\n    u = x[j] * 2.0\n    d_x[j] += u"))


def variant(old, new):
    fn = function(BASE.format(between="", more="", ret="d_x").replace(old, new), params="n, x")
    loops = [s for s in fn.body if s.__class__.__name__ == "For"]
    loops[0].srcgrad_pair = loops[1].srcgrad_pair = 0
    return to_source(run_eagerly(fn, OBJECTS))


def test_a_seed_made_from_the_loop_keeps_it():
    assert not fused(variant("d_total = 1.0", "d_total = 2.0 * total"))
    assert fused(variant("d_total = 1.0", "d_total = 2.0 * n"))


def test_only_the_loops_the_transform_paired_fuse():
    """Two forward loops with the same bounds: the reverse loop is fused
    with the one the reverse transform made it of, never another."""
    assert not fused(run(pair=(2, 1)))


def test_a_name_the_statements_between_assign_keeps_it():
    """The reverse loop's assignment comes after theirs; run as the forward
    goes, it would come before."""
    text = BASE.format(between="", more="\n    d_u = 0.0", ret="d_x, d_u")
    for between in ("d_u = 2.0", ""):
        fn = function(text.replace("d_total = 1.0", "d_total = 1.0\n" + between),
                      params="n, x")
        loops = [s for s in fn.body if s.__class__.__name__ == "For"]
        loops[0].srcgrad_pair = loops[1].srcgrad_pair = 0
        # (read after the loops: the reverse loop's last iteration's value in both)
        assert not fused(to_source(run_eagerly(fn, OBJECTS))), between


def test_differently_named_pops_keep_it():
    assert not fused(variant("t = tape.pop()", "u = tape.pop()"))


def test_a_loop_that_may_stop_early_keeps_it():
    assert not fused(variant("    total = total + t", "    total = total + t\n    if t > 1.0:\n        break"))


def test_a_vjp_runs_its_loop_eagerly_too():
    """The seed of a vjp is its parameter, known before the loop."""
    c, x, k = np.array([0.3, -0.5, 0.9]), np.linspace(-1, 1, 5), 0.8
    vjp = srcgrad.vjp(horner, wrt=(0, 1, 2))
    value, pulled = vjp(c, x, k, 0.7)
    text = primary(vjp)
    assert "d_out = cotangent" in text and not any(
        line.startswith("    for") and "reversed(" in line for line in text.splitlines()), text
    want = srcgrad.grad(horner, wrt=(0, 1, 2))(c, x, k)
    assert np.isclose(value, horner(c, x, k))
    assert all(np.allclose(0.7 * w, p) for w, p in zip(want, pulled))
