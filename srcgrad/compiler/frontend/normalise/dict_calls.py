"""Containers made from literal sequences and comprehensions.

``dict(zip(keys, values))`` is a dict literal when ``keys`` is a list or
tuple of constants and ``values`` a list or tuple of as many expressions
(Python evaluates every value, and a repeated key keeps its last value, in
both forms); ``{e for x in xs}`` is ``set([e for x in xs])``; ``f(*(a, b))`` is
``f(a, b)``.

>>> from srcgrad.compiler.ir.printer import source
>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> print(source(normalise_text('''
... def f(x, y):
...     d = dict(zip(["a", "b"], [x, 2.0 * y]))
...     return d["a"] * d["b"]
... ''')))
def f(x, y):
    d = {'a': x, 'b': 2.0 * y}
    out = d['a'] * d['b']
    return out
"""

import builtins

import gast

from srcgrad.compiler.ir.walk import name_nodes
from srcgrad.compiler.ir.transformer import Transformer


def literal_dicts(fn, parsed):
    """Rewrite ``dict(zip(K, V))`` of literal sequences in ``fn`` (in place)."""
    local = {n.id for n in name_nodes(fn) if isinstance(n.ctx, (gast.Store, gast.Param))}
    local |= {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}

    def builtin(node, name):
        return isinstance(node, gast.Name) and node.id == name and node.id not in local and \
            parsed.resolve_global(name) is getattr(builtins, name)

    class Rewrite(Transformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if not (builtin(node.func, "dict") and len(node.args) == 1 and not node.keywords):
                return node
            z = node.args[0]
            if not (isinstance(z, gast.Call) and builtin(z.func, "zip") and len(z.args) == 2
                    and not z.keywords):
                return node
            keys, values = z.args
            if not all(isinstance(s, (gast.List, gast.Tuple)) and
                       not any(isinstance(e, gast.Starred) for e in s.elts)
                       for s in (keys, values)):
                return node
            if len(keys.elts) != len(values.elts) or not all(
                    isinstance(k, gast.Constant) and isinstance(k.value, (str, int))
                    for k in keys.elts):
                return node
            return gast.copy_location(gast.Dict(keys=list(keys.elts), values=list(values.elts)),
                                      node)

    Rewrite().visit(fn)


def set_comprehensions(fn, parsed):
    """``{e for x in xs}`` becomes ``set([e for x in xs])`` (in place): the list
    comprehension is lowered to a loop like any other, and ``set`` keeps its
    meaning (no derivative flows through a set: a set of differentiated values
    is refused where it is used)."""
    local = {n.id for n in name_nodes(fn) if isinstance(n.ctx, (gast.Store, gast.Param))}
    if "set" in local or parsed.resolve_global("set") is not builtins.set:
        return

    class Rewrite(Transformer):
        def visit_SetComp(self, node):
            self.generic_visit(node)
            comp = gast.ListComp(elt=node.elt, generators=node.generators)
            call = gast.Call(func=gast.Name(id="set", ctx=gast.Load(), annotation=None,
                                            type_comment=None), args=[comp], keywords=[])
            return gast.copy_location(call, node)

    Rewrite().visit(fn)


def literal_stars(fn):
    """``f(a, *(b, c))`` and ``f(*[b, c])`` become ``f(a, b, c)`` (in place):
    a starred tuple or list display passes its elements (rule templates with
    ``*args`` are instantiated so, and second derivatives read that code)."""
    class Rewrite(Transformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            args = []
            for a in node.args:
                if isinstance(a, gast.Starred) and isinstance(a.value, (gast.Tuple, gast.List)):
                    args.extend(a.value.elts)
                else:
                    args.append(a)
            node.args = args
            return node

    Rewrite().visit(fn)
