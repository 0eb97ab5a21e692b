"""Renaming an inlined function's names: its own names (parameters and
locals) to fresh ones, its free names to what they mean in the caller,
respecting the scopes of nested functions, lambdas and comprehensions; and
the scope queries this needs.

>>> from srcgrad.compiler.ir.printer import function, source
>>> fn = function('''
... y = np.sin(x) + k
... return [y * t for t in range(3)]''', params="x")
>>> sorted(scope_locals(fn)), sorted(free_in(fn, scope_locals(fn)))
(['x', 'y'], ['k', 'np', 'range'])
>>> rename = Rename({"x": "x_1", "y": "y_1"}, {"k": ("helpers", "k")})
>>> print(source([rename.visit(s) for s in fn.body]))
y_1 = np.sin(x_1) + helpers.k
return [y_1 * t for t in range(3)]
"""

import gast

from srcgrad.compiler.ir.fold import fold
from srcgrad.compiler.ir.names import const, load
from srcgrad.compiler.ir.walk import name_nodes, node_fields
from srcgrad.compiler.ir.transformer import Transformer


class Rename(Transformer):
    """Renames a function's own names (``mapping``) and rewrites its free
    names (``free``: name -> new name, or ``(module alias, attribute)``),
    respecting the scopes of nested functions, lambdas and comprehensions."""

    def __init__(self, mapping, free):
        self.mapping, self.free = mapping, free

    def visit_Name(self, node):
        new = self.mapping.get(node.id)
        if isinstance(new, gast.Constant):
            return gast.copy_location(const(new.value), node)
        if new is not None:
            node.id = new
            return node
        new = self.free.get(node.id)
        if isinstance(new, str):
            node.id = new
        elif new is not None:
            return gast.copy_location(gast.Attribute(value=load(new[0]), attr=new[1],
                                                     ctx=node.ctx), node)
        return node

    def visit_Compare(self, node):
        # a parameter bound to a literal: ``axis is None`` with ``axis = 0`` is ``False``
        self.generic_visit(node)
        if all(isinstance(e, gast.Constant) for e in [node.left] + node.comparators):
            return fold(node)
        return node

    def _inner(self, node, local):
        inner = Rename({k: v for k, v in self.mapping.items() if k not in local},
                        {k: v for k, v in self.free.items() if k not in local})
        return inner

    def visit_FunctionDef(self, node):
        if node.name in self.mapping:
            node.name = self.mapping[node.name]
        a = node.args
        a.defaults = [self.visit(d) for d in a.defaults]
        a.kw_defaults = [d if d is None else self.visit(d) for d in a.kw_defaults]
        inner = self._inner(node, scope_locals(node))
        node.body = [inner.visit(s) for s in node.body]
        return node

    def visit_Lambda(self, node):
        a = node.args
        a.defaults = [self.visit(d) for d in a.defaults]
        inner = self._inner(node, _params(a))
        node.body = inner.visit(node.body)
        return node

    def _comprehension(self, node):
        targets = {n.id for g in node.generators for n in name_nodes(g.target)}
        node.generators[0].iter = self.visit(node.generators[0].iter)
        inner = self._inner(node, targets)
        first = node.generators[0].iter
        for g in node.generators:
            g.target = inner.visit(g.target)
            if g.iter is not first:
                g.iter = inner.visit(g.iter)
            g.ifs = [inner.visit(c) for c in g.ifs]
        for f in ("elt", "key", "value"):
            if hasattr(node, f):
                setattr(node, f, inner.visit(getattr(node, f)))
        return node

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension


def _params(a):
    out = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}
    if a.vararg is not None:
        out.add(a.vararg.id)
    if a.kwarg is not None:
        out.add(a.kwarg.id)
    return out


_SCOPES = (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp,
           gast.FunctionDef)


def walk_same_scope(node):
    """The nodes of ``node``'s tree outside lambdas, comprehensions and
    nested functions (``node`` itself entered), in a list, depth first (the
    last child first); nodes without fields of their own (contexts,
    operators) are left out: what the callers look for are names, calls,
    returns and definitions."""
    out = []
    keep = out.append
    todo = [node]
    pop, push, extend = todo.pop, todo.append, todo.extend
    while todo:
        n = pop()
        keep(n)
        cls = n.__class__
        if cls in _SCOPES and n is not node:
            continue
        for field in node_fields(cls):
            value = getattr(n, field, None)
            if value is None:
                continue
            if isinstance(value, list):
                extend([item for item in value if isinstance(item, gast.AST)])
            elif isinstance(value, gast.AST):
                push(value)
    return out


def scope_locals(fn):
    """The names local to function ``fn``: parameters, assigned names and
    nested definitions (not those of nested scopes)."""
    out = _params(fn.args)
    for s in fn.body:
        for n in walk_same_scope(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del)):
                out.add(n.id)
            elif isinstance(n, gast.FunctionDef) and n is not fn:
                out.add(n.name)
    return out


def free_in(fn, local):
    """Names ``fn`` reads that are not its own (nor its nested scopes' own)."""
    free = set()

    def visit(node, bound):
        if isinstance(node, gast.Name):
            if node.id not in bound:
                free.add(node.id)
            return
        if isinstance(node, gast.FunctionDef) and node is not fn:
            for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                visit(d, bound)
            inner = bound | scope_locals(node)
            for s in node.body:
                visit(s, inner)
            return
        if isinstance(node, gast.Lambda):
            for d in node.args.defaults:
                visit(d, bound)
            visit(node.body, bound | _params(node.args))
            return
        if isinstance(node, (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)):
            targets = {n.id for g in node.generators for n in name_nodes(g.target)}
            for child in gast.iter_child_nodes(node):
                visit(child, bound | targets)
            return
        for child in gast.iter_child_nodes(node):
            visit(child, bound)

    for s in fn.body:
        visit(s, local)
    return free
