"""Methods of an object passed as an argument (issue #14) in the fuzzer's
grammar (mixed into ``gen.Gen``): some programs take a first parameter
``osc``, an :class:`Osc` (a small dataclass defined here, so that its
methods have a source file), and call its methods on the values they
compute -- ``osc.energy(x)`` (a reduction of an array or a float),
``osc.rate(s)`` (a scalar), ``osc.shifted(a)`` (an array), ``osc.total(a,
s)`` (a method calling two others through ``self``) -- or read its fields.
The derivative is made per class of ``osc`` when it is called
(``srcgrad.api.classes``); ``osc`` is data, never in ``wrt``.

Every choice here comes from a random stream of its own (``Gen.rm``), so a
program where no object appears is the one its seed always gave.

>>> from tests.fuzz.gen import generate
>>> programs = [generate(seed) for seed in range(200)]
>>> with_osc = [p for p in programs if p.params[0] == ("osc", "obj")]
>>> used = [p for p in with_osc if "osc." in p.source]    # (a few draw no method call)
>>> len(with_osc) > 10, len(used) > len(with_osc) // 2
(True, True)
>>> all(0 not in (p.wrt if isinstance(p.wrt, tuple) else (p.wrt,)) for p in with_osc)
True
"""

from dataclasses import dataclass

import numpy as np


@dataclass(eq=False)
class Osc:
    """The object the programs take: a stiffness and a vector of length 4."""
    k: float
    c: np.ndarray

    def energy(self, x):
        return 0.5 * self.k * np.sum(x * x) + np.sum(self.c * np.sin(x))

    def rate(self, s):
        return np.tanh(self.k * s) + self.c[0] * s

    def shifted(self, a):
        return a * self.k + self.c

    def total(self, a, s):
        return self.energy(a) * 0.5 + self.rate(s)

    def __repr__(self):
        return f"Osc({round(float(self.k), 6)!r}, np.array({np.round(self.c, 6).tolist()!r}))"


def make_osc(rng):
    """The argument: from the program's argument generator ``rng``."""
    return Osc(float(np.round(rng.uniform(0.5, 1.5), 6)),
               np.round(rng.uniform(-1.0, 1.0, size=4), 6))


class MethodGrammar:
    """Hooks ``Gen`` calls when ``self.method_rate`` (drawn from ``self.rm``) is
    not zero."""

    def method_params(self, params):
        """``params`` with ``osc`` first, for the programs that take one."""
        if not self.method_rate:
            return params
        self.env["osc"] = _var("obj", owned=False)
        return [("osc", "obj")] + params

    def method_stmt(self, indent):
        """A name bound to a method call of ``osc``, or to a field read."""
        r = self.rm
        k = r.random()
        if k < 0.3:
            t = r.choice(["v4", "f"])
            e = self.value(t, 1)
            n = self.fresh("f")
            self.emit(indent, f"{n} = osc.energy({e})")
            self.env[n] = _var("f")
        elif k < 0.5:
            n = self.fresh("f")
            self.emit(indent, f"{n} = osc.rate({self.scalar(1)})")
            self.env[n] = _var("f")
        elif k < 0.7:
            n = self.fresh("v4")
            self.emit(indent, f"{n} = osc.shifted({self.array('v4', 1)})")
            self.env[n] = _var("v4", owned=True)
        elif k < 0.85:
            n = self.fresh("f")
            self.emit(indent, f"{n} = osc.total({self.array('v4', 1)}, {self.scalar(1)})")
            self.env[n] = _var("f")
        else:
            n = self.fresh("f")
            self.emit(indent, r.choice([f"{n} = osc.k * {self.scalar(1)}",
                                        f"{n} = np.sum(osc.c * {self.array('v4', 1)})",
                                        f"{n} = osc.c[{r.randint(0, 3)}] + {self.scalar(1)}"]))
            self.env[n] = _var("f")


def _var(t, **kw):
    from tests.fuzz.gen import Var
    return Var(t, **kw)
