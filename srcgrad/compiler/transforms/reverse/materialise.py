"""Materialise the adjoints: the placeholders of the reverse sweep become code.

A dataflow pass over the reverse sweep decides, for every contribution,
whether it is the first (``d_x = ...``) or adds to earlier ones (``d_x = d_x
+ ...``); contributions from a zero adjoint are dropped; zeros are created
only where control flow merges a path with and a path without a
contribution (below: the ``else`` branch), and before a loop whose body adds
to an adjoint.  Shape-only references (``zeros_like(x)``) are then pointed at
values the reverse sweep reads anyway.

>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def f(x, c):
...     if c > 0.0:
...         y = x * x
...     else:
...         y = c
...     return y
>>> df = reverse_transform(f, ("x",), Driver(), with_value=False)
>>> print(df.srcgrad_source.split("\\n\\n\\n")[0].rstrip())
def d_f(x, c):
    if ((type(c) is not float and type(c) is not float64) or
            (type(x) is not float and type(x) is not float64)):
        return d_f_generic(x, c)
    cond = c > 0.0
    d_out = 1.0
    # line 6: return y
    d_y = d_out
    if cond:
        # line 3: y = x * x
        d_x = 2.0 * (d_y * x)
    else:
        d_x = 0.0
    return d_x
"""


import gast

from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.compiler.transforms.reverse.nodes import exprs_of, method_call
from srcgrad.compiler.transforms.reverse.placeholders import (DEF_OWNED, DEF_SHARED, Adjoint,
                                                              ListAdjoint, Restore,
                                                              SetItemAdjoint)
from srcgrad.compiler.ir.walk import name_nodes


class Materialise:
    """Adjoint placeholders to code (a part of :class:`Reverse`)."""

    def materialise(self, stmts, state):
        """Replace pseudo statements in ``stmts`` by code; ``state`` maps each
        adjoint name that holds a value to DEF_OWNED or DEF_SHARED."""
        out = []
        for s in stmts:
            if isinstance(s, (SetItemAdjoint, ListAdjoint, gast.If, gast.For)):
                # lazy adjoints stay within straight-line code
                out.extend(self.expand_all(state))
            if isinstance(s, Restore) and self.d(s.name) in self.lazy and \
                    self.d(s.name) in state:
                # a lazy adjoint takes its shape from the value the restore overwrites
                out.extend(self.expand(self.d(s.name)))
            if isinstance(s, (Adjoint, SetItemAdjoint, ListAdjoint)) and self.an.complex:
                self.complex_now = bool(self.an.complex & _names_of(s))
            if isinstance(s, Adjoint):
                out.extend(self.emit_adjoint(s, state))
            elif isinstance(s, SetItemAdjoint):
                out.extend(self.emit_setitem(s, state))
            elif isinstance(s, ListAdjoint):
                out.extend(self.emit_list_change(s, state))
            elif isinstance(s, gast.If):
                sb, so = dict(state), dict(state)
                body = self.materialise(s.body, sb)
                orelse = self.materialise(s.orelse, so)
                defined = getattr(s, "srcgrad_defined", None)
                for v in sorted(set(sb) | set(so)):
                    if v in sb and v not in so:
                        orelse.append(self.zeros(v, defined))
                        so[v] = DEF_OWNED
                    elif v in so and v not in sb:
                        body.append(self.zeros(v, defined))
                        sb[v] = DEF_OWNED
                state.clear()
                for v in sb:
                    state[v] = DEF_OWNED if sb[v] == so[v] == DEF_OWNED else DEF_SHARED
                s.body, s.orelse = body, orelse
                out.append(s)
            elif isinstance(s, gast.For):
                out.extend(self.materialise_loop(s, state))
            else:
                out.append(s)
        out.extend(self.expand_all(state))
        return out

    def materialise_loop(self, s, state):
        pre = []
        original = s.body
        head = dict(state)
        target = self.adj_names.get(s.target.id) if isinstance(s.target, gast.Name) else None
        # adjoints of lists and dicts changed in place in the loop: owned
        # from before it (one copy, not one per iteration)
        for st in walk_stmts(original):
            x = None
            if isinstance(st, ListAdjoint) or isinstance(st, SetItemAdjoint) and \
                    getattr(st, "container", False):
                x = st.x
            elif isinstance(st, Adjoint):
                x = next((v for v, index, _ in st.indexed if isinstance(index, tuple)), None)
            dx = self.adj_names.get(x) if x is not None else None
            if dx is not None and head.get(dx) == DEF_SHARED:
                pre.append(assign(dx, method_call(load(dx), "copy", [])))
                head[dx] = state[dx] = DEF_OWNED
        for _ in range(10):
            trial = dict(head)
            body = self.materialise(_frame(original), trial)
            if target is not None and target in trial:
                # the header binds the loop variable afresh each iteration: its
                # adjoint is consumed there (an earlier iteration starts at zero)
                del trial[target]
            grow = [v for v in trial if v not in head]
            shared = [v for v in trial if v in head and head[v] == DEF_OWNED
                      and trial[v] == DEF_SHARED]
            if not grow and not shared:
                break
            for v in grow:
                head[v] = DEF_OWNED
            for v in shared:
                head[v] = DEF_SHARED
        # primals whose adjoint the loop adds to by index (needs an array, not 0.0)
        indexed = {st.x for st in walk_stmts(original)
                   if isinstance(st, (SetItemAdjoint, ListAdjoint))} | \
            {v for st in walk_stmts(original) if isinstance(st, Adjoint)
             for v, _, _ in st.indexed}
        for v in head:
            if v not in state:
                pre.append(self.zeros(v, getattr(s, "srcgrad_defined", None),
                                      loop=self.primal_of(v) not in indexed or "indexed"))
        for v in sorted(head):
            if v not in trial:
                body.append(self.zeros(v))
        state.clear()
        state.update(head)
        s.body = body
        return pre + [s]

    def zeros(self, dname, defined=None, loop=False):
        """``dname = zeros_like(primal)``; the zero ``0.0`` when the primal is
        a scalar or, where ``defined`` (the names certainly defined there) is
        given, may not be defined (a name only one branch of an ``if``
        assigns: its adjoint is never read on the other path).  Before a
        loop some of whose iterations define the primal, the zeros take the
        shape of a defined value of the same shape if there is one (the
        primal may be unbound when no iteration defined it), else are 0.0,
        unless the loop adds to the adjoint by index (``loop="indexed"``)."""
        primal = self.primal_of(dname)
        same = [c for c in self.an.shape_chain(primal) if c in defined and
                (c in self.an.complex) == (primal in self.an.complex)] \
            if loop and defined is not None and primal not in defined else []
        if same and primal not in self.an.scalar:
            value = gast.Call(func=self.rt("zeros_like"), args=[load(same[0])], keywords=[])
        elif primal in self.an.scalar or defined is not None and primal not in defined and \
                loop != "indexed":
            value = const(0.0)
        else:
            value = gast.Call(func=self.rt("zeros_like"), args=[self.shape_of(primal)], keywords=[])
        return assign(dname, value)

    def shape_of(self, name):
        """A reference to ``name`` read only for its shape: resolved later to
        the first value of the same shape that the reverse sweep reads anyway."""
        if name in self.an.scalar:
            return const(0.0)        # any scalar stands for a scalar's shape
        node = load(name)
        # (of the same kind, real or complex: zeros_like reads the dtype too; fuzz seed 1511081)
        node.srcgrad_shape_chain = [c for c in self.an.shape_chain(name)
                                    if (c in self.an.complex) == (name in self.an.complex)]
        return node

    def resolve_shapes(self, rev):
        """Point shape-only references at values the reverse sweep needs anyway
        (or parameters), so the forward sweep need not keep the others."""
        params = {a.id for a in self.fn.args.args + self.fn.args.kwonlyargs
                  + self.fn.args.posonlyargs}
        shape_refs, read = [], set()
        for s in walk_stmts(rev):
            for e in exprs_of(s):
                for n in name_nodes(e):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                        if getattr(n, "srcgrad_shape_chain", None):
                            shape_refs.append(n)
                        else:
                            read.add(n.id)
        for n in shape_refs:
            for cand in n.srcgrad_shape_chain:
                if cand in read or cand in params:
                    n.id = cand
                    break

    def primal_of(self, dname):
        return self.primal_by_adjoint[dname]


def _names_of(a):
    """The primal names an adjoint placeholder's statement reads or writes
    (whether it touches a complex value)."""
    if isinstance(a, Adjoint):
        names = {a.target}
        value = getattr(a.stmt, "value", None)
        if value is not None:
            names |= {n.id for n in name_nodes(value)}
        return names
    names = {a.x}
    if isinstance(a.v, gast.Name):
        names.add(a.v.id)
    return names


def _frame(stmts):
    """``stmts`` for one more materialisation of a loop body: new lists and
    new ``if``/``for``/``while`` nodes (whose blocks ``materialise`` sets),
    the other statements and placeholders shared (``materialise`` reads them
    and makes new code; a deep copy per trial was a quarter of the reverse
    stage's time on loop code).

    >>> import gast
    >>> body = gast.parse("a = 1\\nfor i in r:\\n    b = i").body
    >>> new = _frame(body)
    >>> new[0] is body[0], new[1] is body[1], new[1].body[0] is body[1].body[0]
    (True, False, True)
    """
    out = []
    for s in stmts:
        if isinstance(s, (gast.If, gast.For, gast.While)):
            c = s.__class__.__new__(s.__class__)
            c.__dict__.update(s.__dict__)
            c.body = _frame(s.body)
            c.orelse = _frame(s.orelse)
            s = c
        out.append(s)
    return out
