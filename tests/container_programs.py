"""Functions using lists, tuples, dicts, named tuples, dataclasses and
comprehensions, differentiated by tests/test_containers.py (srcgrad reads
their source)."""

import collections
import dataclasses
import typing

import numpy as np

Pair = collections.namedtuple("Pair", "w b")


class Layer(typing.NamedTuple):
    w: np.ndarray
    b: float


@dataclasses.dataclass
class Params:
    w: np.ndarray
    scale: float
    name: str = "p"
    steps: int = 3


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: float
    b: float

    def __post_init__(self):
        Frozen.made += 1


Frozen.made = 0


class Plain:
    def __init__(self, k, v):
        self.k = k
        self.v = v


# -- comprehensions and generator expressions -------------------------------------

def list_comprehension(x):
    ys = [x * i for i in range(4)]
    return ys[1] * ys[3] + ys[2]


def comprehension_with_condition(x):
    ys = [np.sin(x * i) for i in range(6) if i % 2 == 0]
    return ys[0] + ys[1] * ys[2]


def nested_comprehension(x, w):
    m = [x * a + w * b for a in range(3) for b in range(2) if a != b]
    return sum(m) * m[1]


def comprehension_of_comprehensions(x):
    rows = [[x * i * j for j in range(3)] for i in range(3)]
    return np.sum(np.array(rows) ** 2)


def generators_to_reductions(x, w):
    vals = [x, w * x, 2.0, np.cos(x)]
    a = sum(v * v for v in vals)
    b = max(v * w for v in vals)
    c = min(v + 1.0 for v in vals if v > 0)
    return a + b * c


def generators_to_arrays(v):
    a = np.array([v[i] * i for i in range(3)])
    s = np.stack([np.sin(v) * k for k in range(3)])
    return np.sum(a * a) + np.sum(s[1] * s[2])


def comprehension_is_hygienic(x):
    i = x * 2.0
    ys = [i * x for i in [1.0, 2.0, 3.0]]   # this i is not the function's i
    return i * sum(ys)


def dict_comprehension(x):
    d = {k: x * v for k, v in [("a", 1.0), ("b", 2.0)]}
    e = {k: d[k] * d[k] for k in d}
    return e["a"] + e["b"] * x


# -- lists ---------------------------------------------------------------------------

def list_build_in_loop(x, n):
    ys = []
    h = x
    for t in range(n):
        h = np.sin(h) + 0.5 * x
        ys.append(h)
    return sum(ys) + ys[-1] * len(ys)


def list_operations(x, y):
    ys = [x, y]
    ys.append(x * y)
    ys.extend([np.sin(x), y * y])
    ys.insert(1, x * 3.0)
    last = ys.pop()
    second = ys.pop(1)
    zs = ys + [last * second]
    s = 0.0
    for z in zs[1:]:
        s = s + z * z
    return s + zs[0] * len(zs)


def list_setitem(x, y):
    ys = [x, y, x * y]
    ys[1] = ys[0] * ys[2]
    ys[-1] = np.exp(ys[1])
    return ys[0] + ys[1] * ys[2]


def list_of_arrays(a, n):
    hs = [a]
    for t in range(n):
        hs.append(np.tanh(hs[-1]) * 1.5)
    return np.sum(np.stack(hs) ** 2) + np.sum(np.array(hs[1:]))


def list_argument(xs, w):
    total = 0.0
    for x in xs:
        total = total + w * x * x
    return total + xs[0] * xs[1]


def list_argument_changed(xs, w):
    xs.append(w * w)
    xs[0] = xs[0] * w
    return sum(xs) * w


def tuple_argument(p, x):
    a, b = p
    return a * x + b * b


def tuple_of_array_and_int(p, x):
    a, n = p
    return np.sum(a * x) * n


def pop_in_loop(x, n):
    stack = [x * k for k in range(n)]
    total = 0.0
    while len(stack) > 1:
        a = stack.pop()
        b = stack.pop()
        stack.append(a * b * 0.5 + 1.0)
        total = total + a
    return total + stack[0]


# -- dicts ---------------------------------------------------------------------------

def dict_literal_and_items(x, y):
    d = {"a": x, "b": y * y}
    d["c"] = d["a"] * d["b"]
    s = 0.0
    for k, v in d.items():
        s = s + v * v
    for v in d.values():
        s = s + v
    for k in d.keys():
        s = s + d[k] * 0.5
    for k in d:
        s = s + d[k]
    return s * len(d)


def dict_argument(params, x):
    h = params["w"] * x + params["b"]
    return np.sum(np.tanh(h) ** 2) * params["scale"]


def dict_argument_written(params, x):
    params["w"] = params["w"] * x
    params["extra"] = x * x
    return np.sum(params["w"]) + params["extra"]


def nested_params(params, x):
    w1, b1 = params["layer1"]
    w2, b2 = params["layer2"]
    h = np.tanh(w1 @ x + b1)
    out = w2 @ h + b2
    return np.sum(out ** 2) + 0.0 * params["n"]


# -- records -----------------------------------------------------------------------

def namedtuple_argument(p, x):
    return p.w * x + p.b * p.b


def typed_namedtuple(layer, x):
    return np.sum(np.tanh(layer.w * x) + layer.b)


def dataclass_argument(p, x):
    return np.sum(p.w * x) * p.scale + p.steps


def frozen_dataclass(f, x):
    return f.a * x + f.b * f.a


def plain_object(obj, x):
    return obj.k * x * obj.v


def self_method_style(self, x):
    return self.a * x + self.b


def namedtuple_local(x):
    p = Pair(x, 2.0)
    return p.w * p.b


# -- errors ------------------------------------------------------------------------

def sort_in_place(x):
    ys = [x, 2.0 * x]
    ys.sort()
    return ys[0]


def aliased_list(x):
    ys = [x]
    zs = ys
    ys.append(x * x)
    return sum(zs) + sum(ys)


def stored_then_changed(x):
    inner = [x]
    outer = [inner]
    inner.append(x * x)
    return sum(outer[0])


def nested_changed(params, x):
    ws = params["ws"]
    ws.append(x)
    return sum(ws)


def pop_in_expression(x):
    ys = [x, x * x]
    return ys.pop() + ys[0]


def set_comprehension(x):
    s = {x * i for i in range(3)}
    return len(s) * x


def comprehension_in_while(x):
    while sum([x * i for i in range(3)]) < 10.0:
        x = x * 2.0
    else:
        x = x + 0.0          # (a while with else: its comprehension stays refused)
    return x


def comprehension_in_while_test(x):
    while sum([x * i for i in range(3)]) < 10.0:
        x = x * 2.0
    return x


def replace_namedtuple(p, x):
    q = p._replace(w=x)
    return q.w * q.b


@dataclasses.dataclass
class State:
    pos: float
    vel: float


@dataclasses.dataclass(frozen=True)
class Coefficients:
    k: float
    c: float = 0.1


def _step(s, p, dt):
    a = -p.k * s.pos - p.c * s.vel
    return State(s.pos + dt * s.vel, s.vel + dt * a)


def dataclasses_made_in_the_function(k, x0):
    p = Coefficients(k=k)
    s = State(x0, 0.0)
    for i in range(20):
        s = _step(s, p, 0.05)
    return 0.5 * s.vel ** 2 + 0.5 * p.k * s.pos ** 2


@dataclasses.dataclass
class Normalised:
    v: float

    def __post_init__(self):
        self.v = self.v / 2.0


def dataclass_with_post_init(x):
    return Normalised(x).v * x


def append_then_overwrite(x):
    # reverse sweep: the adjoint of acc.append(y * 0.5) pops d_acc into a
    # value that is dead (d_y = 0.0 follows); the pop must stay (regression:
    # the optimiser once removed it, shifting every later adjoint)
    acc = [x * 0.1]
    acc.append(x * 3.0)
    y = x
    c = 0
    while c < 1:
        c = c + 1
        y = 0.22
        acc.append(y * 0.5)
        if len(acc) > 2:
            last = acc.pop()
            acc.append(last * 0.9 + acc[0])
    return sum(acc) + y
