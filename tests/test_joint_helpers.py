"""Helpers called from several sites get one adjoint function of their own
(issue #14, "generated code that mirrors the user's structure";
``frontend/inline/joint.py``): in reverse mode the call stays a call of the
helper's primal form, and its adjoint is the helper's own ``vjp`` (which
computes the primal again from the arguments, Tapenade's joint mode); in every other mode (and for small helpers, helpers
called once, helpers that write into their arguments or take containers) the
helper is inlined.  Every mode against finite differences.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler.frontend.inline import joint
from tests.modes import assert_sound

RNG = np.random.default_rng(14)


@pytest.fixture(autouse=True)
def small_helpers_too(monkeypatch):
    """The helpers here are small (about 15 operations): they get adjoint
    functions of their own with a lower threshold (the default keeps helpers
    that small inlined, where a call costs more than the copy saves)."""
    monkeypatch.setattr(joint, "MIN_OPERATIONS", 8)
    monkeypatch.setattr(joint, "MIN_NUMBER_OPERATIONS", 8)
    srcgrad.clear_cache()
    yield
    srcgrad.clear_cache()


# -- helpers at module level (only those get adjoint functions of their own) ----

def decay(y, k):
    return -k * y + 0.1 * np.sin(y) * k - 0.05 * y * y + np.cos(k * y) * 0.2


def rk4_scalar(k, y0):
    h = 0.1
    y = y0
    for i in range(5):
        k1 = decay(y, k)
        k2 = decay(y + 0.5 * h * k1, k)
        k3 = decay(y + 0.5 * h * k2, k)
        k4 = decay(y + h * k3, k)
        y = y + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y * y


def lotka(u, theta):
    x, y = u[0], u[1]
    return np.array([theta[0] * x - theta[1] * x * y,
                     theta[2] * x * y - theta[3] * y])


def rk4_array(theta, u0):
    h = 0.05
    u = u0
    loss = 0.0
    for i in range(6):
        k1 = lotka(u, theta)
        k2 = lotka(u + 0.5 * h * k1, theta)
        k3 = lotka(u + 0.5 * h * k2, theta)
        k4 = lotka(u + h * k3, theta)
        u = u + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        loss = loss + np.sum(u * u)
    return loss


def bump(x, w):
    return np.tanh(w * x) * np.exp(-x * x) + w * np.sin(x) * x - 0.5 * w * w * x


def loop_and_branch(x, w):
    total = 0.0
    for i in range(3):
        total = total + np.sum(bump(x * (i + 1.0), w))
    if np.sum(x) > 0.0:
        total = total + np.sum(bump(x + 1.0, w * 2.0))
    else:
        total = total - np.sum(bump(x - 1.0, w))
    return total


def scaled(x, a=2.0, mode="sin", *, ignored=None):
    return x


def smooth(x, a=0.5, b=1.5, power=2):
    return a * np.sin(b * x) ** power + b * np.cos(a * x) * x - a * b * x ** power


def keywords(x, y):
    return np.sum(smooth(x) + smooth(x, b=y) + smooth(a=y, x=x * 2.0, power=3)
                  + smooth(y * x, 0.25))


def inner(x, c):
    return np.sin(c * x) * x + np.cos(x) * c - x * x * c + 0.5 * x


def outer(x, c):
    return inner(x, c) * inner(x * 2.0, c) + np.sum(x) * c + np.tanh(x) * x * c


def nested(x, c):
    return np.sum(outer(x, c) + outer(x + 1.0, c * 0.5))


SCALE = 0.75
OFFSET = np.array([0.1, -0.2, 0.3])


def shifted(x, k):
    return np.sin(SCALE * x + OFFSET) * k + OFFSET * x * k - SCALE * x * x + k


def with_globals(x, k):
    return np.sum(shifted(x, k) * shifted(x * 0.5, k + 1.0))


def partly(x, k):
    return np.sin(k * x) + k * x * x - np.cos(x) * k * k + x / (1.0 + k * k)


def inactive_somewhere(x, k):
    # k inactive at the first site, active at the second; x inactive at the third
    return np.sum(partly(x, 0.3) * partly(x * 2.0, k) + partly(np.ones(3), k))


def two_results(x, k):
    s = np.sin(k * x) * x - k * x
    c = np.cos(k * x) * k + x * x * k
    return s, c


def uses_pairs(x, k):
    s1, c1 = two_results(x, k)
    s2, c2 = two_results(x * 1.5, k * 2.0)
    return np.sum(s1 * c2 + s2 * c1)


def scales_in_place(v, k):
    v[0] = v[0] * k
    return v * np.sin(k) + np.cos(v) * k - v * v * k


def mutating(x, k):
    a = x * 1.0
    b = scales_in_place(a, k)
    c = scales_in_place(a, k * 2.0)
    return np.sum(b * c + a)


def from_list(xs, k):
    return xs[0] * np.sin(k) + xs[1] * np.cos(k) * k - xs[0] * xs[1] * k + np.tanh(xs[1]) * k


def list_helper(x, k):
    return np.sum(from_list([x, x * 2.0], k) + from_list([x * x, x], k * 0.5))


def from_dict(d, k):
    return d["a"] * np.sin(k) + d["b"] * np.cos(k) * k - d["a"] * d["b"] * k + d["a"] * k


def dict_helper(x, k):
    return np.sum(from_dict({"a": x, "b": x * 2.0}, k) + from_dict({"a": x * x, "b": x}, k))


def grows(xs, x):
    xs.append(x * np.sin(x) + np.cos(x) * x - x * x * 0.5 + np.tanh(x))
    return xs[-1] * 2.0 + np.sum(xs[0]) * 0.0 + x * 0.5


def appends(x):
    xs = [x]
    a = grows(xs, x)
    b = grows(xs, x * 2.0)
    return np.sum(a * b) + np.sum(xs[-1])


def changes_after(x, k):
    # the caller writes into the argument and into a result after the calls:
    # the helper's reverse sweep must see the values of the call
    a = x * 1.0
    y = partly(a, k)
    a[0] = a[1] * k
    z = partly(a, k * 0.5)
    z[1] = z[1] * 3.0 + y[0]
    return np.sum(y * z) + np.sum(a)


X3 = RNG.standard_normal(3)

PROGRAMS = [
    (rk4_scalar, (0.7, 1.3), (0, 1)),
    (rk4_array, (np.array([1.5, 1.0, 1.0, 3.0]), np.array([1.0, 0.8])), (0, 1)),
    (loop_and_branch, (X3.copy(), 0.6), (0, 1)),
    (keywords, (X3.copy(), 0.9), (0, 1)),
    (nested, (X3.copy(), 0.8), (0, 1)),
    (with_globals, (X3.copy(), 0.4), (0, 1)),
    (inactive_somewhere, (X3.copy(), 0.7), (0, 1)),
    (changes_after, (X3.copy(), 0.8), (0, 1)),
    (uses_pairs, (X3.copy(), 0.6), (0, 1)),
]
IDS = [f.__name__ for f, _, _ in PROGRAMS]
#: helpers that get an adjoint function of their own in each program's gradient
JOINT = {rk4_scalar: "decay", rk4_array: "lotka", loop_and_branch: "bump", keywords: "smooth",
         nested: "outer", with_globals: "shifted", inactive_somewhere: "partly",
         changes_after: "partly", uses_pairs: "two_results"}


@pytest.mark.parametrize("f, args, wrt", PROGRAMS, ids=IDS)
def test_every_mode_against_finite_differences(f, args, wrt):
    assert_sound(f, args, wrt=wrt)
    assert_sound(f, args, wrt=wrt[0])


@pytest.mark.parametrize("f, args, wrt", PROGRAMS, ids=IDS)
def test_the_helper_has_an_adjoint_function_of_its_own(f, args, wrt):
    text = srcgrad.source(srcgrad.grad(f, wrt=wrt))
    name = JOINT[f]
    assert f"def vjp_{name}" in text and f"def {name}(" in text
    # the caller calls both; no inlined copy of its body is left in the caller,
    # and no closure is made per call (the reverse sweep passes the arguments again)
    caller = text.split(f"\n\n\ndef {name}(")[0]
    assert caller.count(f"vjp_{name}") >= 2 and caller.count(f" = {name}(") >= 2
    assert "_back" not in caller and "split" not in caller


def _fd(fun, x, h=1e-6):
    """Central differences of ``fun`` (scalar or array result) along each
    component of the float or array ``x``."""
    x = np.asarray(x, float)
    cols = []
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        e = e.reshape(x.shape)
        plus = fun(x + e if x.ndim else float(x + e))
        minus = fun(x - e if x.ndim else float(x - e))
        cols.append((np.asarray(plus) - np.asarray(minus)) / (2 * h))
    return np.stack(cols, axis=-1).reshape(np.shape(cols[0]) + x.shape)


@pytest.mark.parametrize("f, args, wrt", PROGRAMS, ids=IDS)
def test_value_and_grad_vjp_and_hessian(f, args, wrt):
    value, g = srcgrad.value_and_grad(f, wrt=0)(*args)
    assert value == pytest.approx(f(*args), rel=1e-12)
    fd = _fd(lambda x: f(x, *args[1:]), args[0])
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6)
    out, pulled = srcgrad.vjp(f, wrt=(0, 1))(*args, 2.0)
    np.testing.assert_allclose(pulled[0], 2.0 * fd, rtol=1e-5, atol=1e-6)
    H = srcgrad.hessian(f, wrt=0)(*args)
    gfun = srcgrad.grad(f, wrt=0)
    fdH = _fd(lambda x: gfun(x, *args[1:]), args[0], h=1e-5)
    np.testing.assert_allclose(H, fdH, rtol=1e-4, atol=1e-5)


def test_second_and_third_derivatives_of_rk4():
    g1 = srcgrad.grad(rk4_scalar, wrt=0)
    g2 = srcgrad.grad(g1, wrt=0)
    g3 = srcgrad.grad(g2, wrt=0)
    h = 1e-5
    assert g2(0.7, 1.3) == pytest.approx((g1(0.7 + h, 1.3) - g1(0.7 - h, 1.3)) / (2 * h),
                                         rel=1e-6)
    assert g3(0.7, 1.3) == pytest.approx((g2(0.7 + h, 1.3) - g2(0.7 - h, 1.3)) / (2 * h),
                                         rel=1e-5)
    assert srcgrad.hvp(rk4_scalar, wrt=0)(0.7, 1.3, 1.0) == pytest.approx(g2(0.7, 1.3),
                                                                          rel=1e-10)


def test_grad_of_grad_through_an_array_helper():
    # d/dk of (d/dx . v), the helpers with defaults taken by keyword in their vjp
    def inner_product(x, k):
        return np.sum(srcgrad.grad(keywords, wrt=0)(x, k) * np.array([1.0, -2.0, 0.5]))
    gk = srcgrad.grad(inner_product, wrt=1)(X3, 0.9)
    h = 1e-5
    fd = (inner_product(X3, 0.9 + h) - inner_product(X3, 0.9 - h)) / (2 * h)
    assert gk == pytest.approx(fd, rel=1e-5)


@pytest.mark.parametrize("f, args", [
    (mutating, (X3.copy(), 0.6)),
    (list_helper, (X3.copy(), 0.6)),
    (dict_helper, (X3.copy(), 0.6)),
    (appends, (X3.copy(),)),
], ids=["writes-into-argument", "list-argument", "dict-argument", "list-append"])
def test_helpers_that_cannot_have_one_are_inlined(f, args):
    assert_sound(f, args, wrt=0)
    text = srcgrad.source(srcgrad.grad(f, wrt=0))
    assert "def vjp_" not in text


def test_small_helpers_and_single_calls_are_inlined():
    def f(x):
        return np.sum(decay(x, 0.5)) + np.sum(scaled(x) * scaled(x * 2.0))
    text = srcgrad.source(srcgrad.grad(f))
    assert "vjp_" not in text          # decay called once, scaled too small
    assert_sound(f, (X3.copy(),))


def test_forward_mode_inlines():
    text = srcgrad.source(srcgrad.jvp(rk4_array, wrt=0))
    assert "vjp_" not in text


def test_the_policy():
    assert joint.MIN_SITES == 2
    from srcgrad.compiler.frontend.parse import parse
    # a higher threshold keeps helpers of about 15 operations inlined
    assert joint.joint_helpers(parse(nested), min_operations=48) == []
    assert [h.__name__ for h in joint.joint_helpers(parse(nested))] == ["outer"]
    assert [h.__name__ for h in joint.joint_helpers(parse(rk4_array))] == ["lotka"]
    assert [h.__name__ for h in joint.joint_helpers(parse(mutating))] == []


def test_the_default_thresholds(monkeypatch):
    # 12 operations for a helper reading elements of a parameter (arrays), 48 for
    # one that may be given numbers (there two calls cost more than the copy)
    from srcgrad.compiler.frontend.parse import parse
    monkeypatch.setattr(joint, "MIN_OPERATIONS", 12)
    monkeypatch.setattr(joint, "MIN_NUMBER_OPERATIONS", 48)
    assert [h.__name__ for h in joint.joint_helpers(parse(rk4_array))] == ["lotka"]
    assert joint.joint_helpers(parse(rk4_scalar)) == []


@pytest.mark.parametrize("f, args, wrt", [PROGRAMS[1], PROGRAMS[3], PROGRAMS[4], PROGRAMS[5],
                                          PROGRAMS[8]],
                         ids=["rk4_array", "keywords", "nested", "with_globals", "uses_pairs"])
def test_standalone_export_runs_with_numpy_only(f, args, wrt, tmp_path):
    """The export defines the helpers' adjoint functions (a helper's own
    helpers' too), writes their globals in, and runs where srcgrad and the
    user's module cannot be imported."""
    df = srcgrad.grad(f, wrt=wrt)
    text = srcgrad.source(df, standalone=True)
    assert f"def vjp_{JOINT[f]}" in text and f"def {JOINT[f]}(" in text
    assert "import srcgrad" not in text
    assert "tests" not in "".join(ln for ln in text.splitlines() if ln.startswith(("import",
                                                                                  "from")))
    path = tmp_path / "exported.py"
    given = ", ".join(f"np.array({a.tolist()!r})" if isinstance(a, np.ndarray) else repr(a)
                      for a in args)
    path.write_text(text + f"\n\nimport numpy as np\ng = d_{f.__name__}({given})\n"
                    "print(repr([np.asarray(e).tolist() for e in g]))\n")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}
    out = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    got = eval(out.stdout)
    for a, b in zip(got, df(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_disk_cache_keeps_the_helpers_adjoint_function(tmp_path):
    code = textwrap.dedent("""
        import numpy as np, srcgrad
        from tests.test_joint_helpers import rk4_array
        df = srcgrad.grad(rk4_array, wrt=(0, 1))
        g = df(np.array([1.5, 1.0, 1.0, 3.0]), np.array([1.0, 0.8]))
        print(getattr(df, "srcgrad_from_disk", False), "def vjp_lotka(" in srcgrad.source(df))
        print(repr(np.concatenate(g).tolist()))
    """)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, SRCGRAD_CACHE="1", SRCGRAD_CACHE_DIR=str(tmp_path),
               PYTHONPATH=root, SRCGRAD_JOINT_OPERATIONS="8")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, cwd=root, timeout=300) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    first, second = (r.stdout.splitlines() for r in runs)
    assert first[0] == "False True" and second[0] == "True True"
    assert first[1] == second[1]


def in_expressions(x, k):
    # sites in a comprehension, a lambda, a conditional expression
    total = sum(np.sum(partly(x * (i + 1.0), k)) for i in range(2))
    g = lambda t: partly(t, k * 0.5)              # noqa: E731
    total = total + np.sum(g(x) * g(x + 0.5))
    return total + (np.sum(partly(x, k)) if k > 0.0 else np.sum(partly(-x, k)))


def with_an_inactive_site(x, k):
    # a site whose result has no derivative (a while test): the helper is inlined there
    n = 0
    while np.sum(partly(x, 0.2)) > 100.0 and n < 3:
        n += 1
    return np.sum(partly(x, k) * partly(x * 2.0, k)) + n


def test_sites_in_expressions():
    assert_sound(in_expressions, (X3.copy(), 0.7), wrt=(0, 1))
    text = srcgrad.source(srcgrad.grad(in_expressions, wrt=(0, 1)))
    assert "def vjp_partly" in text
    assert_sound(with_an_inactive_site, (X3.copy(), 0.7), wrt=(0, 1))
    text = srcgrad.source(srcgrad.grad(with_an_inactive_site, wrt=(0, 1)))
    caller = text.split("\n\n\ndef partly(")[0]
    assert "def vjp_partly" in text and "np.cos(" in caller    # (one copy inlined)


def complex_sites(x, c):
    return np.real(np.sum(outer(x, c) * np.conj(outer(x + 1.0, c * 0.5))))


def test_complex_arguments_take_the_inlined_version(monkeypatch):
    # the version for complex arguments inlines every helper (docs/complex.md)
    z = np.array([0.3 + 0.2j, -0.5 + 0.1j, 0.7 - 0.4j])
    df = srcgrad.grad(complex_sites, wrt=0)
    assert "def vjp_outer" in srcgrad.source(df)
    got = df(z, 0.8)
    monkeypatch.setattr(joint, "MIN_OPERATIONS", 10 ** 6)
    srcgrad.clear_cache()
    inlined = srcgrad.grad(complex_sites, wrt=0)
    assert "vjp_" not in srcgrad.source(inlined)
    np.testing.assert_allclose(got, inlined(z, 0.8), rtol=1e-13)
    h = 1e-6
    fd = [(complex_sites(z + h * e, 0.8) - complex_sites(z - h * e, 0.8)) / (2 * h)
          for e in np.eye(3)]
    np.testing.assert_allclose(got.real, fd, rtol=1e-6)


# -- the vjp computes the primal again: what must not run twice is inlined --------

CALLS = []


def noisy(x, k):
    CALLS.append(1)                       # (a side effect: a second run would show)
    return np.sin(k * x) + k * x * x - np.cos(x) * k * k + x / (1.0 + k * k)


def random_shift(x, k):
    return np.sin(k * x) * np.random.normal() + k * x * x - np.cos(x) * k * k + x * k


def calls_noisy(x, k):
    return np.sum(noisy(x, k) * noisy(x * 2.0, k))


def calls_random(x, k):
    np.random.seed(3)
    return np.sum(random_shift(x, k) + random_shift(x * 2.0, k))


def test_helpers_that_may_not_run_twice_are_inlined():
    for f in (calls_noisy, calls_random):
        text = srcgrad.source(srcgrad.grad(f, wrt=(0, 1)))
        assert "def vjp_" not in text, f.__name__
    assert_sound(calls_random, (X3.copy(), 0.7), wrt=(0, 1))
    CALLS.clear()
    srcgrad.grad(calls_noisy, wrt=(0, 1))(X3.copy(), 0.7)
    assert len(CALLS) == 2                # as many as the primal's calls


def changed_after_call(x, k):
    # the argument changes in place after each call: the vjp must see the value
    # the call saw (the reverse sweep reads it from the tape)
    u = x * 1.0
    total = 0.0
    for i in range(3):
        v = partly(u, k)
        u += 0.5 * v
        w = partly(u, k * 0.5)
        u[0] = u[0] * w[1]
        total = total + np.sum(v * w)
    return total


def test_arguments_changed_in_place_after_the_call():
    text = srcgrad.source(srcgrad.grad(changed_after_call, wrt=(0, 1)))
    assert "def vjp_partly" in text
    assert_sound(changed_after_call, (X3.copy(), 0.7), wrt=(0, 1))


# -- what the vjp reads again must be as the call saw it ----------------------------
# A helper reading a global array, list or object that the caller changes between two
# calls: its vjp (run in the caller's reverse sweep) would read the changed value.  The
# split form of the tenth session read the global in its closure at that time too:
# grad was 44.2 where finite differences give 52.2 (the first component here), and the
# inlined gradient left the array changed after the call (its reverse sweep restores
# only what it reads), so hvp was wrong.  Writing into the module's array is refused
# now; a list changed by its methods has the helper inlined.

TABLE = np.ones(3)
HISTORY = [1.0, 2.0]


def reads_table(x):
    return np.sum(TABLE * x * x) + TABLE[0] * x[0] * x[1] + np.sin(x[2]) * TABLE[1] + x[0] ** 3


def changes_table(x):
    a = reads_table(x)
    TABLE[0] = 5.0
    b = reads_table(x * 2.0)
    TABLE[0] = 1.0
    return a * b


def set_first(v, a):
    v[0] = a


def changes_table_in_a_helper(x):
    a = reads_table(x)
    set_first(TABLE, 5.0)
    b = reads_table(x * 2.0)
    set_first(TABLE, 1.0)
    return a * b


def reads_history(x):
    return x[0] * x[1] * HISTORY[-1] + x[2] * x[0] * len(HISTORY) + np.sin(x[1]) * x[2] * x[0]


def changes_history(x):
    a = reads_history(x)
    HISTORY.append(3.0)
    b = reads_history(x * 2.0)
    HISTORY.pop()
    return a * b


def reads_table_only(x):
    return reads_table(x) * reads_table(x * 2.0)


@pytest.mark.parametrize("f", [changes_table, changes_table_in_a_helper],
                         ids=lambda f: f.__name__)
def test_writing_into_the_modules_array_is_refused(f):
    with pytest.raises(srcgrad.UnsupportedError, match="srcgrad never changes such objects"):
        srcgrad.grad(f)
    with pytest.raises(srcgrad.UnsupportedError, match="srcgrad never changes such objects"):
        srcgrad.jvp(f)
    assert TABLE[0] == 1.0


def test_a_list_the_caller_changes_is_read_by_an_inlined_copy():
    x = np.array([0.3, 0.5, 0.7])
    g = srcgrad.grad(changes_history)(x)
    np.testing.assert_allclose(g, _fd(changes_history, x), rtol=1e-6)
    assert "def vjp_" not in srcgrad.source(srcgrad.grad(changes_history))
    assert_sound(changes_history, (x,))
    assert HISTORY == [1.0, 2.0]


def test_a_global_the_caller_leaves_alone_keeps_the_vjp():
    x = np.array([0.3, 0.5, 0.7])
    assert "def vjp_reads_table" in srcgrad.source(srcgrad.grad(reads_table_only))
    assert_sound(reads_table_only, (x,))


def returns_the_modules_array(p, k):
    a = p[0] * k + np.sin(p[1]) * k * p[0] - p[2] * p[2] * k + np.cos(p[0] * k)
    return TABLE[:2] * 1.0 if a > 100.0 else TABLE[:2]


def writes_what_a_helper_returned(x):
    a = returns_the_modules_array(x, 0.5)
    b = returns_the_modules_array(x * 2.0, 0.7)
    c = a * x[0]
    a[0] = 4.0
    r = np.sum(c * b) + np.sum(TABLE) * x[1]
    a[0] = 1.0
    return r


def test_a_helper_returning_the_modules_array_is_inlined():
    # the caller would write into the module's array through the result unseen;
    # inlined, the write is seen and refused
    with pytest.raises(srcgrad.UnsupportedError, match="may share memory with 'TABLE'"):
        srcgrad.grad(writes_what_a_helper_returned)
    assert TABLE[0] == 1.0


def expand(p, k):               # the name of one of srcgrad's runtime helpers
    return p[0] * k + np.sin(p[1]) * k * p[0] - p[2] * p[2] * k + np.cos(p[0] * k) * p


def calls_expand(x):
    return np.sum(expand(x, 0.5) * expand(x * 2.0, 0.7)) + np.sum(np.sum(x) * x)


def test_a_helper_named_like_a_runtime_helper_exports_under_another_name():
    x = np.array([0.3, 0.5, 0.7])
    df = srcgrad.grad(calls_expand)
    text = srcgrad.source(df, standalone=True)
    assert "def primal_expand(p, k):" in text and "def vjp_expand_p(" in text
    assert "def expand(" in text            # srcgrad's own, which the code may call too
    namespace = {}
    exec(compile(text, "<export>", "exec"), namespace)
    np.testing.assert_allclose(namespace["d_calls_expand"](x), df(x), rtol=1e-13)
    np.testing.assert_allclose(df(x), _fd(calls_expand, x), rtol=1e-6)
