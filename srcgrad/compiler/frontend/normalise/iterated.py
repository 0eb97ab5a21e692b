"""What a name a loop iterates over holds, as far as the function's source
shows: a sequence (read item by item as ``seq[0], seq[1], ...``), a set
or a dict (iterated as ``list(...)`` gives them: members, keys), or
unknown (``None``: the generated code checks it when it runs,
``runtime.check_sequence``).

Every binding of the name counts (a name bound to a set in one branch and
to a list in another is unknown); a parameter is a sequence only when the
function uses it as one (arithmetic, a slice, a NumPy call); a global by
the value it has now.

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def f(x):
...     s = {1, 2} | {3}
...     t = 0.0
...     for k in s:
...         t = t + k * x
...     return t
... ''')))
def f(x):
    s = {1, 2} | {3}
    t = 0.0
    members = list(s)
    for i in range(len(members)):
        k = members[i]
        t = t + k * x
    out = t
    return out
"""

import builtins

import gast
import numpy as np

from srcgrad.compiler.ir.walk import name_nodes, walk as walk_tree

SEQUENCE, ARRAY, SET, DICT, NUMBER = "sequence", "array", "set", "dict", "number"

_PARAM, _OTHER = object(), object()          # binding markers: a parameter; anything else
_SET_OPS = (gast.BitOr, gast.BitAnd, gast.BitXor, gast.Sub)
_SET_METHODS = {"union", "intersection", "difference", "symmetric_difference"}
#: methods of arrays that give arrays; attributes only arrays have
_ARRAY_METHODS = {"reshape", "ravel", "flatten", "astype", "transpose", "squeeze", "copy",
                  "conj", "conjugate", "clip", "cumsum", "cumprod", "round", "swapaxes",
                  "repeat", "sum", "mean", "dot", "max", "min", "prod", "std", "var"}
_ARRAY_ATTRIBUTES = {"T", "real", "imag", "mT", "shape", "ndim", "dtype", "size"}
#: operators a list, a dict and a set do not take with a number
_ARRAY_OPS = (gast.Div, gast.Pow, gast.MatMult, gast.FloorDiv)


class _Element:
    """A binding to an item of ``of`` (at the constant ``index``, or any)."""

    def __init__(self, of, index=None):
        self.of, self.index = of, index


def bindings(trees):
    """``name -> [value expression, _Element, or a marker]`` for every name
    bound in ``trees`` (function definitions)."""
    out = {}

    def add(name, value):
        out.setdefault(name, []).append(value)

    def target(t, value):
        if isinstance(t, gast.Name):
            add(t.id, value)
        elif isinstance(t, (gast.Tuple, gast.List)) and value is not None and \
                not any(isinstance(e, gast.Starred) for e in t.elts):
            for k, e in enumerate(t.elts):
                if isinstance(value, (gast.Tuple, gast.List)) and \
                        len(value.elts) == len(t.elts) and \
                        not any(isinstance(v, gast.Starred) for v in value.elts):
                    target(e, value.elts[k])
                else:
                    target(e, _Element(value, k))
        else:
            for n in name_nodes(t):
                if isinstance(n.ctx, gast.Store):
                    add(n.id, _OTHER)

    for tree in trees:
        for n in walk_tree(tree):
            if isinstance(n, gast.Assign):
                for t in n.targets:
                    target(t, n.value)
            elif isinstance(n, gast.AnnAssign) and n.value is not None:
                target(n.target, n.value)
            elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                add(n.target.id, gast.BinOp(left=gast.Name(id=n.target.id, ctx=gast.Load(),
                                                           annotation=None, type_comment=None),
                                            op=n.op, right=n.value))
            elif isinstance(n, gast.arguments):
                for a in n.posonlyargs + n.args + n.kwonlyargs + [n.vararg, n.kwarg]:
                    if a is not None:
                        add(a.id, _PARAM)
            elif isinstance(n, (gast.For, gast.comprehension)):
                if isinstance(n.target, gast.Name):
                    add(n.target.id, _Element(n.iter))
                else:
                    target(n.target, None)
            elif isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                out.setdefault(n.id, [])      # (found through its statement above)
    for name, values in out.items():
        if not values:
            values.append(_OTHER)              # a store the cases above do not read
    return out


def uses(trees):
    """``name -> ARRAY or SEQUENCE``: how the function uses each name.
    ``ARRAY``: what only an array (or a number) takes -- a tuple index,
    ``/``, ``**``, ``@``, arithmetic with a float, unary minus, ``.shape``,
    ``.sum()``; ``SEQUENCE``: any other arithmetic, a slice, a NumPy
    call's argument."""
    out = {}

    def use(node, kind):
        if isinstance(node, gast.Name) and out.get(node.id) != ARRAY:
            out[node.id] = kind

    def floating(node):
        return isinstance(node, gast.Constant) and isinstance(node.value, (float, complex))

    def number(node):
        return isinstance(node, gast.Constant) and isinstance(node.value, (int, float)) or \
            isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
            node.func.id in ("len", "sum", "min", "max", "abs", "float", "int", "round")

    for n in (n for tree in trees for n in walk_tree(tree)):
        if isinstance(n, gast.BinOp):
            for a, b in ((n.left, n.right), (n.right, n.left)):
                if isinstance(n.op, _ARRAY_OPS) or floating(b):
                    use(a, ARRAY)
                elif not isinstance(n.op, _SET_OPS) or number(b):
                    use(a, SEQUENCE)       # (a set minus a number raises)
        elif isinstance(n, gast.UnaryOp):
            use(n.operand, ARRAY if isinstance(n.op, (gast.USub, gast.UAdd)) else SEQUENCE)
        elif isinstance(n, gast.Subscript) and isinstance(n.slice, gast.Tuple):
            use(n.value, ARRAY)
        elif isinstance(n, gast.Subscript) and isinstance(n.slice, gast.Slice):
            use(n.value, SEQUENCE)
        elif isinstance(n, gast.Attribute) and n.attr in _ARRAY_ATTRIBUTES | _ARRAY_METHODS \
                and n.attr != "copy":
            use(n.value, ARRAY)
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                isinstance(n.func.value, gast.Name) and n.func.value.id in ("np", "numpy"):
            for a in n.args:
                use(a, SEQUENCE)
    return out


class Kinds:
    """The kinds of the names of ``trees``: ``resolve(name)`` is what a name
    no tree binds means (``Parsed.resolve_global``); ``made``: names the
    normaliser made, with their values (an expression, a kind, or a
    function of the names being looked at giving a kind)."""

    def __init__(self, trees, resolve, made=None, outer=None):
        self.bound = bindings(trees)
        self.uses = uses(trees)
        if outer is not None:          # the Kinds of the function this one is inlined into
            for name, values in outer.bound.items():
                self.bound[name] = values + self.bound.get(name, [])
            for name, kind in outer.uses.items():
                if self.uses.get(name) != ARRAY:
                    self.uses[name] = kind
        self.resolve = resolve
        self.made = made if made is not None else {}

    def builtin(self, node, *names):
        return isinstance(node, gast.Name) and node.id in names and \
            node.id not in self.bound and self.resolve(node.id) is getattr(builtins, node.id)

    def parameter(self, name):
        """Whether ``name`` is a parameter of a function of the trees."""
        return _PARAM in self.bound.get(name, ())

    def static(self, node):
        """The object a global name or a chain of attributes of one means
        now (``None`` for anything else)."""
        if isinstance(node, gast.Name):
            return None if node.id in self.bound else self.resolve(node.id)
        if isinstance(node, gast.Attribute):
            return getattr(self.static(node.value), node.attr, None)
        return None

    def of_name(self, name, seen=frozenset()):
        """The kind of the name ``name``: ``SEQUENCE``, ``ARRAY``, ``SET``,
        ``DICT``, ``NUMBER`` or ``None`` (unknown)."""
        if name in seen:
            return _ANY                       # a binding in terms of itself: the others decide
        seen = seen | {name}
        values = self.bound.get(name)
        if values is None and name in self.made:
            value = self.made[name]
            if isinstance(value, str):
                return value
            return value(seen) if callable(value) else self.of(value, seen)
        if values is None:
            return _value_kind(self.resolve(name))
        return join([self.uses.get(name) if v is _PARAM else None if v is _OTHER else
                     self.element(v.of, v.index, seen) if isinstance(v, _Element) else
                     self.of(v, seen) for v in values])

    def element(self, node, index, seen):
        """The kind of an item of ``node`` (at the int ``index``, or any)."""
        if isinstance(node, (gast.Tuple, gast.List)):
            elts = node.elts
            if any(isinstance(e, gast.Starred) for e in elts):
                return None
            if isinstance(index, int) and -len(elts) <= index < len(elts):
                elts = [elts[index]]
            return join([self.of(e, seen) for e in elts]) if elts else None
        if isinstance(node, gast.Name) and node.id in self.bound and node.id not in seen:
            values = self.bound[node.id]
            if _PARAM not in values and _OTHER not in values and \
                    not any(isinstance(v, _Element) for v in values):
                return join([self.element(v, index, seen | {node.id}) for v in values])
        kind = self.of(node, seen)
        return ARRAY if kind in (ARRAY, NUMBER) else None

    def of(self, node, seen=frozenset()):
        """The kind of the value of the expression ``node``."""
        if isinstance(node, (gast.List, gast.Tuple, gast.ListComp)) or \
                isinstance(node, gast.Constant) and isinstance(node.value, (str, bytes)):
            return SEQUENCE
        if isinstance(node, gast.Constant):
            return NUMBER
        if isinstance(node, (gast.Set, gast.SetComp)):
            return SET
        if isinstance(node, (gast.Dict, gast.DictComp)):
            return DICT
        if isinstance(node, gast.Name):
            return self.of_name(node.id, seen)
        if isinstance(node, gast.BoolOp):
            return join([self.of(v, seen) for v in node.values])
        if isinstance(node, gast.IfExp):
            return join([self.of(node.body, seen), self.of(node.orelse, seen)])
        if isinstance(node, gast.BinOp):
            kinds = [self.of(node.left, seen), self.of(node.right, seen)]
            if isinstance(node.op, _SET_OPS) and SET in kinds:
                return SET
            if ARRAY in kinds or NUMBER in kinds or isinstance(node.op, _ARRAY_OPS):
                return ARRAY                   # (or a number; a set with them raises)
            if not isinstance(node.op, _SET_OPS) or SEQUENCE in kinds:
                return SEQUENCE                # arithmetic: a list, an array
            return None if None in kinds else join(kinds)
        if isinstance(node, gast.UnaryOp):
            return ARRAY if isinstance(node.op, (gast.USub, gast.UAdd)) else NUMBER
        if isinstance(node, gast.Subscript):
            if isinstance(node.slice, gast.Tuple):
                return ARRAY
            if isinstance(node.slice, gast.Slice):
                kind = self.of(node.value, seen)   # (a set or dict cannot be sliced)
                return kind if kind in (ARRAY, SEQUENCE) else SEQUENCE
            index = node.slice.value if isinstance(node.slice, gast.Constant) and \
                isinstance(node.slice.value, int) else None
            return self.element(node.value, index, seen)
        if isinstance(node, gast.Attribute):
            if node.attr in _ARRAY_ATTRIBUTES:
                return ARRAY
            return _value_kind(self.static(node))
        if isinstance(node, gast.Call):
            return self._call(node, seen)
        return None

    def _call(self, node, seen):
        f = node.func
        if self.builtin(f, "list", "tuple", "sorted", "range", "str"):
            return SEQUENCE
        if self.builtin(f, "set", "frozenset"):
            return SET
        if self.builtin(f, "dict"):
            return DICT
        if self.builtin(f, "len", "sum", "min", "max", "abs", "float", "int", "round"):
            return NUMBER
        fun = self.static(f)
        if fun is not None and _array_function(fun):
            return ARRAY                       # NumPy, scipy.special, scipy.stats: arrays
        if isinstance(f, gast.Attribute):
            receiver = self.of(f.value, seen)
            if f.attr in _SET_METHODS and receiver == SET:
                return SET
            if f.attr == "copy" and receiver in (SET, DICT, SEQUENCE, ARRAY):
                return receiver
            if f.attr in _ARRAY_METHODS and receiver == ARRAY:
                return ARRAY
            if f.attr == "tolist" and receiver == ARRAY:
                return SEQUENCE
        return None


_ANY = "any"


def join(kinds):
    """The kind of a name bound to values of each of ``kinds``."""
    kinds = {ARRAY if k == NUMBER else k for k in kinds if k != _ANY}
    if kinds == {ARRAY, SEQUENCE}:
        return SEQUENCE
    if not kinds:
        return _ANY
    return kinds.pop() if len(kinds) == 1 else None


def _array_function(fun):
    """Whether ``fun`` is a function of NumPy, scipy.special or scipy.stats
    (their results are arrays, numbers or tuples)."""
    if isinstance(fun, np.ufunc):
        return True
    module = getattr(fun, "__module__", None) or ""
    if not callable(fun) or isinstance(fun, type):
        return False
    if module.startswith("scipy.stats") and getattr(fun, "__name__", "") in ("fit", "expect"):
        return False
    return module == "numpy" or module.startswith(("numpy.", "scipy.special", "scipy.stats")) \
        and not module.startswith(("numpy.random", "numpy.lib.index_tricks"))


def _value_kind(value):
    if isinstance(value, (int, float, complex, np.number)):
        return NUMBER
    if isinstance(value, np.ndarray):
        return ARRAY
    if isinstance(value, (list, tuple, range, str)):
        return SEQUENCE
    if isinstance(value, (set, frozenset)):
        return SET
    if isinstance(value, dict):
        return DICT
    return None
