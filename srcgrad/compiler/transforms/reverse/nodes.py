"""Small builders and readers of gast nodes that the parts of the reversal share.

>>> import gast
>>> from srcgrad.compiler.ir.printer import expr_source
>>> expr_source(index_expr(gast.parse("x[1:]").body[0].value.slice))
'slice(1, None)'
>>> expr_source(call_stmt("tape", "append", [pack_names(["a", "b"])]).value)
'tape.append((a, b))'
"""

import gast

from srcgrad.compiler.ir.names import const, load
from srcgrad.compiler.transforms.reverse.placeholders import Comment, Snapshot
from srcgrad.compiler.ir.walk import name_nodes


def index_expr(index):
    """An index as an ordinary expression (``1:`` becomes ``slice(1, None)``)."""
    if isinstance(index, gast.Slice):
        parts = [index.lower, index.upper, index.step]
        while len(parts) > 2 and parts[-1] is None:
            parts.pop()
        return gast.Call(func=load("slice"), args=[p if p is not None else const(None)
                                                    for p in parts], keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[index_expr(e) for e in index.elts], ctx=gast.Load())
    return index


def expr_loads(node):
    return {n.id for n in name_nodes(node) if isinstance(n.ctx, gast.Load)}


def stores(s):
    return [n.id for t in s.targets for n in name_nodes(t)
            if isinstance(n.ctx, gast.Store)]


def exprs_of(s):
    if isinstance(s, gast.AugAssign):
        return [s.value, s.target]
    if isinstance(s, gast.Assign):
        return [s.value] + [t for t in s.targets if not isinstance(t, gast.Name)]
    if isinstance(s, (gast.If, gast.While)):
        return [s.test]
    if isinstance(s, gast.For):
        return [s.iter]
    if isinstance(s, (gast.Expr, gast.Return)):
        return [s.value] if s.value is not None else []
    if isinstance(s, gast.AST):
        return [s]
    return []


def has_code(stmts):
    return any(not isinstance(s, (Comment, Snapshot)) for s in stmts)


def method_call(obj, name, args):
    return gast.Call(func=gast.Attribute(value=obj, attr=name, ctx=gast.Load()), args=args,
                     keywords=[])


def is_none(node):
    return node is None or isinstance(node, gast.Constant) and node.value is None


def is_final_break(s):
    return isinstance(s, gast.If) and len(s.body) == 1 and isinstance(s.body[0], gast.Break)


def call_stmt(obj, method, args):
    return gast.Expr(value=gast.Call(func=gast.Attribute(value=load(obj), attr=method,
                                                         ctx=gast.Load()),
                                     args=args, keywords=[]))


def call_expr(func, args):
    return gast.Expr(value=gast.Call(func=func, args=args, keywords=[]))


def pop_call(tape):
    return gast.Call(func=gast.Attribute(value=load(tape), attr="pop", ctx=gast.Load()),
                     args=[], keywords=[])


def pack_names(names):
    if len(names) == 1:
        return load(names[0])
    return gast.Tuple(elts=[load(n) for n in names], ctx=gast.Load())


def rename_loads(node, old, new):
    """``node`` with every read of the variable ``old`` reading ``new``."""
    for n in name_nodes(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id == old:
            n.id = new
    return node
