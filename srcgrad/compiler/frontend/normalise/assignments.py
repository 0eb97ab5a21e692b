"""Assignments: augmented (``x op= v``, ``x[i] op= v`` with the index
evaluated once), multiple (``a = b = v``), tuple and list unpacking (a swap
evaluates every value first; ``a, *rest = v`` makes ``rest`` a list);
assignments to attributes make new objects (``attributes.py``).

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def f(x, y):
...     x, y = y, x
...     a = b = x * y
...     a += b
...     return a
... ''')))
def f(x, y):
    x_1 = y
    y_1 = x
    x = x_1
    y = y_1
    value = x * y
    a = value
    b = value
    a = a + b
    out = a
    return out
"""


import gast

from srcgrad import runtime
from srcgrad.compiler.frontend.generated import is_generated

from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.compiler.ir.walk import name_nodes
from srcgrad.compiler.ir.copying import deepcopy as copy_tree


class Assignments:
    """The assignment desugarings of :class:`Normaliser`."""

    def desugar_augassign(self, s):
        target = s.target
        if isinstance(target, gast.Name):
            value = gast.BinOp(left=load(target.id), op=s.op, right=s.value)
            value.srcgrad_inplace = True    # changes an array in place (analyse checks sharing)
            return self.desugar(gast.copy_location(gast.Assign(targets=[target], value=value,
                                                               type_comment=None), s))
        if isinstance(target, gast.Subscript):
            pre = []
            index = self.index_once(target.slice, pre, s)
            container = target.value
            read = gast.Subscript(value=_as_load(container), slice=index, ctx=gast.Load())
            write = gast.Subscript(value=_as_load(container), slice=copy_tree(index),
                                   ctx=gast.Store())
            # on a list or dict, Python changes the element's array in place
            # (``lst[0] += x`` is ``lst[0].__iadd__(x)``): analyse checks sharing
            write.srcgrad_inplace_element = True
            value = gast.BinOp(left=read, op=s.op, right=s.value)
            return pre + self.desugar(gast.copy_location(
                gast.Assign(targets=[write], value=value, type_comment=None), s))
        # (Python's grammar leaves an attribute as the only other target)
        return self.assign_attribute(target, s.value, s, op=s.op)

    def index_once(self, index, pre, s):
        """``index`` read and written by ``x[index] op= v``, with each part
        that is not a constant or a name evaluated once, into a temporary
        (slices stay slices: ``m[:, i + 1]`` -> ``index = i + 1; m[:, index]``)."""
        if _simple(index) or _constant_slice(index):
            return index
        if isinstance(index, gast.Slice):
            for f in ("lower", "upper", "step"):
                b = getattr(index, f)
                if b is not None and not _constant_slice(gast.Slice(lower=b, upper=None, step=None)):
                    setattr(index, f, self.index_once(b, pre, s))
            return index
        if isinstance(index, gast.Tuple) and not any(isinstance(e, gast.Starred)
                                                     for e in index.elts):
            index.elts = [self.index_once(e, pre, s) for e in index.elts]
            return index
        tmp = self.namer.fresh("index")
        pre.append(assign(tmp, index, s))
        return load(tmp)

    def desugar_assign(self, s):
        if len(s.targets) > 1:
            value = s.value
            out = []
            if not _simple(value):
                tmp = self.namer.fresh("value")
                out.append(assign(tmp, value, s))
                value = load(tmp)
            for t in s.targets:
                out.extend(self.desugar_assign(gast.copy_location(
                    gast.Assign(targets=[t], value=value, type_comment=None), s)))
            return out
        target = s.targets[0]
        if isinstance(target, gast.Name) and isinstance(s.value, gast.Call):
            self.note_class(target.id, s.value)     # obj = Cls(...): obj.method(...) is Cls's
        if isinstance(target, (gast.Tuple, gast.List)):
            return self.unpack(target, s.value, s)
        if isinstance(target, gast.Attribute):
            return self.assign_attribute(target, s.value, s)
        if isinstance(target, gast.Starred):
            raise self.unsupported(s, "starred assignment", "unpack element by element")
        if isinstance(target, gast.Subscript):
            container = target.value
            while isinstance(container, gast.Subscript):
                container = container.value
            if not isinstance(container, gast.Name):
                # ``obj.v[i] = e``: a write into an attribute's value in place
                # (not followed by the analysis: it would be silently ignored)
                raise self.unsupported(s, "assignment into an element of an attribute "
                                       "or an expression",
                                       "copy it into a local variable (np.copy(...)), write into that, "
                                       "and build a new object")
        return [s]

    def unpack(self, target, value, where):
        elts = target.elts
        if any(isinstance(e, gast.Starred) for e in elts):
            return self.unpack_starred(target, value, where)
        out = []
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(elts):
            written = {n.id for e in elts for n in name_nodes(e)}
            read = {n.id for v in value.elts for n in name_nodes(v)}
            values = value.elts
            if written & read:        # a swap: evaluate every value first
                values = []
                for e, v in zip(elts, value.elts):
                    tmp = self.namer.fresh(e.id if isinstance(e, gast.Name) else "value")
                    out.append(assign(tmp, v, where))
                    values.append(load(tmp))
        else:
            value = self.evaluated_once(elts, value, where, out)
            if not is_generated(self.parsed.fun):
                # Python checks the number of items; v[0], v[1] alone would not
                check = next((k for k, v in self.parsed.extras.items()
                              if v is runtime.check_unpack), None)
                if check is None:
                    check = self.namer.fresh("check_unpack")
                    self.parsed.extras[check] = runtime.check_unpack
                out.append(gast.copy_location(gast.Expr(value=gast.Call(
                    func=load(check), args=[load(value.id), const(len(elts))], keywords=[])),
                    where))
            values = [gast.Subscript(value=load(value.id), slice=const(i), ctx=gast.Load())
                      for i in range(len(elts))]
            for v in values:
                v.srcgrad_unpack = True      # evidence that value is a tuple (analyse)
        for e, v in zip(elts, values):
            out.extend(self.desugar_assign(gast.copy_location(
                gast.Assign(targets=[e], value=v, type_comment=None), where)))
        return out

    def evaluated_once(self, elts, value, where, out):
        """``value`` as a name the targets ``elts`` do not rebind before the
        last one is read (``M, a = M``: ``a`` is the old ``M[1]``)."""
        written = {n.id for e in elts for n in name_nodes(e)}
        if isinstance(value, gast.Name) and value.id not in written:
            return value
        tmp = self.namer.fresh("values")
        out.append(assign(tmp, value, where))
        return load(tmp)

    def unpack_starred(self, target, value, where):
        """``a, *rest, b = v``: ``rest`` is a list (of ``v``'s items from the
        second to the one before the last), as Python makes it."""
        elts = target.elts
        k = next(i for i, e in enumerate(elts) if isinstance(e, gast.Starred))
        tail = len(elts) - k - 1
        plain = elts[:k] + [elts[k].value] + elts[k + 1:]
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) >= len(elts) - 1 and \
                not any(isinstance(v, gast.Starred) for v in value.elts):
            n = len(value.elts)
            items = value.elts[:k] + [gast.List(elts=value.elts[k:n - tail], ctx=gast.Load())] + \
                value.elts[n - tail:]
            return self.unpack(gast.Tuple(elts=plain, ctx=gast.Store()),
                               gast.Tuple(elts=items, ctx=gast.Load()), where)
        if self._tree_assigns("list") or self.parsed.resolve_global("list") is not list:
            raise self.unsupported(where, "starred assignment (with 'list' rebound)",
                                   "unpack element by element")
        out = []
        value = self.evaluated_once(plain, value, where, out)
        upper = None if tail == 0 else gast.UnaryOp(op=gast.USub(), operand=const(tail))
        rest = gast.Call(func=load("list"), args=[gast.Subscript(
            value=load(value.id), slice=gast.Slice(lower=const(k) if k else None, upper=upper,
                                                   step=None), ctx=gast.Load())], keywords=[])
        values = [gast.Subscript(value=load(value.id), slice=const(i), ctx=gast.Load())
                  for i in range(k)] + [rest] + \
            [gast.Subscript(value=load(value.id), slice=const(i - tail), ctx=gast.Load())
             for i in range(tail)]
        for v in values:
            v.srcgrad_unpack = True
        for e, v in zip(plain, values):
            out.extend(self.desugar_assign(gast.copy_location(
                gast.Assign(targets=[e], value=v, type_comment=None), where)))
        return out


def _simple(node):
    return isinstance(node, (gast.Name, gast.Constant))


def _constant_slice(node):
    """``a:b:c`` with constant or absent bounds (``x[:-1] += v``: read and
    written with the same slice, nothing to evaluate once)."""
    def bound(b):
        return b is None or isinstance(b, gast.Constant) or isinstance(b, gast.UnaryOp) and \
            isinstance(b.op, gast.USub) and isinstance(b.operand, gast.Constant)
    return isinstance(node, gast.Slice) and all(bound(b) for b in (node.lower, node.upper, node.step))


def _as_load(node):
    if isinstance(node, gast.Name):
        return load(node.id)
    return node
