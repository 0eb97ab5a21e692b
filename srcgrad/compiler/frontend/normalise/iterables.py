"""How a ``for`` loop reads its iterable, item by item: ``enumerate``
(with a ``start``), ``zip`` (stops at the shortest; ``strict``; an endless
iterator is read only as far as the sequences go), ``reversed``,
``list(...)``/``tuple(...)`` of them, a dict (its keys), and anything else
evaluated once into a fresh name and indexed.

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def f(xs):
...     s = 0.0
...     for x in reversed(xs * 2.0):
...         s = s * 0.5 + x
...     return s
... ''')))
def f(xs):
    s = 0.0
    seq = xs * 2.0
    last = len(seq) - 1
    for i in range(len(seq)):
        x = seq[last - i]
        s = s * 0.5 + x
    out = s
    return out
"""

import builtins
import itertools

import gast

from srcgrad import runtime
from srcgrad.compiler.frontend.normalise.iterated import (ARRAY, DICT, NUMBER, SEQUENCE, SET,
                                                          Kinds,
                                                          join)
from srcgrad.compiler.frontend.normalise.trees import stored_names
from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.compiler.ir.printer import expr_source


class Iterables:
    """The iterable reading of :class:`Normaliser`'s loop desugaring."""

    def iterated_kind(self, node):
        """What the iterated expression ``node`` holds (``iterated.Kinds``):
        ``SEQUENCE``, ``SET``, ``DICT`` or ``None`` (unknown).  A parameter is
        a sequence when the function uses it as one; the loop over a parameter
        nothing shows to be a sequence reads it as ``name[0], name[1], ...``,
        which for a dict would be values (or a KeyError), not its keys -- so
        the generated code checks it (``runtime.check_sequence``), as it
        checks any name whose value is unknown."""
        kind = self._kinds().of(node)
        return SEQUENCE if kind in (NUMBER, ARRAY) else kind if kind in (SEQUENCE, SET, DICT) \
            else None

    def returned_kind(self, values, seen):
        """The kind of what the function normalised here returns (one of
        ``values``; ``None`` for a bare ``return``)."""
        kinds = self._kinds()
        return join([None if v is None else kinds.of(v, seen) for v in values] or [None])

    def _kinds(self):
        cached = getattr(self, "_kinds_of", None)
        if cached is not None and cached[0] is self.tree:
            return cached[1]
        outer = None
        if self.tree is not self.parsed.tree:
            # the function inlined into: its names are found once for every call inlined
            # (the statements desugaring adds bind fresh names only)
            outer = getattr(self.parsed, "srcgrad_outer_kinds", None)
            if outer is None or outer[0] is not self.parsed.tree:
                outer = self.parsed.srcgrad_outer_kinds = (
                    self.parsed.tree, Kinds([self.parsed.tree], self.parsed.resolve_global))
            outer = outer[1]
        kinds = Kinds([self.tree], self.parsed.resolve_global, self.inliner.made, outer)
        self._kinds_of = (self.tree, kinds)
        return kinds

    def _tree_assigns(self, name):
        """``assigns(self.tree, name)``, for the builtin names loops call: the
        names the tree stores are found once per tree (desugaring adds only
        fresh names, never a builtin's name the code reads)."""
        cached = getattr(self, "_stored_names", None)
        if cached is None or cached[0] is not self.tree:
            cached = self._stored_names = (self.tree, stored_names(self.tree))
        return name in cached[1]

    def _builtin_call(self, node):
        """The name of the builtin ``node`` calls (``range``, ``enumerate``,
        ``zip``, ``reversed``, ``list``, ``tuple``), if it calls one the
        function does not rebind."""
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)):
            return None
        name = node.func.id
        if name not in _ITERATION_BUILTINS or self._tree_assigns(name) or \
                self.parsed.resolve_global(name) is not getattr(builtins, name):
            return None
        return name

    def sequence(self, it, ctx, pre, where, copied=False):
        """How the loop reads the iterable ``it``: ``(length, item)``, the
        number of items (an expression evaluated before the loop) and a
        function from an index expression to the item -- an expression, or a
        list of items for the tuples ``enumerate`` and ``zip`` make.
        Statements evaluating the iterable are appended to ``pre``.
        ``copied``: ``it`` is the argument of ``list(...)``/``tuple(...)``,
        whose items Python copies out before the loop starts (``"direct"``:
        ``it`` is a name, the whole argument: a name whose value is not known
        to be a sequence is copied so, a set or a dict included)."""
        fname = self._builtin_call(it)
        if fname == "enumerate":
            start = enumerate_start(it)
            if len(it.args) < 1 or len(it.args) + len(it.keywords) > 2 or start is False:
                raise self.unsupported(where, "this call of enumerate",
                                       "write enumerate(seq) or enumerate(seq, start)")
            length, item = self.sequence(it.args[0], ctx, pre, where, copied)
            if start is None:
                return length, lambda k: [_int_index(k), item(k)]
            first = self._once(start, ctx, pre, "start")
            return length, lambda k: [_int_index(gast.BinOp(left=k, op=gast.Add(), right=first)),
                                      item(k)]
        if fname == "zip":
            strict = False
            for kw in it.keywords:
                if kw.arg == "strict" and isinstance(kw.value, gast.Constant):
                    strict = bool(kw.value.value)
                else:
                    raise self.unsupported(where, "this call of zip",
                                           "pass the sequences, and at most strict=True/False")
            if not it.args:
                return const(0), lambda k: []
            # an iterator of unknown length (itertools.count()) is read only as far as
            # the sized sequences go: zip stops at the shortest, and the iterator may be
            # endless
            unsized = [isinstance(a, gast.Call) and not _known_sequence(a) and
                       self._builtin_call(a) not in _ITERATION_BUILTINS for a in it.args]
            parts, lengths = [None] * len(it.args), [None] * len(it.args)
            for k in sorted(range(len(it.args)), key=lambda k: unsized[k]):
                a = it.args[k]
                if unsized[k] and not all(unsized):
                    bound = [n for n in lengths if n is not None]
                    for n in bound[1:]:
                        bound[0] = gast.Call(func=load("min"), args=[bound[0], n], keywords=[])
                    a = gast.Call(func=load(self.inliner.extra(itertools.islice, "islice")),
                                  args=[a, bound[0]], keywords=[])
                n, item = self.sequence(a, ctx, pre, where, copied)
                if not isinstance(n, (gast.Name, gast.Constant)):
                    tmp = self.namer.fresh("n")
                    pre.append(assign(tmp, n))
                    n = load(tmp)
                parts[k], lengths[k] = (n, item), n
            if strict:
                for n in lengths[1:]:
                    pre.append(gast.If(test=gast.Compare(left=lengths[0], ops=[gast.NotEq()],
                                                         comparators=[n]),
                                       body=[gast.Raise(exc=gast.Call(
                                           func=load("ValueError"),
                                           args=[const("zip() arguments have different "
                                                       "lengths")], keywords=[]), cause=None)],
                                       orelse=[]))
            length = lengths[0]
            for n in lengths[1:]:             # zip stops at the shortest
                length = gast.Call(func=load("min"), args=[length, n], keywords=[])
            return length, lambda k: [item(k) for _, item in parts]
        if fname == "reversed" and len(it.args) == 1 and not it.keywords:
            arg = it.args[0]
            if self._builtin_call(arg) in ("enumerate", "zip"):
                raise self.unsupported(where, f"reversed({arg.func.id}(...))",
                                       f"Python cannot reverse a {arg.func.id} object: write "
                                       f"reversed(list({arg.func.id}(...)))")
            length, item = self.sequence(arg, ctx, pre, where, copied)
            last = self.namer.fresh("last")
            pre.append(assign(last, gast.BinOp(left=length, op=gast.Sub(), right=const(1))))
            return length, lambda k: item(gast.BinOp(left=load(last), op=gast.Sub(), right=k))
        if fname in ("list", "tuple") and len(it.args) == 1 and not it.keywords:
            arg = it.args[0]
            if self._builtin_call(arg) is not None or isinstance(arg, gast.Name):
                return self.sequence(arg, ctx, pre, where,
                                     copied="direct" if isinstance(arg, gast.Name) else True)
        source = None
        if isinstance(it, gast.Name):
            name = source = it.id
            if name in ctx.resized:
                raise self.unsupported(where, f"a loop that changes the length of '{name}', "
                                       "which it iterates over",
                                       f"iterate over a copy made before the loop: "
                                       f"before = list({name}); for ... in before")
            if name in ctx.updated:
                raise self.unsupported(where, f"'{name} op= ...' in a loop over '{name}' (an "
                                       "array is changed in place, and the loop sees it)",
                                       f"write {name} = {name} op ... (a new value), or iterate "
                                       f"over a copy made before the loop")
            if copied and ctx.writes_in_place and name not in self.containers.dict_names():
                raise self.unsupported(where, f"a loop over list({name}) or tuple({name}) that "
                                       "writes into arrays in place",
                                       f"copy before the loop and iterate over the copy: "
                                       f"items = list({name})")
            kind = DICT if name in self.containers.dict_names() else self.iterated_kind(it)
            if kind in (DICT, SET) or kind is None and (
                    copied == "direct" or copied and not self._kinds().parameter(name)):
                # iterating a dict gives its keys, a set its members; list(...) copies
                seq = self.namer.fresh({DICT: "keys", SET: "members"}.get(kind, "items"))
                pre.append(assign(seq, gast.Call(func=load("list"), args=[load(name)],
                                                 keywords=[])))
                if kind == SET:
                    source = None
            else:
                if kind is None:
                    pre.append(gast.Expr(value=self._check_sequence(load(name), name)))
                seq = name
                if name in ctx.written:                 # the loop rebinds it: the original
                    seq = self.namer.fresh(name + "_iterated")
                    pre.append(assign(seq, load(name)))
        else:
            seq = self.namer.fresh("seq")
            value = it
            if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and \
                    it.func.id == "sorted" and not self._tree_assigns("sorted") and \
                    self.parsed.resolve_global("sorted") is sorted and it.args and \
                    isinstance(it.args[0], gast.Name):
                source = it.args[0].id                  # sorted(d): d's keys
            kind = None if isinstance(it, gast.Call) else \
                SEQUENCE if isinstance(it, (gast.List, gast.Tuple, gast.Constant)) else \
                SET if isinstance(it, gast.Set) else DICT if isinstance(it, gast.Dict) else \
                self.iterated_kind(it)
            if kind in (DICT, SET) or isinstance(it, gast.Call) and \
                    not _known_sequence(it) and self._builtin_call(it) != "range":
                # (a dict or a set is iterated as list(...) gives it: keys, members)
                value = gast.Call(func=load("list"), args=[it], keywords=[])
            pre.append(assign(seq, value))
            if kind is None and not isinstance(it, gast.Call):
                pre.append(gast.Expr(value=self._check_sequence(load(seq), expr_source(it))))

        def item(k):
            node = gast.Subscript(value=load(seq), slice=k, ctx=gast.Load())
            node.srcgrad_iter = True        # evidence that seq may be a list (analyse)
            node.srcgrad_source = source    # the container whose items (keys) seq holds
            return node
        return _len(seq), item


    def _check_sequence(self, node, what):
        """``check_sequence(node, what)``: the loop reads ``node`` item by
        item, which is right only for a sequence."""
        return gast.Call(func=load(self.inliner.extra(runtime.check_sequence, "check_sequence")),
                         args=[node, const(what)], keywords=[])


def _len(name):
    return gast.Call(func=load("len"), args=[load(name)], keywords=[])


_SEQUENCE_CALLS = {"list", "tuple", "sorted", "reversed"}


#: NumPy functions that return iterators, not arrays
_NUMPY_ITERATORS = {"ndindex", "ndenumerate", "nditer", "nested_iters"}


def _known_sequence(call):
    f = call.func
    if isinstance(f, gast.Name) and f.id in _SEQUENCE_CALLS:
        return f.id != "reversed"
    if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and \
            f.value.id in ("np", "numpy"):
        return f.attr not in _NUMPY_ITERATORS
    return False


_ITERATION_BUILTINS = ("range", "enumerate", "zip", "reversed", "list", "tuple")



def enumerate_start(call):
    """The ``start`` of ``enumerate(seq, start)``: ``None`` when it is 0 or
    absent, ``False`` when the call is malformed."""
    start = call.args[1] if len(call.args) > 1 else None
    for kw in call.keywords:
        if kw.arg != "start" or start is not None:
            return False
        start = kw.value
    if start is None or isinstance(start, gast.Constant) and start.value == 0 and \
            not isinstance(start.value, bool):
        return None
    return start


def _int_index(node):
    node.srcgrad_int = True
    return node
