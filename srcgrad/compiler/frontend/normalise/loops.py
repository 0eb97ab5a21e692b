"""Loops: ``for target in iterable`` becomes ``for i in range(n)`` binding
the target from indexed reads at the top of the body (how each iterable is
read: ``iterables.py``); ``for i in range(...)`` and
``reversed(range(...))`` stay counting loops; a loop variable read after its
loop gets a separate counter.

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def f(xs, ys):
...     s = 0.0
...     for i, (a, b) in enumerate(zip(xs, ys)):
...         s = s + i * a * b
...     return s
... ''')))
def f(xs, ys):
    s = 0.0
    check_sequence(xs, 'xs')
    n = len(xs)
    check_sequence(ys, 'ys')
    n_1 = len(ys)
    for i in range(min(n, n_1)):
        a = xs[i]
        b = ys[i]
        s = s + i * a * b
    out = s
    return out
"""

import gast

from srcgrad.compiler.frontend.normalise.iterables import enumerate_start
from srcgrad.compiler.ir.dataflow import live_before, loads as _loads
from srcgrad.compiler.ir.names import assign, const, load, store
from srcgrad.compiler.ir.walk import inner_nodes, walk as walk_tree


class Loops:
    """The loop desugarings of :class:`Normaliser`."""

    def desugar_for(self, s):
        """``for target in iterable`` becomes ``for i in range(n)`` binding
        the target from indexed reads at the top of the body.

        The iterable is evaluated once, before the loop, as Python does: a
        name the loop (its target or body) rebinds is first bound to a fresh
        name (``for e in x: x = 2 * x`` iterates the original ``x``), as is a
        ``range`` bound or an ``enumerate`` start.  ``enumerate``, ``zip``
        (which stops at the shortest), ``reversed`` and ``list``/``tuple`` of
        them are read lazily, item by item, as Python's iterators read the
        underlying sequences -- so an array written in place by the loop
        (``x[k] = ...``) is seen at its later items, exactly as in Python --
        and their tuples are unpacked into nested and starred targets
        directly; any other iterable (``sorted(...)``, a tuple of values, an
        expression) is evaluated into a fresh name and indexed.  What Python
        would not do the same way is refused: a loop that changes the length
        of the list it iterates over, that updates the iterated name in place
        (``x += ...``), or that writes in place into what ``list(...)`` or
        ``tuple(...)`` copied before the loop."""
        self.check_expr(s.iter)
        ctx = _LoopEffects(s)
        pre = []
        it = s.iter
        fname = self._builtin_call(it)
        inner = it.args[0] if fname == "reversed" and len(it.args) == 1 and not it.keywords \
            else None
        if fname == "range" and isinstance(s.target, gast.Name) and not it.keywords:
            # 'for i in range(...)' is the core form; a bound the loop rebinds is read once
            it.args = [self._once(a, ctx, pre, "stop", names_only=True) for a in it.args]
            header = gast.For(target=s.target, iter=it, body=[], orelse=[], type_comment=None)
            binds = []
        elif inner is not None and self._builtin_call(inner) == "range" and \
                isinstance(s.target, gast.Name) and not inner.keywords and \
                len(inner.args) in (1, 2):
            # reversed(range(a, b)) is range(b - 1, a - 1, -1)
            args = [self._once(a, ctx, pre, "stop", names_only=True) for a in inner.args]
            lower, upper = (const(0), args[0]) if len(args) == 1 else args
            rng = gast.Call(func=load("range"), args=[
                gast.BinOp(left=upper, op=gast.Sub(), right=const(1)),
                gast.BinOp(left=lower, op=gast.Sub(), right=const(1))
                if not isinstance(lower, gast.Constant) else const(lower.value - 1),
                const(-1)], keywords=[])
            header = gast.For(target=s.target, iter=rng, body=[], orelse=[], type_comment=None)
            binds = []
        else:
            length, item = self.sequence(it, ctx, pre, s)
            target = s.target
            counter = None
            if fname == "enumerate" and isinstance(target, (gast.Tuple, gast.List)) and \
                    len(target.elts) == 2 and isinstance(target.elts[0], gast.Name) and \
                    enumerate_start(it) is None and not any(
                        isinstance(n, gast.Name) and n.id == target.elts[0].id
                        for n in walk_tree(target.elts[1])):
                counter = target.elts[0].id       # for i, e in enumerate(x): i is the index
            if counter is None:
                tname = target.id if isinstance(target, gast.Name) else "item"
                counter = self.namer.fresh("i" if tname != "i" else "k")
            header = gast.For(target=store(counter), iter=gast.Call(
                func=load("range"), args=[length], keywords=[]), body=[], orelse=[],
                type_comment=None)
            binds = []
            self.bind(target, item(load(counter)), s, binds)
            _mark_keyed_reads(target, binds, s.body)
        gast.copy_location(header, s)
        for b in binds:
            gast.copy_location(b, s)
        header.body = binds + self.desugar_block(s.body)
        header.orelse = self.desugar_block(s.orelse)
        for p in pre:
            gast.copy_location(p, s)
        return self.desugar_block(pre) + [header]

    def _counters_read_after(self, stmts, live):
        """A loop variable read after its loop gets its value from a
        separate counter (``for i_1 in range(n): i = i_1``): when the loop
        does not run, Python leaves the variable as it was before the loop,
        and an assignment in the body (unlike the header) makes it loop
        carried in SSA.  ``live``: the names read after ``stmts``; returns
        those read before them."""
        for s in reversed(stmts):
            if isinstance(s, gast.If):
                live = self._counters_read_after(s.body, live) | \
                    self._counters_read_after(s.orelse, live) | _loads(s.test)
            elif isinstance(s, (gast.For, gast.While)):
                extra = _loads(s.test) if isinstance(s, gast.While) else set()
                target = {s.target.id} if isinstance(s, gast.For) else set()
                head = set(live)
                while True:
                    body_in = live_before(s.body, head | extra)
                    new = live | extra | (body_in - target)
                    if new <= head:
                        break
                    head |= new
                if isinstance(s, gast.For) and s.target.id in live:
                    counter = self.namer.fresh(s.target.id)
                    s.body.insert(0, gast.copy_location(assign(s.target.id, load(counter)), s))
                    s.target = store(counter)
                self._counters_read_after(s.body, head | extra)
                live = head | extra | (_loads(s.iter) if isinstance(s, gast.For) else set())
            else:
                live = live_before([s], live)
        return live

    def _once(self, node, ctx, pre, base, names_only=False):
        """``node`` as an expression with the value it has before the loop:
        bound to a fresh name first unless it is a constant or a name the loop
        does not rebind (with ``names_only``, any other expression is left to
        the SSA stage, which computes it once before the loop)."""
        if isinstance(node, gast.Constant) or \
                isinstance(node, gast.Name) and node.id not in ctx.written:
            return node
        if names_only and not isinstance(node, gast.Name):
            return node
        tmp = self.namer.fresh(node.id if isinstance(node, gast.Name) else base)
        pre.append(assign(tmp, node))
        return load(tmp)

    def bind(self, target, item, where, out):
        """Assign ``item`` (from :meth:`sequence`) to the loop target."""
        if isinstance(item, list):
            if isinstance(target, (gast.Tuple, gast.List)):
                elts = target.elts
                stars = [k for k, e in enumerate(elts) if isinstance(e, gast.Starred)]
                fixed = len(elts) - len(stars)
                if len(stars) > 1 or (len(item) != fixed if not stars else len(item) < fixed):
                    raise self.unsupported(where, f"a loop target of {len(elts)} names for "
                                           f"items of {len(item)} values",
                                           "match the target to the items (Python raises "
                                           "ValueError here)")
                if stars:
                    k = stars[0]
                    tail = len(elts) - k - 1
                    for e, v in zip(elts[:k], item[:k]):
                        self.bind(e, v, where, out)
                    rest = item[k:len(item) - tail]
                    self.bind(elts[k].value, gast.List(elts=[_as_expr(v) for v in rest],
                                                       ctx=gast.Load()), where, out)
                    for e, v in zip(elts[k + 1:], item[len(item) - tail:]):
                        self.bind(e, v, where, out)
                else:
                    for e, v in zip(elts, item):
                        self.bind(e, v, where, out)
                return
            item = _as_expr(item)
        if isinstance(target, gast.Name) and isinstance(item, gast.Name) and \
                item.id == target.id:
            return                             # the loop counter itself
        if isinstance(target, (gast.Tuple, gast.List)) and getattr(item, "srcgrad_int", False):
            raise self.unsupported(where, "unpacking the index of enumerate",
                                   "the index is an int: bind it to one name")
        if isinstance(target, gast.Starred):
            raise self.unsupported(where, "starred assignment", "unpack element by element")
        out.extend(self.desugar_assign(gast.copy_location(
            gast.Assign(targets=[target], value=item, type_comment=None), where)))


_RESIZING = ("append", "extend", "insert", "pop", "remove", "clear")
#: what changes a set's size (Python refuses to go on iterating it)
_SET_RESIZING = ("add", "discard", "difference_update", "intersection_update",
                 "symmetric_difference_update")


class _LoopEffects:
    """What a ``for`` loop's target and body do to names: ``written``, the
    names they bind; ``updated``, the names updated with ``op=``;
    ``resized``, the names whose length a list method changes;
    ``writes_in_place``, whether the loop changes items of any object in
    place (``a[k] = v``, ``a[k] op= v``, a list method other than ``append``
    and ``extend``, which leave the existing items alone)."""

    def __init__(self, s):
        self.written, self.updated, self.resized = set(), set(), set()
        self.writes_in_place = False
        for node in [s.target] + s.body:
            for n in inner_nodes(node):     # (no context or operator needed)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                    self.written.add(n.id)
                elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                    self.updated.add(n.target.id)
                elif isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
                    self.writes_in_place = True
                elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                        n.func.attr in _RESIZING + ("sort", "reverse", "update", "setdefault",
                                                    "popitem"):
                    if n.func.attr not in ("append", "extend"):
                        self.writes_in_place = True
                    if isinstance(n.func.value, gast.Name) and n.func.attr in _RESIZING:
                        self.resized.add(n.func.value.id)
                elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                        isinstance(n.func.value, gast.Name) and n.func.attr in _SET_RESIZING:
                    self.resized.add(n.func.value.id)


def _as_expr(item):
    """An item of :meth:`Normaliser.sequence` as one expression (the tuples
    of ``enumerate`` and ``zip`` as tuple displays)."""
    if isinstance(item, list):
        return gast.Tuple(elts=[_as_expr(v) for v in item], ctx=gast.Load())
    return item


def _mark_keyed_reads(target, binds, body):
    """``for k in d: ... d[k]`` (also through ``sorted(d)``, ``enumerate``,
    ...): ``d`` is indexed by its own items, so it is a mapping (or a list
    indexed by its values), not an array -- evidence for the analysis, as
    for ``for k in d`` in ``comprehensions.ContainerDesugar.dict_names``."""
    keys = {}
    for b in binds:
        if isinstance(b, gast.Assign) and isinstance(b.targets[0], gast.Name) and \
                getattr(b.value, "srcgrad_source", None) is not None:
            keys[b.targets[0].id] = b.value.srcgrad_source
    if not keys:
        return
    for stmt in body:
        for n in walk_tree(stmt):
            if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) and \
                    isinstance(n.slice, gast.Name) and keys.get(n.slice.id) == n.value.id:
                n.srcgrad_dict = True
