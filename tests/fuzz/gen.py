"""A typed random-program generator for the wide fuzzer.

``generate(seed)`` returns a :class:`Program`: the text of a module (a fixed
header, module-level helper functions, and the function ``f`` under test),
the arguments and the ``wrt`` to differentiate with respect to.  Program k of
a run is ``generate(k)``: everything comes from ``random.Random(seed)``.

The generator keeps an environment of typed names so the programs it writes
run without error (types: ``f`` float, ``i`` int accumulator, ``idx`` loop
index, ``v4``/``v3`` 1-d arrays, ``m`` 3x4 array, ``lst`` list of floats,
``dict`` of floats, ``nt`` namedtuple ``P(a, b)``, ``dc`` dataclass ``S(w, v)``,
``tup`` a (float, array) tuple, ``fn`` helpers/closures/lambdas).  Arrays that
may share memory with an argument are never written into (the oracle calls
``f`` on its own arguments), everything else may be: through names, views
bound to names, slices, masks, fancy indices, ``out=`` and augmented
assignment.  Programs whose primal still raises or returns a non-finite value
are discarded by the runner, not here.
"""

import random
from dataclasses import dataclass, field

import numpy as np

from tests.fuzz.gen_forms import FormsGrammar
from tests.fuzz.gen_methods import MethodGrammar, make_osc
from tests.fuzz.gen_wide import ComplexGrammar, ObjectGrammar, WideGrammar

HEADER = '''import math
import warnings
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import scipy.special
import scipy.stats

P = namedtuple("P", ["a", "b"])


@dataclass
class S:
    w: float
    v: np.ndarray
'''

SHAPE = {"f": (), "v4": (4,), "v3": (3,), "m": (3, 4)}
ARRAYS = ("v4", "v3", "m")
PARAMS = [("x", "v4"), ("y", "f"), ("M", "m"), ("u", "v3"), ("z", "f")]
PREFIX = {"f": "s", "i": "n", "v4": "a", "v3": "b", "m": "A", "lst": "L", "dict": "D",
          "nt": "p", "dc": "st", "tup": "t", "fn": "g", "alst": "AL", "c": "z", "cv": "Z"}


@dataclass
class Var:
    type: str
    owned: bool = True         # never shares memory with an argument
    length: int = 0            # lists: a lower bound on the length
    keys: tuple = ()           # dicts: keys certainly present
    sig: tuple = ()            # functions: (argument type, result type)


@dataclass
class Program:
    seed: int
    source: str                # the whole module
    params: list               # [(name, type)]
    wrt: object                # int or tuple of ints
    name: str = "f"
    args: list = field(default_factory=list)

    def describe(self):
        return (f"# seed {self.seed}\n{self.source}\n# args: {args_repr(self.args)}\n"
                f"# wrt: {self.wrt!r}")


def args_repr(args):
    out = []
    for a in args:
        if not isinstance(a, (np.ndarray, float, int, np.floating)):
            out.append(repr(a))                  # (an object: gen_methods.Osc)
        elif isinstance(a, np.ndarray):
            out.append(f"np.array({np.round(a, 6).tolist()!r})")
        else:
            out.append(repr(round(float(a), 6)))
    return "[" + ", ".join(out) + "]"


def make_args(params, seed):
    rng = np.random.default_rng(10_000 + seed)
    out = []
    for _, t in params:
        if t == "obj":
            out.append(make_osc(np.random.default_rng(20_000 + seed)))    # (gen_methods.py)
        elif t == "f":
            out.append(float(np.round(rng.uniform(-1.2, 1.2), 6)))
        elif t == "seq":            # observations: a list of floats (gen_wide.trajectory_misfit)
            out.append([float(e) for e in np.round(rng.uniform(-1.0, 1.0, size=4), 6)])
        else:
            out.append(np.round(rng.uniform(-1.0, 1.0, size=SHAPE[t]), 6))
    return out


class Gen(WideGrammar, ComplexGrammar, ObjectGrammar, FormsGrammar, MethodGrammar):
    MAX_STMTS = 14

    def __init__(self, seed):
        self.seed = seed
        self.r = random.Random(seed)
        self.env = {}
        self.lines = []
        self.helpers = []           # module-level helper sources
        self.counter = 0
        self.loop_depth = 0
        self.block_depth = 0
        self.iterating = set()      # lists/dicts being iterated: no appends
        self.frozen = set()         # names captured by closures: type fixed
        self.budget = self.r.randint(5, self.MAX_STMTS)
        self.idx_names = []
        # whether (and where) complex values appear: a stream of its own, so the
        # programs without them are the ones the seed always gave
        self.rc = random.Random(seed * 7919 + 17)
        self.complex_rate = 0.0 if self.rc.random() < 0.6 else 0.12
        # attribute assignment on objects (gen_wide.ObjectGrammar): a stream of its own too
        self.ro = random.Random(seed * 104729 + 31)
        self.object_rate = 0.0 if self.ro.random() < 0.7 else 0.25
        # the Python users write (sets, try/except, *args: gen_forms.py), a stream of its own
        self.rf = random.Random(seed * 6151 + 29)
        # methods of an object argument (gen_methods.py), a stream of its own
        self.rm = random.Random(seed * 15485863 + 37)
        self.method_rate = 0.0 if self.rm.random() < 0.8 else 0.2
        # a loop index rebound in the body, read before and after (a stream of its own)
        self.rx = random.Random(seed * 7727 + 41)
        self.rebind_rate = 0.0 if self.rx.random() < 0.7 else 0.5

    # ------------------------------------------------------------------ names
    def fresh(self, t):
        self.counter += 1
        return f"{PREFIX.get(t, 'q')}{self.counter}"

    def names(self, *types, owned=None):
        return [n for n, v in self.env.items() if v.type in types
                and (owned is None or v.owned == owned)]

    def pick(self, *types, owned=None):
        c = self.names(*types, owned=owned)
        return self.r.choice(c) if c else None

    def const(self, lo=-1.5, hi=1.5):
        return repr(round(self.r.uniform(lo, hi), 2))

    def chance(self, p):
        return self.r.random() < p

    # ------------------------------------------------------------ expressions
    def idx(self, n):
        """An int index in [0, n): constant, negative, or from a loop index."""
        r = self.r
        loops = self.names("idx")
        k = r.random()
        if loops and k < 0.45:
            i = r.choice(loops)
            return f"({i} + {r.randint(0, 3)}) % {n}" if r.random() < 0.6 else f"{i} % {n}"
        if k < 0.6:
            return str(-r.randint(1, n))
        return str(r.randint(0, n - 1))

    def scalar(self, d=0):
        # the Python users write (gen_forms.py) wraps some scalars: from a stream of
        # its own, after the choices of this one, so the rest of the program is the same
        return self.forms_scalar(self.scalar_core(d))

    def scalar_core(self, d=0):
        r = self.r
        if d >= 3 or r.random() < 0.3:
            return self.scalar_leaf()
        if self.rc.random() < self.complex_rate:
            return self.complex_scalar(d)
        k = r.random()
        if k < 0.04:
            return self.scipy_scalar(d)
        if k < 0.3:
            a = self.scalar(d + 1)
            return r.choice(["np.sin({})", "np.cos({})", "np.tanh({})", "math.sin({})",
                             "math.cos({})", "np.exp(np.tanh({}))", "({} * 0.5)", "(-{})",
                             "np.sqrt(1.0 + {0} * {0})", "({0} * {0})", "({} ** 2)",
                             "math.tanh({})", "math.log(2.0 + np.sin({}))"]).format(a)
        if k < 0.55:
            a, b = self.scalar(d + 1), self.scalar(d + 1)
            return r.choice(["({} + {})", "({} - {})", "({} * {})", "({0} / (1.5 + {1} * {1}))",
                             "max({}, {})", "min({}, {})", "({} * 0.5 + {} * 0.25)"]).format(a, b)
        if k < 0.75:
            return self.reduction(d)
        if k < 0.82:
            return f"({self.scalar(d + 1)} if {self.cond()} else {self.scalar(d + 1)})"
        if k < 0.94:
            call = self.call("f", d)
            if call:
                return call
            return self.reduction(d)
        return self.comprehension_scalar(d)

    def scalar_leaf(self):
        r = self.r
        opts = []
        for n, v in self.env.items():
            t = v.type
            if t in ("f", "i"):
                opts += [n, n]
            elif t == "idx":
                opts.append(f"({n} * 0.1)")
            elif t == "key" and v.sig[0] in self.env:
                opts += [f"{v.sig[0]}[{n}]", f"{v.sig[0]}[{n}]"]
            elif t == "v4":
                opts.append(f"{n}[{self.idx(4)}]")
            elif t == "v3":
                opts.append(f"{n}[{self.idx(3)}]")
            elif t == "m":
                opts.append(r.choice([f"{n}[{self.idx(3)}, {self.idx(4)}]",
                                      f"{n}[{self.idx(3)}][{self.idx(4)}]"]))
            elif t == "lst" and v.length > 0:
                opts.append(r.choice([f"{n}[{r.randint(0, v.length - 1)}]", f"{n}[-1]",
                                      f"{n}[0]"]))
            elif t == "dict" and v.keys:
                k = r.choice(v.keys)
                opts.append(r.choice([f"{n}[{k!r}]", f"{n}.get({k!r}, 0.5)",
                                      f"{n}.get('zz', {self.const()})"]))
            elif t == "nt":
                opts.append(r.choice([f"{n}.a", f"{n}[0]", f"{n}.b[{self.idx(4)}]"]))
            elif t == "dc":
                opts.append(r.choice([f"{n}.w", f"{n}.v[{self.idx(4)}]"]))
            elif t == "tup":
                opts.append(r.choice([f"{n}[0]", f"{n}[1][{self.idx(4)}]"]))
        if self.complex_rate:
            self.complex_leaf(opts)
        if not opts or r.random() < 0.12:
            return self.const()
        return r.choice(opts)

    def reduction(self, d):
        r = self.r
        k = r.random()
        if k < 0.1:
            return self.list_reduction(d)
        if k < 0.15:
            return self.scipy_reduction(d)
        t = r.choice(ARRAYS)
        a = self.array(t, d + 1)
        k = r.random()
        if k < 0.35:
            return r.choice(["np.sum({})", "{}.sum()", "np.mean({})", "{}.mean()",
                             "np.max({})", "{}.min()", "np.sum({0} * {0})"]).format(paren(a))
        if k < 0.55 and t in ("v4", "v3"):
            b = self.array(t, d + 1)
            return r.choice(["np.dot({}, {})", "({} @ {})", "np.vdot({}, {})",
                             "np.inner({}, {})"]).format(a, b)
        if k < 0.7 and t == "m":
            u, x = self.array("v3", d + 1), self.array("v4", d + 1)
            return r.choice([f"({u} @ {paren(a)} @ {x})", f"np.dot({u}, np.dot({a}, {x}))",
                             f"np.sum({a}, axis=0)[{self.idx(4)}]",
                             f"np.sum({a}, axis=1, keepdims=True)[{self.idx(3)}, 0]",
                             f"np.mean({a}, axis=-1)[{self.idx(3)}]"])
        if k < 0.8:
            return f"np.linalg.norm({a})"
        return r.choice(["np.sum(np.sin({}))", "np.prod(np.cos({}))", "np.sum(np.tanh({}) ** 2)",
                         "np.sum(np.exp(-{0} * {0}))"]).format(a)

    def comprehension_scalar(self, d):
        r = self.r
        v = self.pick("v4", "v3")
        lst = self.pick("lst")
        s = self.scalar(d + 1) if d < 2 else self.scalar_leaf()
        k = r.random()
        if lst and k < 0.35:
            return r.choice([f"sum({lst})", f"sum([e * {s} for e in {lst}])",
                             f"sum(e * e for e in {lst})", f"sum(sorted({lst})[:2])"])
        dic = self.pick("dict")
        if dic and k < 0.5:
            return r.choice([f"sum({dic}.values())", f"sum([val * {s} for val in {dic}.values()])",
                             f"sum({dic}[key] for key in {dic})"])
        if v:
            return r.choice([f"sum([e * {s} for e in {v}])", f"sum(np.sin(e) for e in {v})",
                             f"sum([i * e for i, e in enumerate({v})])",
                             f"sum(a_ * b_ for a_, b_ in zip({v}, {v}[::-1]))"])
        return self.scalar_leaf()

    def array(self, t, d=0):
        """An array expression of type t (v4, v3 or m)."""
        r = self.r
        if d >= 3 or r.random() < 0.3:
            return self.array_leaf(t)
        if t == "v4" and self.rc.random() < self.complex_rate:
            return self.complex_array(d)
        k = r.random()
        if k < 0.04:
            return self.scipy_array(t, d)
        if k < 0.3:
            a = self.array(t, d + 1)
            return r.choice(["np.sin({})", "np.cos({})", "np.tanh({})", "({} * 0.5)",
                             "(-{})", "np.exp(np.tanh({}))", "({0} * {0})", "({} ** 2)",
                             "np.sqrt(1.0 + {0} * {0})", "np.abs({})"]).format(a)
        if k < 0.5:
            a = self.array(t, d + 1)
            b = self.array(t, d + 1) if r.random() < 0.6 else self.scalar(d + 1)
            if r.random() < 0.5:
                a, b = b, a
            return r.choice(["({} + {})", "({} - {})", "({} * {})", "({0} / (1.5 + {1} * {1}))"]
                            ).format(a, b)
        if k < 0.65:
            a, b = self.array(t, d + 1), self.array(t, d + 1)
            c = self.array(t, d + 1) if r.random() < 0.5 else self.scalar(d + 1)
            return r.choice([f"np.where({a} > {self.const(-0.5, 0.5)}, {b}, {c})",
                             f"np.clip({a}, -0.7, 0.7)", f"np.maximum({a}, {c})",
                             f"np.minimum({a}, {b})", f"np.where({a} > {b}, {a}, {b} * 0.5)",
                             f"np.clip({a}, -0.7, {c})",
                             f"np.full_like({a}, {self.scalar(d + 1)})",
                             f"np.heaviside({a}, {self.scalar(d + 1)})"])
        if k < 0.85:
            return paren(self.array_op(t, d))
        if k < 0.92:
            return f"({self.array(t, d + 1)} if {self.cond()} else {self.array(t, d + 1)})"
        call = self.call(t, d)
        return call if call else self.array_leaf(t)

    def array_op(self, t, d):
        r = self.r
        A = lambda: self.array("m", d + 1)
        v4 = lambda: self.array("v4", d + 1)
        v3 = lambda: self.array("v3", d + 1)
        if t == "v4":
            return r.choice([
                lambda: f"({v3()} @ {paren(A())})", lambda: f"np.dot({v3()}, {A()})",
                lambda: f"({paren(A())}.T @ {v3()})", lambda: f"np.sum({A()}, axis=0)",
                lambda: f"{paren(A())}.mean(axis=0)", lambda: f"np.max({A()}, axis=0)",
                lambda: f"np.cumsum({v4()})", lambda: f"np.sort({v4()})",
                lambda: f"np.concatenate([{paren(v4())}[:2], {paren(v4())}[2:] * 0.5])",
                lambda: f"np.flip({v4()})", lambda: f"np.roll({v4()}, 1)",
                lambda: f"np.sum({A()} * {v4()}, axis=0)",
                lambda: f"np.outer({v3()}, {v4()}).sum(axis=0)",
                lambda: f"np.array([{self.scalar(d + 1)}, {self.scalar(d + 1)}, {self.scalar_leaf()}, {self.scalar_leaf()}])",
                lambda: f"{paren(v4())}[::-1]", lambda: f"{paren(v4())}[[3, 0, 2, 1]]",
                lambda: f"np.append({v3()}, {self.scalar(d + 1)})",
                lambda: f"({v4()} + np.zeros(4))",
            ])()
        if t == "v3":
            return r.choice([
                lambda: f"({paren(A())} @ {v4()})", lambda: f"np.dot({A()}, {v4()})",
                lambda: f"np.sum({A()}, axis=1)", lambda: f"{paren(A())}.mean(axis=-1)",
                lambda: f"{paren(A())}.max(axis=1)", lambda: f"{paren(v4())}[:3]",
                lambda: f"{paren(v4())}[1:]", lambda: f"{paren(v4())}[[0, 2, 3]]",
                lambda: f"{paren(A())}[:, {self.idx(4)}]",
                lambda: f"np.array([{self.scalar(d + 1)}, {self.scalar_leaf()}, {self.scalar_leaf()}])",
                lambda: f"(({paren(A())} @ {paren(A())}.T) @ {v3()} * 0.1)",
                lambda: f"np.cumsum({v3()})",
            ])()
        return r.choice([
            lambda: f"np.outer({v3()}, {v4()})", lambda: f"({paren(v3())}[:, None] * {paren(v4())}[None, :])",
            lambda: f"({paren(v3())}[:, None] + {v4()})",
            lambda: f"({paren(A())} - {paren(A())}.mean(axis=1, keepdims=True))",
            lambda: f"({A()} / (1.0 + np.sum({A()} ** 2, axis=0, keepdims=True)))",
            lambda: f"np.stack([{v4()}, {v4()}, {v4()}])",
            lambda: f"np.array([{v4()}, {v4()}, {v4()}])",
            lambda: f"({A()} * {v4()})", lambda: f"{paren(A())}[::-1]",
            lambda: f"{paren(A())}[:, ::-1]", lambda: f"{paren(A())}[[2, 0, 1]]",
            lambda: f"({A()} @ np.eye(4))", lambda: f"(({A()} @ {paren(A())}.T) @ {A()} * 0.1)",
            lambda: f"{paren(A())}.reshape(12)[::-1].reshape(3, 4)",
            lambda: f"np.vstack([{paren(A())}[:1], {paren(A())}[1:]])",
            lambda: f"np.tile({v4()}, (3, 1))",
        ])()

    def array_leaf(self, t):
        r = self.r
        c = self.names(t)
        if c and r.random() < 0.8:
            return r.choice(c)
        opts = []
        for n, v in self.env.items():
            if t == "v4":
                if v.type == "m":
                    opts += [f"{n}[{self.idx(3)}]", f"{n}[{self.idx(3)}, :]"]
                elif v.type == "nt":
                    opts.append(f"{n}.b")
                elif v.type == "dc":
                    opts.append(f"{n}.v")
                elif v.type == "tup":
                    opts.append(f"{n}[1]")
                elif v.type == "lst" and v.length == 4 and self.chance(0.3):
                    opts.append(f"np.array({n}[:4])")
            elif t == "v3":
                if v.type == "m":
                    opts.append(f"{n}[:, {self.idx(4)}]")
                elif v.type == "v4":
                    opts += [f"{n}[1:]", f"{n}[:-1]"]
        if t == "v4" and self.chance(0.5):
            self.array_list_leaf(opts)
        if opts:
            return r.choice(opts)
        if t == "m":
            return r.choice(["(np.arange(12.0).reshape(3, 4) / 12.0)", "np.ones((3, 4))"])
        return f"np.linspace(-1.0, 1.0, {SHAPE[t][0]})"

    def value(self, t, d=0):
        if t in ("f", "i"):
            return self.scalar(d)
        return self.array(t, d)

    def cond(self):
        r = self.r
        k = r.random()
        idx = self.names("idx")
        if idx and k < 0.2:
            return f"{r.choice(idx)} % 2 == {r.randint(0, 1)}"
        lst = self.pick("lst")
        if lst and k < 0.27:
            return f"len({lst}) > {r.randint(1, 5)}"
        dic = self.pick("dict")
        if dic and k < 0.32:
            return f"{r.choice(['a', 'c', 'zz'])!r} in {dic}"
        a = self.scalar_leaf() if r.random() < 0.6 else self.scalar(2)
        c = f"{a} {r.choice(['>', '<', '>=', '<='])} {self.const(-0.8, 0.8)}"
        if r.random() < 0.04:
            # a comprehension evaluated only when the first operand does not decide
            c = f"{c} {r.choice(['and', 'or'])} {self.comprehension_scalar(2)} < {self.const(0, 1.5)}"
        elif r.random() < 0.15:
            c = f"{c} and {self.scalar_leaf()} < {self.const(0, 1.5)}"
        elif r.random() < 0.1:
            c = f"not {c}"
        return c

    # ----------------------------------------------------------- functions
    def call(self, t, d):
        """A call of a helper, closure or lambda returning type t (None if
        there is none and we decide not to make one)."""
        r = self.r
        fns = [n for n, v in self.env.items() if v.type == "fn" and v.sig[1] == t]
        if fns and r.random() < 0.7:
            n = r.choice(fns)
            at, kind = self.env[n].sig[0], self.env[n].sig[2]
            arg = self.value(at, d + 1)
            if kind == "helper":
                extra = r.choice(["", f", {self.scalar_leaf()}", f", scale={self.scalar_leaf()}",
                                  f", q={self.scalar_leaf()}, scale=0.5"])
                if r.random() < 0.2:
                    return f"{n}(scale={self.const(0.2, 1.0)}, p={arg})"
                return f"{n}({arg}{extra})"
            if kind == "lambda":
                return f"{n}({arg}{r.choice(['', f', c={self.scalar_leaf()}'])})"
            if kind == "recursive":
                return f"{n}({arg}{r.choice(['', f', {self.const(0.2, 0.9)}', ', 0.5, 1.0, 2'])})"
            if kind == "recursive_plain":
                return f"{n}({arg}, {self.const(0.2, 0.9)}, 1.0, {r.randint(0, 3)})"
            return f"{n}({arg})"
        if len(self.helpers) < 2 and r.random() < 0.5:
            return self.make_helper(t, d)
        return None

    def make_helper(self, t, d):
        """A module-level helper ``h(p, q=.., *, scale=..)`` mapping t to t."""
        name = f"h{len(self.helpers)}"
        sub = Gen(self.r.randint(0, 10**9))
        sub.env = {"p": Var(t, owned=False), "q": Var("f", owned=False),
                   "scale": Var("f", owned=False)}
        sub.helpers = self.helpers     # share the count (no nested helper creation)
        sub.budget = sub.r.randint(1, 3)
        sub.helpers.append(None)       # reserve the slot
        slot = len(self.helpers) - 1
        body = []
        sub.lines = body
        for _ in range(sub.budget):
            sub.simple_stmt(1)
        ret = sub.value(t, 1)
        q = self.const(0.2, 0.9)
        if sub.r.random() < 0.2:
            # recursive: positional parameters, an integer depth (drawn from the
            # helper's own generator: the programs of other seeds are unchanged)
            deeper = sub.value(t, 1)
            # (the body may read ``scale``, in the helper's environment: a parameter here too)
            src = [f"def {name}(p, q={q}, scale=1.0, depth={sub.r.randint(1, 3)}):"] + body + [
                "    if depth <= 0:",
                f"        return {paren(ret)} * scale + p * q",
                f"    return {name}({paren(deeper)} * 0.5 + p * 0.5, q, scale, depth - 1) * 0.5 "
                f"+ p * q"]
            kind = "recursive"
            if sub.r.random() < 0.5:
                # no defaults (seventeenth session): second derivatives go through the
                # split forms written back as calls (frontend/split_calls.py), which a
                # recursion with defaults never reached (refused); the value of the
                # recursive call read once or twice, inside an expression
                kind = "recursive_plain"
                twice = sub.r.random() < 0.5
                src[0] = f"def {name}(p, q, scale, depth):"
                src[-1] = (f"    v = {name}({paren(deeper)} * 0.5 + p * 0.5, q, scale, depth - 1)\n"
                           f"    return v * v * 0.25 + v * p * q" if twice else
                           f"    return {name}({paren(deeper)} * 0.5 + p * 0.5, q, scale, "
                           f"depth - 1) * 0.5 + p * q")
            self.helpers[slot] = "\n".join(src) + "\n"
            self.env[name] = Var("fn", sig=(t, t, kind))
            if kind == "recursive_plain":
                return f"{name}({self.value(t, d + 1)}, {q}, 1.0, {sub.r.randint(0, 3)})"
            return f"{name}({self.value(t, d + 1)})"
        defaults = self.r.choice([f"q={q}, scale=1.0", f"q={q}, *, scale=1.0"])
        src = [f"def {name}(p, {defaults}):"] + body + [f"    return {paren(ret)} * scale + p * q"]
        self.helpers[slot] = "\n".join(src) + "\n"
        self.env[name] = Var("fn", sig=(t, t, "helper"))
        return f"{name}({self.value(t, d + 1)})"

    # ------------------------------------------------------------ statements
    def emit(self, indent, line):
        self.lines.append("    " * indent + line)

    def block(self, indent, n=None):
        """A nested block: names made inside it are forgotten afterwards;
        names whose type changed inside become unusable."""
        saved = dict(self.env)
        self.block_depth += 1
        start = len(self.lines)
        for _ in range(n or self.r.randint(1, 3)):
            self.stmt(indent)
        if len(self.lines) == start:
            self.emit(indent, "pass")
        self.block_depth -= 1
        after = self.env
        self.env = {}
        for k, v in saved.items():
            w = after.get(k)
            if w is None:
                continue
            if w.type == v.type or (v.type == "i" and w.type == "f"):
                self.env[k] = Var(w.type, owned=v.owned and w.owned,
                                  length=min(v.length, w.length),
                                  keys=tuple(x for x in v.keys if x in w.keys), sig=v.sig)
            # otherwise: the type differs between paths; forget the name

    def stmt(self, indent):
        r = self.r
        if self.budget <= 0:
            return
        self.budget -= 1
        self.forms_stmt(indent)        # (gen_forms.py: a stream of its own)
        k = r.random()
        depth = self.block_depth
        if depth < 2 and k < 0.16:
            return self.for_loop(indent)
        if depth < 2 and k < 0.21:
            return self.while_loop(indent)
        if depth < 3 and k < 0.31:
            return self.if_stmt(indent)
        if self.loop_depth and k < 0.36:
            self.emit(indent, f"if {self.cond()}:")
            self.emit(indent + 1, r.choice(["break", "continue", "continue"]))
            return
        if k < 0.38:
            self.emit(indent, f"if {self.cond()}:")
            self.emit(indent + 1, f"return {self.result()}")
            return
        if k < 0.43 and depth == 0:
            return self.def_stmt(indent)
        if self.method_rate and self.rm.random() < self.method_rate:
            return self.method_stmt(indent)
        if self.object_rate and self.ro.random() < self.object_rate:
            return self.object_stmt(indent)
        if depth < 2 and self.rc.random() < 0.03:
            # a context manager that changes no value (its own random stream)
            self.emit(indent, self.rc.choice(["with np.errstate(all='ignore'):",
                                              "with np.errstate(divide='ignore', invalid='warn'):",
                                              "with warnings.catch_warnings():"]))
            return self.block(indent + 1)
        return self.simple_stmt(indent)

    def if_stmt(self, indent):
        r = self.r
        self.emit(indent, f"if {self.cond()}:")
        self.block(indent + 1)
        for _ in range(r.choice([0, 0, 1, 2])):
            self.emit(indent, f"elif {self.cond()}:")
            self.block(indent + 1)
        if r.random() < 0.5:
            self.emit(indent, "else:")
            self.block(indent + 1)

    def while_loop(self, indent):
        r = self.r
        n = self.fresh("i")
        self.emit(indent, f"{n} = 0")
        s = self.pick("f")
        cond = self.cond() if not s or r.random() < 0.4 else \
            f"{s} {r.choice(['<', '>'])} {self.const(-1, 1)}"
        self.emit(indent, f"while {cond} and {n} < {r.randint(1, 5)}:")
        self.emit(indent + 1, f"{n} += 1")
        self.loop_depth += 1
        self.env[n] = Var("idx")
        self.block(indent + 1)
        self.loop_depth -= 1
        self.env.pop(n, None)
        if r.random() < 0.3:
            self.env[n] = Var("i")       # an int used as a number afterwards

    def for_loop(self, indent):
        r = self.r
        i, e = self.fresh("idx"), self.fresh("f")
        head, loopvars, iterated = self.loop_head(i, e)
        self.emit(indent, f"for {head}:")
        saved = dict(self.env)
        self.env.update(loopvars)
        self.loop_depth += 1
        if iterated:
            self.iterating.add(iterated)
        body_start = len(self.lines)
        if iterated and iterated in self.env and r.random() < 0.25 and \
                iterated not in self.frozen and self.env[iterated].type in ARRAYS + ("f",):
            t = self.env[iterated].type
            # rebinding the iterated name inside the loop
            self.emit(indent + 1, f"{iterated} = {iterated} * 0.9 + {self.value(t, 2)} * 0.1")
            self.env[iterated] = Var(t, owned=True)
        self.block(indent + 1)
        index = [n for n, v in loopvars.items() if v.type == "idx"]
        if index and self.rebind_rate and self.rx.random() < self.rebind_rate:
            # the loop index rebound in an inner loop, then read again (its value
            # before and after: a value read before must not be recomputed from it)
            k = self.fresh("idx")
            self.emit(indent + 1, f"for {k} in range({self.rx.randint(1, 2)}):")
            self.emit(indent + 2, f"{index[0]} = {index[0]} + {self.rx.randint(1, 3)}")
            self.block(indent + 1)
        if len(self.lines) == body_start:
            self.emit(indent + 1, "pass")
        self.loop_depth -= 1
        self.iterating.discard(iterated)
        for n in loopvars:
            self.env.pop(n, None)
        # loop variables are forgotten (a loop may run zero times)
        if iterated in saved and iterated in self.env:
            self.env[iterated].owned = self.env[iterated].owned and saved[iterated].owned

    def loop_head(self, i, e):
        """(header text, {loop var: Var}, name of the iterated container)."""
        r = self.r
        k = r.random()
        vec = self.pick("v4", "v3")
        mat = self.pick("m")
        lst = self.pick("lst")
        dic = self.pick("dict")
        if k < 0.2 or not vec:
            n = r.randint(1, 4)
            rng = r.choice([f"range({n})", f"range(1, {n + 1})", f"range({n} - 1, -1, -1)",
                            f"range(0, {n + 2}, 2)"])
            return f"{i} in {rng}", {i: Var("idx")}, None
        src = vec if r.random() < 0.7 else self.array(r.choice(["v4", "v3"]), 2)
        if k < 0.3:
            wrap = r.choice(["{}", "reversed({})", "sorted({})", "list({})"])
            return f"{e} in {wrap.format(src)}", {e: Var("f")}, vec if src == vec else None
        if k < 0.45:
            start = r.choice(["", "", ", start=1", ", 2"])
            wrap = r.choice(["{}", "{}", "list({})", "reversed(list({}))"]).format(
                f"enumerate({src}{start})")
            return f"{i}, {e} in {wrap}", {i: Var("idx"), e: Var("f")}, vec if src == vec else None
        if k < 0.58:
            other = self.array(r.choice(["v4", "v3"]), 2)
            e2 = self.fresh("f")
            if r.random() < 0.5:
                wrap = r.choice(["zip({}, {})", "list(zip({}, {}))"]).format(src, other)
                return f"{e}, {e2} in {wrap}", {e: Var("f"), e2: Var("f")}, None
            return (f"{i}, ({e}, {e2}) in enumerate(zip({src}, {other}))",
                    {i: Var("idx"), e: Var("f"), e2: Var("f")}, None)
        if mat and k < 0.68:
            row = self.fresh("v4")
            owned = self.env[mat].owned
            if r.random() < 0.5:
                return f"{row} in {mat}", {row: Var("v4", owned=owned)}, mat
            return f"{i}, {row} in enumerate({mat})", {i: Var("idx"), row: Var("v4", owned=owned)}, mat
        if lst and k < 0.8:
            wrap = r.choice(["{}", "reversed({})", "sorted({})", "list({})", "{}[:]"])
            if r.random() < 0.3:
                return (f"{i}, {e} in enumerate({wrap.format(lst)})", {i: Var("idx"), e: Var("f")},
                        lst)
            return f"{e} in {wrap.format(lst)}", {e: Var("f")}, lst
        if dic and k < 0.9:
            kk = self.fresh("k")
            if r.random() < 0.5:
                return f"{kk}, {e} in {dic}.items()", {e: Var("f")}, dic
            return (f"{kk} in {r.choice(['{}', 'sorted({})', 'list({})']).format(dic)}",
                    {kk: Var("key", sig=(dic,))}, dic)
        tup = ", ".join(self.scalar_leaf() for _ in range(r.randint(2, 3)))
        return f"{e} in ({tup})", {e: Var("f")}, None

    def def_stmt(self, indent):
        """A closure or a lambda over the current variables."""
        r = self.r
        t = r.choice(["f", "f", "v4", "v3"])
        name = self.fresh("fn")
        free = [n for n, v in self.env.items() if v.type in ("f", "i")]
        cap = r.choice(free) if free else self.const()
        if r.random() < 0.5:
            body_env = dict(self.env)
            self.env["t_"] = Var(t, owned=False)
            expr = self.value(t, 1)
            self.env = body_env
            self.emit(indent, f"{name} = lambda t_, c=0.5: ({expr}) * c + {cap} * 0.2")
            self.env[name] = Var("fn", sig=(t, t, "lambda"))
        else:
            saved = dict(self.env)
            self.env = {k: v for k, v in self.env.items() if v.type in ("f", "i")}
            self.env["t_"] = Var(t, owned=False)
            expr = self.value(t, 1)
            self.env = saved
            self.emit(indent, f"def {name}(t_):")
            if r.random() < 0.5:
                self.emit(indent + 1, f"w_ = t_ * {cap}")
                self.emit(indent + 1, f"return {expr} + w_ * 0.1")
            else:
                self.emit(indent + 1, f"return {expr} + {cap} * 0.1")
            self.env[name] = Var("fn", sig=(t, t, "closure"))
        if isinstance(cap, str) and cap in self.env:
            self.frozen.add(cap)
        self.frozen.update(n for n in self.env if n in expr)

    def result(self):
        """A scalar combining the live values (for return statements)."""
        r = self.r
        parts = []
        live = [n for n, v in self.env.items() if v.type not in ("idx", "fn")]
        for n in live[-6:]:
            v = self.env[n]
            t = v.type
            if t in ("f", "i"):
                parts.append(n)
            elif t in ARRAYS:
                parts.append(r.choice([f"np.sum(np.sin({n}))", f"np.sum({n} * {n})",
                                       f"np.sum({n})"]))
            elif t == "lst":
                parts.append(f"sum({n})")
            elif t == "dict":
                parts.append(f"sum({n}.values())")
            elif t == "nt":
                parts.append(f"({n}.a + np.sum({n}.b))")
            elif t == "dc":
                parts.append(f"({n}.w + np.sum({n}.v))")
            elif t == "tup":
                parts.append(f"({n}[0] + np.sum({n}[1]))")
            elif t == "alst":
                parts.append(self.array_list_result(n))
        if not parts:
            return "0.0"
        return " + ".join(f"{p} * {round(r.uniform(0.3, 1.2), 2)}" if j else p
                          for j, p in enumerate(parts))

    def simple_stmt(self, indent):
        r = self.r
        top = self.block_depth == 0
        options = [
            (3, self.new_value), (3, self.reassign), (2, self.aug_assign),
            (2, self.element_write), (1, self.view_write), (1, self.out_write),
            (1, self.list_stmt), (1, self.dict_stmt), (1, self.tuple_stmt),
            (0.6, self.record_stmt), (0.6, self.type_change if top else self.reassign),
            (0.8, self.array_list_stmt),
        ] + ([(1.5, self.complex_stmt)] if self.complex_rate else [])
        total = sum(w for w, _ in options)
        x = r.uniform(0, total)
        for w, fn in options:
            x -= w
            if x <= 0:
                if fn(indent) is not False:
                    return
                break
        self.new_value(indent)

    def new_value(self, indent):
        r = self.r
        t = r.choice(["f", "f", "i", "v4", "v4", "v3", "m"])
        n = self.fresh(t)
        if t == "i":
            opts = ["0", "1", "2"] + ([f"len({self.pick('lst')})"] if self.pick("lst") else [])
            self.emit(indent, f"{n} = {r.choice(opts)}")
            self.env[n] = Var("i")
            return
        if t in ARRAYS:
            e = self.array(t)
            k = r.random()
            if k < 0.3:
                e = f"{paren(e)}.copy()" if not e.endswith(".copy()") else e
            elif k < 0.4:
                e = f"np.array({e})"
            self.emit(indent, f"{n} = {e}")
            self.env[n] = Var(t, owned=self.fresh_expr(e))
            return
        self.emit(indent, f"{n} = {self.scalar()}")
        self.env[n] = Var("f")

    def fresh_expr(self, e):
        """Does the array expression certainly not share an argument's memory?"""
        if e.endswith(".copy()") or e.startswith("np.array(") or e.startswith("np.linspace"):
            return True
        if (e.startswith("(") and " if " in e) or e.startswith("np.flip("):
            return False
        # a bare name, or subscripts / .T / reshape of something: maybe a view
        if e.isidentifier():
            return self.env[e].owned if e in self.env else False
        if e.endswith("]") or e.endswith(".T") or ".reshape(" in e[-20:] or \
                e.endswith(".b") or e.endswith(".v"):
            return False
        return e.startswith("(") or e.startswith("np.") or "(" in e

    def reassign(self, indent):
        r = self.r
        c = [n for n, v in self.env.items() if v.type in ("f", "i") + ARRAYS]
        if not c:
            return False
        n = r.choice(c)
        t = self.env[n].type
        t = "f" if t == "i" else t
        e = self.value(t)
        if r.random() < 0.4:
            e = f"{n} * {self.const(0.3, 0.9)} + {paren(e)} * 0.5"
        self.emit(indent, f"{n} = {e}")
        self.env[n] = Var(t, owned=True if t == "f" else self.fresh_expr(e) or
                          e.startswith(f"{n} * "))

    def aug_assign(self, indent):
        r = self.r
        c = [n for n, v in self.env.items() if v.type in ("f", "i") or
             (v.type in ARRAYS and v.owned)]
        if not c:
            return False
        n = r.choice(c)
        t = self.env[n].type
        if t in ("f", "i"):
            op = r.choice(["+=", "-=", "*=", "/="])
            if t == "i" and r.random() < 0.4:
                self.emit(indent, f"{n} += 1")
                return
            e = self.scalar(1)
            if op in ("*=", "/="):
                e = f"(1.0 + 0.3 * np.tanh({e}))"
            self.emit(indent, f"{n} {op} {e}")
            self.env[n] = Var("f")
            return
        op = r.choice(["+=", "-=", "*=", "/="])
        e = self.value(r.choice([t, "f"]), 1)
        if op in ("*=", "/="):
            e = f"(1.0 + 0.3 * np.tanh({e}))"
        self.emit(indent, f"{n} {op} {e}")

    def element_write(self, indent):
        r = self.r
        c = [n for n, v in self.env.items() if v.type in ARRAYS and v.owned]
        dcs = self.names("dc")
        if dcs and (not c or r.random() < 0.2):
            n = r.choice(dcs)
            self.emit(indent, f"{n}.v[{self.idx(4)}] {r.choice(['=', '+='])} {self.scalar(1)}")
            return
        if not c:
            return False
        n = r.choice(c)
        t = self.env[n].type
        op = r.choice(["=", "=", "+=", "*=", "-="])
        s = self.scalar(1)
        if op == "*=":
            s = f"(1.0 + 0.3 * np.tanh({s}))"
        if t in ("v4", "v3"):
            L = SHAPE[t][0]
            lo = r.randint(0, L - 2)
            k = r.random()
            if k < 0.35:
                self.emit(indent, f"{n}[{self.idx(L)}] {op} {s}")
            elif k < 0.55:
                rhs = r.choice([s, f"{s} * {paren(self.array(t, 2))}[{lo}:{lo + 2}]",
                                f"{n}[{lo + 1}:{lo + 2}] * {s}" if lo + 2 <= L else s])
                self.emit(indent, f"{n}[{lo}:{lo + 2}] {op} {rhs}")
            elif k < 0.7:
                self.emit(indent, f"{n}[{n} > {self.const(-0.5, 0.5)}] {op} {s}")
            elif k < 0.85:
                self.emit(indent, f"{n}[[0, {L - 1}]] {op} {s}")
            else:
                self.emit(indent, f"{n}[:] {op} {self.array(t, 1)}")
            return
        k = r.random()
        if k < 0.25:
            self.emit(indent, f"{n}[{self.idx(3)}] {op} {r.choice([s, self.array('v4', 1)])}")
        elif k < 0.45:
            self.emit(indent, f"{n}[:, {self.idx(4)}] {op} {r.choice([s, self.array('v3', 1)])}")
        elif k < 0.6:
            self.emit(indent, f"{n}[{self.idx(3)}, {self.idx(4)}] {op} {s}")
        elif k < 0.75:
            rhs = r.choice([s, paren(self.array("v4", 1)) + "[:2]"])
            self.emit(indent, f"{n}[1:, :2] {op} {rhs}")
        elif k < 0.87:
            self.emit(indent, f"{n}[{n} > {self.const(-0.5, 0.5)}] {op} {s}")
        else:
            self.emit(indent, f"{n}[[0, 2]] {op} {s}")

    def view_write(self, indent):
        r = self.r
        c = [n for n, v in self.env.items() if v.type in ARRAYS and v.owned]
        if not c:
            return False
        n = r.choice(c)
        t = self.env[n].type
        w = self.fresh("v3")
        if t == "v4":
            view, vt = r.choice([(f"{n}[1:]", "v3"), (f"{n}[:3]", "v3"), (f"{n}[::-1]", "v4"),
                                 (f"{n}[:]", "v4")])
        elif t == "v3":
            view, vt = r.choice([(f"{n}[1:]", None), (f"{n}[::-1]", "v3")])
        else:
            view, vt = r.choice([(f"{n}[{self.idx(3)}]", "v4"), (f"{n}[:, {self.idx(4)}]", "v3"),
                                 (f"{n}.T[{self.idx(4)}]", "v3"), (f"{n}.reshape(12)", None),
                                 (f"{n}[1:]", None)])
        self.emit(indent, f"{w} = {view}")
        op = r.choice(["+=", "*=", "-="])
        s = self.scalar(1)
        if op == "*=":
            s = f"(1.0 + 0.3 * np.tanh({s}))"
        k = r.random()
        if k < 0.5:
            self.emit(indent, f"{w} {op} {s}")
        elif k < 0.8:
            self.emit(indent, f"{w}[0] {op} {s}")
        else:
            self.emit(indent, f"{w}[...] = {w} * {s}" if op != "-=" else f"{w}[:] = {s}")
        if vt:
            self.env[w] = Var(vt, owned=True)

    def out_write(self, indent):
        r = self.r
        c = [n for n, v in self.env.items() if v.type in ARRAYS and v.owned]
        if not c:
            return False
        n = r.choice(c)
        t = self.env[n].type
        a = self.array(t, 1)
        s = self.scalar(2)
        self.emit(indent, r.choice([f"np.multiply({a}, {s}, out={n})", f"np.add({n}, {a}, out={n})",
                                    f"np.sin({a}, out={n})", f"np.tanh({n}, out={n})",
                                    f"np.copyto({n}, {a})", f"np.subtract({a}, {n}, out={n})"]))

    def list_stmt(self, indent):
        r = self.r
        top = self.block_depth == 0
        lst = self.pick("lst")
        k = r.random()
        if not lst or k < 0.3:
            n = self.fresh("lst")
            v = self.pick("v4", "v3")
            opts = [(f"[{self.scalar(1)}, {self.scalar(1)}, {self.scalar_leaf()}]", 3)]
            if v:
                L = SHAPE[self.env[v].type][0]
                opts += [(f"list({v})", L), (f"[np.sin(e) * {self.scalar_leaf()} for e in {v}]", L),
                         (f"[e for e in {v} if e > 0.0]", 0), (f"sorted({v})", L),
                         (f"{v}.tolist()", L)]
            opts += [("[]", 0), (f"[{self.scalar(1)}] * 3", 3),     # repetition
                     (f"2 * [{self.scalar(1)}, {self.scalar_leaf()}]", 4)]
            e, L = r.choice(opts)
            self.emit(indent, f"{n} = {e}")
            self.env[n] = Var("lst", length=L)
            return
        v = self.env[lst]
        if k < 0.55 and lst not in self.iterating:
            self.emit(indent, f"{lst}.append({self.scalar(1)})")
            if top:
                v.length += 1
            return
        if k < 0.65 and lst not in self.iterating:
            self.emit(indent, f"{lst}.extend([{self.scalar(2)}, {self.scalar_leaf()}])")
            if top:
                v.length += 2
            return
        if k < 0.72 and top and v.length > 1 and lst not in self.iterating:
            self.emit(indent, f"{r.choice(['', self.fresh('f') + ' = '])}{lst}.pop()")
            v.length -= 1
            return
        if k < 0.76 and top and 0 < v.length <= 4 and lst not in self.iterating:
            self.emit(indent, f"{lst} = {lst} * 2")
            v.length *= 2
            return
        if v.length > 0:
            j = r.randint(0, v.length - 1)
            op = r.choice(["=", "+=", "*=", "[:]"])
            s = self.scalar(1)
            if op == "*=":
                s = f"(1.0 + 0.3 * np.tanh({s}))"
            if op == "[:]":                   # a slice written, its length kept
                self.emit(indent, f"{lst}[{j}:{j + 1}] = [{s}]")
            else:
                self.emit(indent, f"{lst}[{j}] {op} {s}")
            return
        if lst not in self.iterating:
            self.emit(indent, f"{lst} = sorted({lst})" if r.random() < 0.5 else
                      f"{lst} = [e * 0.5 for e in {lst}]")
            return
        return False

    def dict_stmt(self, indent):
        r = self.r
        top = self.block_depth == 0
        dic = self.pick("dict")
        k = r.random()
        if not dic or k < 0.35:
            n = self.fresh("dict")
            a, b = self.scalar(1), self.scalar(1)
            self.emit(indent, r.choice([f"{n} = {{'a': {a}, 'b': {b}}}", f"{n} = dict(a={a}, b={b})",
                                        f"{n} = dict(zip(['a', 'b'], [{a}, {b}]))",
                                        f"{n} = {{k_: v_ for k_, v_ in (('a', {a}), ('b', {b}))}}"]))
            self.env[n] = Var("dict", keys=("a", "b"))
            return
        v = self.env[dic]
        if k < 0.5 and top and dic not in self.iterating:
            self.emit(indent, f"{dic}['c'] = {self.scalar(1)}")
            v.keys = tuple(sorted(set(v.keys) | {"c"}))
            return
        if k < 0.8 and v.keys:
            key = r.choice(v.keys)
            op = r.choice(["=", "+=", "*="])
            s = self.scalar(1)
            if op == "*=":
                s = f"(1.0 + 0.3 * np.tanh({s}))"
            self.emit(indent, f"{dic}[{key!r}] {op} {s}")
            return
        if v.keys and dic not in self.iterating:
            self.emit(indent, r.choice([f"{dic}.update(b={self.scalar(1)})",
                                        f"{dic} = {{key: val * 0.5 for key, val in {dic}.items()}}"]))
            if "update" in self.lines[-1]:
                v.keys = tuple(sorted(set(v.keys) | {"b"}))
            return
        return False

    def tuple_stmt(self, indent):
        r = self.r
        k = r.random()
        a, b = self.fresh("f"), self.fresh("f")
        if k < 0.2:
            self.emit(indent, f"{a}, {b} = {self.scalar(1)}, {self.scalar(1)}")
        elif k < 0.3 and len(self.names("f")) >= 2:
            p, q = r.sample(self.names("f"), 2)
            self.emit(indent, f"{p}, {q} = {q}, {p}")
            return
        elif k < 0.45:
            c = self.fresh("f")
            self.emit(indent, f"({a}, {b}), {c} = ({self.scalar(1)}, {self.scalar_leaf()}), {self.scalar(1)}")
            self.env[c] = Var("f")
        elif k < 0.6 and self.names("v4", "v3"):
            v = self.pick("v4", "v3")
            rest = self.fresh("lst")
            L = SHAPE[self.env[v].type][0]
            form = r.choice([f"{a}, *{rest} = {v}", f"*{rest}, {a} = {v}", f"{a}, *{rest}, {b} = {v}"])
            self.emit(indent, form)
            self.env[rest] = Var("lst", length=L - form.count(","))
            self.env[a] = Var("f")
            if f"{b} =" in form or f", {b} =" in form:
                self.env[b] = Var("f")
            return
        elif k < 0.7 and any(v.length >= 2 for n, v in self.env.items() if v.type == "lst"):
            lst = r.choice([n for n, v in self.env.items() if v.type == "lst" and v.length >= 2])
            rest = self.fresh("lst")
            self.emit(indent, f"{a}, *{rest} = {lst}")
            self.env[a] = Var("f")
            self.env[rest] = Var("lst", length=self.env[lst].length - 1)
            return
        elif k < 0.8 and self.names("m"):
            m = self.pick("m")
            r0, r1, r2 = self.fresh("v4"), self.fresh("v4"), self.fresh("v4")
            self.emit(indent, f"{r0}, {r1}, {r2} = {m}")
            own = self.env[m].owned
            for x in (r0, r1, r2):
                self.env[x] = Var("v4", owned=own)
            return
        elif k < 0.9 and self.names("v4"):
            v = self.pick("v4")
            names = [self.fresh("f") for _ in range(4)]
            self.emit(indent, f"{', '.join(names)} = {v}")
            for x in names:
                self.env[x] = Var("f")
            return
        else:
            t = self.fresh("tup")
            self.emit(indent, f"{t} = ({self.scalar(1)}, {self.array('v4', 1)})")
            self.env[t] = Var("tup", owned=False)
            if r.random() < 0.5:
                self.emit(indent, f"{a}, {b} = {t}")
                self.env[a] = Var("f")
                self.env[b] = Var("v4", owned=False)
            return
        self.env[a] = Var("f")
        self.env[b] = Var("f")

    def record_stmt(self, indent):
        r = self.r
        nt, dc = self.pick("nt"), self.pick("dc")
        k = r.random()
        if k < 0.25 or (not nt and k < 0.5):
            n = self.fresh("nt")
            self.emit(indent, r.choice([f"{n} = P({self.scalar(1)}, {self.array('v4', 1)})",
                                        f"{n} = P(b={self.array('v4', 1)}, a={self.scalar(1)})"]))
            self.env[n] = Var("nt")
            return
        if nt and k < 0.45:
            if r.random() < 0.5:
                self.emit(indent, f"{nt} = {nt}._replace(a={self.scalar(1)})")
            else:
                a, b = self.fresh("f"), self.fresh("v4")
                self.emit(indent, f"{a}, {b} = {nt}")
                self.env[a] = Var("f")
                self.env[b] = Var("v4", owned=False)
            return
        if not dc or k < 0.65:
            n = self.fresh("dc")
            self.emit(indent, f"{n} = S({self.scalar(1)}, {paren(self.array('v4', 1))} * 1.0)")
            self.env[n] = Var("dc")
            return
        s = self.scalar(1)
        self.emit(indent, r.choice([f"{dc}.w += {s}", f"{dc}.w = {dc}.w * 0.5 + {s}",
                                    f"{dc}.v += {s}", f"{dc}.v = {dc}.v * {s}",
                                    f"{dc}.v *= (1.0 + 0.3 * np.tanh({s}))"]))

    def type_change(self, indent):
        """A name changes type: float -> array, int -> float."""
        r = self.r
        c = [n for n, v in self.env.items() if v.type in ("f", "i") and n not in self.frozen]
        if not c:
            return False
        n = r.choice(c)
        if self.env[n].type == "i" and r.random() < 0.5:
            self.emit(indent, f"{n} = {n} + {self.scalar(1)}")
            self.env[n] = Var("f")
            return
        t = r.choice(["v4", "v3"])
        self.emit(indent, f"{n} = {n} * {self.array(t, 1)}")
        self.env[n] = Var(t, owned=True)

    # --------------------------------------------------------------- program
    def program(self):
        r = self.r
        k = r.randint(2, 4)
        params = [PARAMS[0], PARAMS[1]] + r.sample(PARAMS[2:], k - 2)
        r.shuffle(params)
        for n, t in params:
            self.env[n] = Var(t, owned=False)
        params = self.method_params(params)      # (gen_methods.py: its own stream)
        self.lines = []
        while self.budget > 0:
            self.stmt(1)
        ret = self.tuple_power(self.result())          # (gen_wide.py: its own stream)
        ret = self.joint_helper(ret)                    # (gen_wide.py: its own stream)
        ret = self.inverse_and_det(ret)                 # (gen_wide.py: its own stream)
        ret = self.trajectory_misfit(ret, params)       # (gen_wide.py: its own stream)
        ret = self.concatenate_pieces(ret, params)      # (gen_wide.py: its own stream)
        ret = self.matrix_chain(ret, params)            # (gen_wide.py: its own stream)
        ret = self.float_loop(ret, params)              # (gen_wide.py: its own stream)
        body = self.lines + [f"    return {ret}"]
        sig = ", ".join(n for n, _ in params)
        sig, body = self.forms_signature(sig, body)       # (gen_forms.py: its own stream)
        src = HEADER + "\n\n" + "\n\n".join(h for h in self.helpers if h) + \
            ("\n\n" if any(self.helpers) else "") + f"def f({sig}):\n" + "\n".join(body) + "\n"
        nw = r.choice([1, 1, 1, 2, len(params)])
        data = 1 if params[0][1] == "obj" else 0     # (an object is data: not in wrt)
        n = len(params) - (params[-1][1] == "seq")  # (a list of observations: data too)
        pos = sorted(r.sample(range(data, n), min(nw, n - data)))
        wrt = pos[0] if len(pos) == 1 else tuple(pos)
        return Program(self.seed, src, params, wrt, args=make_args(params, self.seed))


def paren(e):
    """``e`` safe to put before ``.attr``, ``[..]`` or ``@``."""
    if e.isidentifier() or (e.startswith("(") and e.endswith(")") and balanced(e[1:-1])):
        return e
    if e.endswith(")") and e[:e.index("(")].replace(".", "").replace("_", "").isalnum() \
            and balanced(e[e.index("(") + 1:-1]):
        return e                                  # a call
    return f"({e})"


def balanced(s):
    depth = 0
    for ch in s:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth < 0:
            return False
    return depth == 0


def generate(seed):
    return Gen(seed).program()
