"""Changes in place: ``ys.append(v)``, ``ys.insert(i, v)``, ``ys.pop(i)``,
``d[k] = v`` on a list or dict, and ``x[index] = v`` on an array.

The forward sweep runs the change (saving what it loses when the reverse
sweep may need it back, through a ``SaveValue``); the reverse sweep moves the
adjoint of the element (O(1) at the end of a list) and, when something before
reads the container, undoes the change (an ``Undo``).  The adjoint of a write
``x[index] = v``: ``v`` receives the adjoint of the written elements, whose
adjoint then restarts from zero.

>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def f(x, n):
...     ys = []
...     for i in range(n):
...         ys.append(x * i)
...     return ys[-1] + ys[0]
>>> df = reverse_transform(f, ("x",), Driver(), with_value=False)
>>> print(df.srcgrad_source.split("\\n\\n\\n")[0].rstrip())
def d_f(x, n):
    if type(x) is not float and type(x) is not float64:
        return d_f_generic(x, n)
    ys = []
    for i in range(n):
        ys.append(x * i)
    # line 5: return ys[-1] + ys[0]
    d_ys = zeros_like(ys)
    d_ys[0] = d_ys[0] + 1.0
    d_ys[-1] = d_ys[-1] + 1.0
    d_x = 0.0
    for i in reversed(range(n)):
        # line 4: ys.append(x * i)
        d_value = d_ys.pop()
        d_x = d_x + d_value * i
    return d_x
"""


import gast

from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.compiler.transforms.reverse.nodes import (call_expr, index_expr, is_none,
                                                       method_call)
from srcgrad.compiler.transforms.reverse.placeholders import (DEF_OWNED, DEF_SHARED, TAPE_VALUE,
                                                              Comment, ListAdjoint, SaveValue,
                                                              SetItemAdjoint, Undo)
from srcgrad.compiler.ir.copying import deepcopy as copy_tree


class ContainerChanges:
    """Lists, dicts and arrays changed in place (a part of :class:`Reverse`)."""

    def list_change(self, s, op):
        """``ys.append(v)``, ``ys.insert(i, v)``, ``ys.pop(i)``: the forward
        sweep runs it; the reverse sweep moves the adjoint of the element
        (O(1) at the end of the list) and, when something before reads
        ``ys``, undoes the change."""
        x = op.args["x"].id
        index = copy_tree(op.args.get("index"))
        rev = []
        if x in self.an.active:
            rev = [Comment(self.comment(s)),
                   ListAdjoint(op.kind, x, index, copy_tree(op.args.get("v")))]
        fwd = [s]
        if op.kind == "append":
            undo = Undo(x, gast.Expr(value=method_call(load(x), "pop", [])))
        elif op.kind == "insert":
            undo = Undo(x, gast.Expr(value=method_call(load(x), "pop", [copy_tree(index)])))
        else:
            at = const(-1) if is_none(index) else copy_tree(index)
            save = SaveValue(x, gast.Subscript(value=load(x), slice=at, ctx=gast.Load()))
            undo = Undo(x, call_expr(self.rt("unpop"), [load(x), copy_tree(index),
                                                           load(TAPE_VALUE)]), save.key)
            fwd = [save, s]
        rev.append(undo)
        return fwd, rev

    def container_setitem(self, s, op):
        """``d[k] = v`` on a list or dict: saves the element it replaces (a
        reference: elements are never changed in place) if needed."""
        x, index = op.args["x"].id, op.args["index"]
        kind = self.an.kind.get(x)
        if kind == "dict":          # the key may be new: the helpers delete it again
            save = SaveValue(x, gast.Call(func=self.rt("save_item"),
                                          args=[load(x), index_expr(copy_tree(index))],
                                          keywords=[]))
            undo = Undo(x, call_expr(self.rt("restore_item"), [
                load(x), index_expr(copy_tree(index)), load(TAPE_VALUE)]), save.key)
        else:
            # a list's element (a reference), or, for a value that may be a
            # list or an array (only iterated), a copy of an array's part
            part = gast.Subscript(value=load(x), slice=copy_tree(index), ctx=gast.Load())
            if kind not in ("list", "tuple"):
                part = gast.Call(func=self.rt("own"), args=[part], keywords=[])
            save = SaveValue(x, part)
            target = gast.Subscript(value=load(x), slice=copy_tree(index), ctx=gast.Store())
            undo = Undo(x, gast.Assign(targets=[target], value=load(TAPE_VALUE),
                                       type_comment=None), save.key)
            if kind not in ("list", "tuple"):
                # maybe an array: a view of it the reverse sweep reads later
                # (value = M.T) needs the old values back too (fuzz seed 3326646)
                undo.aliases = frozenset(self.an.share.get(x, ()))
        rev = []
        if x in self.an.active:
            adj = SetItemAdjoint(x, copy_tree(index), copy_tree(op.args["v"]))
            adj.container = True
            adj.kind = kind
            rev = [Comment(self.comment(s)), adj]
        rev.append(undo)
        return [save, s], rev

    def emit_list_change(self, a, state):
        dx = self.d(a.x)
        if dx not in state:
            return []
        code = []
        if state[dx] == DEF_SHARED:
            code.append(assign(dx, method_call(load(dx), "copy", [])))
            state[dx] = DEF_OWNED
        if a.kind == "pop":
            index = const(None) if a.index is None else a.index
            code.append(call_expr(self.rt("unpop_adjoint"), [load(dx), index]))
            return code
        args = [] if a.kind == "append" else [a.index]
        taken = method_call(load(dx), "pop", args)
        if isinstance(a.v, gast.Name) and a.v.id in self.an.active:
            code.extend(self.accumulate(a.v.id, taken, state, self.maybe_zero(a.v.id)))
        else:
            code.append(gast.Expr(value=taken))
        return code

    def emit_setitem(self, a, state):
        dx = self.d(a.x)
        if dx not in state:
            return []                # nothing downstream depends on the written values
        code = []
        if getattr(a, "container", False):
            if state[dx] == DEF_SHARED:
                code.append(assign(dx, method_call(load(dx), "copy", [])))
                state[dx] = DEF_OWNED
            part = gast.Subscript(value=load(dx), slice=copy_tree(a.index), ctx=gast.Load())
            if getattr(a, "kind", None) not in ("list", "tuple", "dict"):
                # a list or an array: an array's part is copied before it is zeroed
                part = gast.Call(func=self.rt("item_adjoint"),
                                 args=[load(dx), index_expr(copy_tree(a.index)),
                                       self.shape_of(a.v.id) if isinstance(a.v, gast.Name)
                                       else copy_tree(a.v)], keywords=[])
            later = []
            if isinstance(a.v, gast.Name) and a.v.id in self.an.active:
                later = self.accumulate_value(a, part, state, code)
            target = gast.Subscript(value=load(dx), slice=copy_tree(a.index),
                                    ctx=gast.Store())
            zero = const(0.0)
            if isinstance(a.index, gast.Slice):     # L[i:j] = [...]: a zero per element
                zero = gast.Call(func=self.rt("zeros_like"), args=[gast.Subscript(
                    value=load(dx), slice=copy_tree(a.index), ctx=gast.Load())], keywords=[])
            code.append(gast.Assign(targets=[target], value=zero, type_comment=None))
            return code + later
        if isinstance(a.v, gast.Name) and a.v.id in self.an.active:
            element = self.an.element_scalar(a.x, a.index)
            if self.basic_index(a.index):
                part = gast.Subscript(value=load(dx), slice=copy_tree(a.index),
                                      ctx=gast.Load())
                expr = part if element else self.own(part, a.x)
            else:                    # integer arrays may repeat: the last write wins
                expr = gast.Call(func=self.rt("written_adjoint"),
                                 args=[load(dx), index_expr(copy_tree(a.index))], keywords=[])
            if not (element and a.v.id in self.an.scalar):
                expr = gast.Call(func=self.rt("unbroadcast"),
                                 args=[expr, self.shape_of(a.v.id)], keywords=[])
            later = self.accumulate_value(a, expr, state, code)
        else:
            later = []
        if state[dx] == DEF_SHARED:
            code.append(assign(dx, gast.Call(func=gast.Attribute(value=load(dx), attr="copy",
                                                                 ctx=gast.Load()),
                                             args=[], keywords=[])))
            state[dx] = DEF_OWNED
        target = gast.Subscript(value=load(dx), slice=copy_tree(a.index), ctx=gast.Store())
        code.append(gast.Assign(targets=[target], value=const(0.0), type_comment=None))
        return code + later

    def accumulate_value(self, a, expr, state, code):
        """Add ``expr`` (the written part of ``x``'s adjoint) to the adjoint
        of the value ``v`` of ``x[index] = v``, appended to ``code``; for
        ``x[index] = x`` (the value is ``x`` itself, whose adjoint the write
        then zeroes) the part is kept in a temporary and the statements that
        add it, to run after the zeroing, are returned."""
        lazy = getattr(a, "kind", None) in ("list", "tuple", "dict") and self.maybe_zero(a.v.id)
        if a.v.id != a.x:
            code.extend(self.accumulate(a.v.id, expr, state, lazy))
            return []
        part = self.namer.fresh(self.d(a.x) + "_part")
        code.append(assign(part, expr))
        return self.accumulate(a.v.id, load(part), state, lazy)

    def maybe_zero(self, name):
        """Whether the adjoint of ``name``, read out of a list's or dict's
        adjoints, may be the zero ``0.0`` of an element overwritten later,
        which only broadcasts to ``name``'s shape (a lazy adjoint); for a
        container (a tuple pushed on a tape, say), ``expand`` makes the zero
        of its structure before an element of the adjoint is read."""
        return name not in self.an.scalar
