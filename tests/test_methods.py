"""The Python users write (issue #14): methods of objects passed as
arguments (``osc.energy(x)``, ``osc`` a parameter).  Which function such a
call calls depends on the argument's class: the derivative is generated,
when it is called, once per tuple of classes of those arguments
(``srcgrad.api.classes``), each version guarded like ``self.method``; in
every mode against finite differences; source and export of the versions
seen; the disk cache keyed by the classes' sources; refusals."""

import dataclasses
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import srcgrad
from srcgrad.api.classes import PerClass
from tests.modes import assert_sound

ROOT = pathlib.Path(__file__).resolve().parent.parent
X = np.array([0.5, -0.2, 0.3])


class Osc:
    def __init__(self, k):
        self.k = k

    def energy(self, x):
        return 0.5 * self.k * np.sum(x * x) + np.sum(np.sin(self.k * x))

    def step(self, x, dt=0.1):
        self.k = self.k * (1.0 + dt * np.sum(x))

    def total(self, x):
        return self.energy(x) * self.k


class Quartic(Osc):
    def energy(self, x):
        return self.k * np.sum(x ** 4)


@dataclasses.dataclass
class Spring:
    k: float
    rest: float

    def energy(self, x):
        return 0.5 * self.k * (x - self.rest) ** 2


def energy_of(osc, x):
    return osc.energy(x)


def steps_then_total(osc, x):
    for i in range(2):
        osc.step(x, dt=0.05)
    return osc.total(x)


def two_objects(a, b, x):
    return a.energy(x) * b.energy(2.0 * x)


def _through(o, x):
    return o.energy(x) + 1.0


def through_a_helper(osc, x):
    return _through(osc, x) * 2.0


def spring_chain(s, x):
    return s.energy(x) + s.energy(2.0 * x) * s.k


@dataclasses.dataclass
class Body:
    x: float
    v: float

    def step(self, dt, k):
        self.v -= dt * k * self.x
        self.x += dt * self.v

    def energy(self, k):
        return 0.5 * self.v ** 2 + 0.5 * k * self.x ** 2


def local_object_methods(k):
    b = Body(1.0, 0.0)
    for i in range(5):
        b.step(0.1, k)
    return b.energy(k)


def argument_object_methods(b, k):
    for i in range(5):
        b.step(0.1, k)
    return b.energy(k)


CASES = [
    (local_object_methods, (0.7,), 0),
    (argument_object_methods, (Body(1.0, 0.2), 0.7), 1),
    (energy_of, (Osc(2.0), X.copy()), 1),
    (energy_of, (Quartic(2.0), X.copy()), 1),
    (energy_of, (Spring(2.0, 0.3), 1.5), 1),
    (steps_then_total, (Osc(2.0), X.copy()), 1),
    (two_objects, (Osc(2.0), Quartic(0.5), X.copy()), 2),
    (through_a_helper, (Osc(1.5), X.copy()), 1),
    (spring_chain, (Spring(2.0, 0.3), 1.5), 1),
]


@pytest.mark.parametrize("f,args,wrt", CASES, ids=[f"{c[0].__name__}-{i}"
                                                  for i, c in enumerate(CASES)])
def test_methods_of_arguments_in_every_mode(f, args, wrt):
    srcgrad.clear_cache()
    assert_sound(f, args, wrt)


def test_a_version_per_class_guarded():
    srcgrad.clear_cache()
    df = srcgrad.grad(energy_of, wrt=1)
    assert isinstance(df, PerClass)
    a = df(Osc(2.0), X)
    b = df(Quartic(2.0), X)
    assert not np.allclose(a, b) and len(df.versions) == 2
    df(Osc(3.0), X)
    assert len(df.versions) == 2                      # the same class: the same version
    for_osc = df.for_classes(osc=Osc)
    with pytest.raises(srcgrad.SrcgradError, match="overrides energy"):
        for_osc(Quartic(2.0), X)                      # a version never runs for another class
    assert np.allclose(srcgrad.value_and_grad(energy_of, wrt=1)(Osc(2.0), X)[1], a)


def test_hessian_and_jacobian():
    srcgrad.clear_cache()
    H = srcgrad.hessian(steps_then_total, wrt=1)(Osc(2.0), X)
    g = srcgrad.grad(steps_then_total, wrt=1)
    fd = np.array([(g(Osc(2.0), X + 1e-6 * e) - g(Osc(2.0), X - 1e-6 * e)) / 2e-6
                   for e in np.eye(3)])
    assert np.allclose(H, fd, atol=1e-6)
    J = srcgrad.jacobian(steps_then_total, wrt=1)(Osc(2.0), X)
    assert np.allclose(J, g(Osc(2.0), X))             # (the primal runs on a copy of osc)


def test_source_shows_the_versions_seen():
    srcgrad.clear_cache()
    df = srcgrad.grad(energy_of, wrt=1)
    with pytest.raises(srcgrad.SrcgradError, match="is generated for the classes of its "
                                                   "arguments osc"):
        srcgrad.source(df)
    df(Osc(2.0), X)
    df(Quartic(2.0), X)
    text = srcgrad.source(df)
    assert "def d_energy_of_for_Osc(osc, x):" in text
    assert "def d_energy_of_for_Quartic(osc, x):" in text
    assert "check_method(osc, Quartic, 'energy')" in text
    assert "if classes == ('tests.test_methods.Quartic',):" in text


MODEL = '''\
import numpy as np


class Osc:
    def __init__(self, k):
        self.k = k

    def energy(self, x):
        return 0.5 * self.k * np.sum(x ** 2)


class Quartic(Osc):
    def energy(self, x):
        return self.k * np.sum(x ** 4)


def f(osc, x):
    return osc.energy(x) * 2.0
'''

RUN = '''\
import sys
sys.path.insert(0, {dir!r})
import numpy as np
import srcgrad
import model
df = srcgrad.grad(model.f, wrt=1)
g = df(model.Osc(2.0), np.arange(3.0))
print(repr(getattr(df.for_classes(osc=model.Osc), "srcgrad_from_disk", False)), g.tolist())
'''


def _run(project, cache):
    env = dict(os.environ, SRCGRAD_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    env.pop("SRCGRAD_CACHE", None)
    out = subprocess.run([sys.executable, str(project / "run.py")], capture_output=True,
                         text=True, env=env, check=True, cwd=project)
    hit, value = out.stdout.split(" ", 1)
    return hit == "True", value


def test_disk_cache_is_keyed_by_the_classes(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "run.py").write_text(RUN.format(dir=str(tmp_path)))
    cache = tmp_path / "cache"
    hit1, v1 = _run(tmp_path, cache)
    hit2, v2 = _run(tmp_path, cache)
    assert (hit1, hit2) == (False, True) and v1 == v2
    # the method changes: a new version, with the new derivative
    (tmp_path / "model.py").write_text(MODEL.replace("0.5 * self.k", "1.5 * self.k"))
    hit3, v3 = _run(tmp_path, cache)
    assert hit3 is False and v3 != v1


def test_export_runs_without_srcgrad(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    script = f'''
import sys
sys.path.insert(0, {str(tmp_path)!r})
import numpy as np
import srcgrad
import model
df = srcgrad.grad(model.f, wrt=1)
df(model.Osc(2.0), np.arange(3.0))
df(model.Quartic(2.0), np.arange(3.0))
open({str(tmp_path / "exported.py")!r}, "w").write(srcgrad.source(df, standalone=True))
'''
    env = dict(os.environ, PYTHONPATH=str(ROOT), SRCGRAD_CACHE="0")
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=tmp_path)
    check = f'''
import sys
sys.modules["srcgrad"] = None
sys.path.insert(0, {str(tmp_path)!r})
import runpy
import numpy as np
import model
ns = runpy.run_path({str(tmp_path / "exported.py")!r})
d = ns["d_f"]
x = np.arange(3.0)
assert np.allclose(d(model.Osc(2.0), x, Osc=model.Osc, Quartic=model.Quartic), 4.0 * x)
assert np.allclose(d(model.Quartic(2.0), x, Osc=model.Osc, Quartic=model.Quartic), 16.0 * x ** 3)
try:
    d(object(), x, Osc=model.Osc, Quartic=model.Quartic)
except TypeError as e:
    assert "generated for the classes of osc" in str(e)
else:
    raise AssertionError("another class ran a version")
'''
    subprocess.run([sys.executable, "-c", check], check=True, cwd=tmp_path,
                   env=dict(os.environ, PYTHONPATH=""))


# -- refusals ------------------------------------------------------------------------

class Library:
    energy = staticmethod(np.sin)


def test_a_method_srcgrad_cannot_read_is_refused_when_called():
    df = srcgrad.grad(energy_of, wrt=1)
    with pytest.raises(srcgrad.UnsupportedError, match="cannot differentiate osc.energy"):
        df(Library(), X)


def array_method(x, y):
    return np.sum(x.tolist()) * y


def test_methods_of_arrays_are_refused_as_before():
    with pytest.raises(srcgrad.UnsupportedError, match="tolist"):
        srcgrad.grad(array_method, wrt=0)


class Counter:
    def __init__(self):
        self.n = 0

    def note(self, label):
        try:                          # (a body srcgrad would not inline)
            self.n += len(label)
        except TypeError:
            pass
        return self.n


def keeps_an_inactive_method_call(x):
    c = Counter()
    c.note("x")
    return x * x + c.n


def test_an_inactive_method_of_a_local_object_stays_a_call():
    # (the class is used only for calls the analysis would refuse)
    assert srcgrad.grad(keeps_an_inactive_method_call)(1.5) == 3.0


# -- a method whose result only decides a branch, or is never used (fuzz, gen_methods.py) --

class Bumper:
    def __init__(self, k):
        self.k = k

    def level(self, x):
        return self.k * np.sum(x)

    def bump(self, x):
        x[0] = x[0] + self.k
        return 0.0


def branch_on_method(osc, x):
    s = osc.level(x)              # not differentiated: only the branch reads it
    if s > 0.0:
        return np.sum(x ** 2)
    return np.sum(np.sin(x))


def unused_method_result(osc, x):
    t = osc.level(x * 2.0)
    return np.sum(x ** 3)


def method_writes_its_argument(osc, x):
    y = x * 1.0
    osc.bump(y)                   # changes y in place: seen once the method is inlined
    return np.sum(y ** 2)


@pytest.mark.parametrize("f", [branch_on_method, unused_method_result])
@pytest.mark.parametrize("k", [1.5, -1.5])
def test_method_results_not_differentiated_are_not_refused(f, k):
    """An unused result was refused ('osc.level(...) is called and its result is
    never used with differentiated arguments', found by the fuzzer's method
    stream): the call is now resolved from the class of ``osc`` like any other
    method call."""
    assert_sound(f, (Bumper(k), X), wrt=1)


def test_a_method_statement_writing_its_argument():
    assert_sound(method_writes_its_argument, (Bumper(0.7), X), wrt=1, expect="ok-or-refused")
    g = srcgrad.grad(method_writes_its_argument, wrt=1)(Bumper(0.7), X)
    y = X.copy()
    y[0] += 0.7
    np.testing.assert_allclose(g, 2.0 * y)
