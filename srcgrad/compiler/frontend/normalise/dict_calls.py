"""Containers made from literal sequences and comprehensions.

``dict(zip(keys, values))`` is a dict literal when ``keys`` is a list or
tuple of constants and ``values`` a list or tuple of as many expressions
(Python evaluates every value, and a repeated key keeps its last value, in
both forms); ``{e for x in xs}`` is ``set([e for x in xs])``; ``f(*(a, b))`` is
``f(a, b)``; ``f(*args)`` of a name whose length the source shows
(``args = (x, 2.0)``) is ``f(args[0], args[1])``, ``f(**opts)`` of a dict
display's keys ``f(axis=opts['axis'])``.

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

from srcgrad.compiler.frontend.normalise.iterated import bindings
from srcgrad.compiler.ir.names import const, load
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes, walk as walk_tree
from srcgrad.compiler.ir.transformer import Transformer


def literal_dicts(fn, parsed):
    """Rewrite ``dict(zip(K, V))`` of literal sequences in ``fn`` (in place)."""
    local = {n.id for n in name_nodes(fn) if isinstance(n.ctx, (gast.Store, gast.Param))}
    local |= {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}

    def builtin(node, name):
        return isinstance(node, gast.Name) and node.id == name and node.id not in local and \
            parsed.resolve_global(name) is getattr(builtins, name)

    _DictOfZip(builtin).visit(fn)


class _DictOfZip(Transformer):
    """``dict(zip(K, V))`` of literal sequences -> a dict display (a class of
    the module's: a class made per call is a reference cycle holding what its
    methods read, freed only by the garbage collector)."""

    def __init__(self, builtin):
        self.builtin = builtin

    def visit_Call(self, node):
        self.generic_visit(node)
        if not (self.builtin(node.func, "dict") and len(node.args) == 1 and not node.keywords):
            return node
        z = node.args[0]
        if not (isinstance(z, gast.Call) and self.builtin(z.func, "zip") and len(z.args) == 2
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


def set_comprehensions(fn, parsed):
    """``{e for x in xs}`` becomes ``set([e for x in xs])`` (in place): the list
    comprehension is lowered to a loop like any other, and ``set`` keeps its
    meaning (no derivative flows through a set: a set of differentiated values
    is refused where it is used)."""
    local = {n.id for n in name_nodes(fn) if isinstance(n.ctx, (gast.Store, gast.Param))}
    if "set" in local or parsed.resolve_global("set") is not builtins.set:
        return

    _SetComprehensions().visit(fn)


class _SetComprehensions(Transformer):
    def visit_SetComp(self, node):
        self.generic_visit(node)
        comp = gast.ListComp(elt=node.elt, generators=node.generators)
        call = gast.Call(func=gast.Name(id="set", ctx=gast.Load(), annotation=None,
                                        type_comment=None), args=[comp], keywords=[])
        return gast.copy_location(call, node)


def literal_stars(fn):
    """``f(a, *(b, c))`` and ``f(*[b, c])`` become ``f(a, b, c)`` (in place):
    a starred tuple or list display passes its elements (rule templates with
    ``*args`` are instantiated so, and second derivatives read that code)."""
    _LiteralStars().visit(fn)


class _LiteralStars(Transformer):
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


#: what a list or dict may be used for without changing its length or keys
_READS = {"get", "keys", "values", "items", "copy", "index", "count"}


def known_stars(fn, trees):
    """``f(*xs)``, ``[*xs, y]`` and ``f(**opts)`` (in place) where ``xs`` is
    a name every binding of which in ``trees`` is a tuple or list display of
    one length, or ``opts`` a dict display of the same constant string keys,
    and which nothing can resize (a tuple; a list or dict only read:
    indexed, iterated, given to ``len``, unpacked by ``*``)."""
    stars = {n.value.id for n in inner_nodes(fn)
             if isinstance(n, gast.Starred) and isinstance(n.value, gast.Name) or
             isinstance(n, gast.keyword) and n.arg is None and isinstance(n.value, gast.Name)}
    if not stars:
        return
    bound = bindings(trees)
    reads = _plain_reads(trees)
    writes = {}                                # name -> its element writes (name[k] = v)
    for n in (n for tree in trees for n in walk_tree(tree)):
        if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and \
                isinstance(n.value, gast.Name):
            writes.setdefault(n.value.id, []).append(n)

    def length(name):
        values = bound.get(name)
        if not values or not all(
                isinstance(v, (gast.Tuple, gast.List)) and
                not any(isinstance(e, gast.Starred) for e in v.elts) for v in values):
            return None
        if len({len(v.elts) for v in values}) != 1:
            return None
        if any(isinstance(v, gast.List) for v in values) and name not in reads:
            return None
        return len(values[0].elts)

    def keys(name):
        values = bound.get(name)
        if not values or name not in reads or not all(
                isinstance(v, gast.Dict) and all(isinstance(k, gast.Constant) and
                                                 isinstance(k.value, str) for k in v.keys)
                for v in values):
            return None
        found = {tuple(k.value for k in v.keys) for v in values}
        if len(found) != 1:
            return None
        out = list(found.pop())
        if any(not (isinstance(w.slice, gast.Constant) and w.slice.value in out)
               for w in writes.get(name, ())):
            return None                        # opts[k] = v may add a key
        return out

    def item(name, i):
        # a constant every binding has there is the constant (no derivative to follow)
        found = {repr(v.elts[i].value) if isinstance(v.elts[i], gast.Constant) else None
                 for v in bound[name]}
        if len(found) == 1 and None not in found:
            return const(bound[name][0].elts[i].value)
        return gast.Subscript(value=load(name), slice=const(i), ctx=gast.Load())

    def expand(elts):
        out = []
        for e in elts:
            n = length(e.value.id) if isinstance(e, gast.Starred) and \
                isinstance(e.value, gast.Name) else None
            if n is None:
                out.append(e)
            else:
                out.extend(item(e.value.id, i) for i in range(n))
        return out

    _KnownStars(expand, keys).visit(fn)


class _KnownStars(Transformer):
    """``*name`` and ``**name`` of known length or keys expanded (``expand``,
    ``keys`` of :func:`known_stars`)."""

    def __init__(self, expand, keys):
        self.expand, self.keys = expand, keys

    def visit_Call(self, node):
        self.generic_visit(node)
        node.args = self.expand(node.args)
        kws, names = [], {k.arg for k in node.keywords if k.arg is not None}
        for k in node.keywords:
            ks = self.keys(k.value.id) if k.arg is None and isinstance(k.value, gast.Name) \
                else None
            if ks is None or names & set(ks):
                kws.append(k)
                continue
            names |= set(ks)
            kws.extend(gast.keyword(arg=key, value=gast.Subscript(
                value=load(k.value.id), slice=const(key), ctx=gast.Load())) for key in ks)
        node.keywords = kws
        return node

    def visit_List(self, node):
        self.generic_visit(node)
        if isinstance(getattr(node, "ctx", None), (gast.Load, type(None))):
            node.elts = self.expand(node.elts)
        return node

    visit_Tuple = visit_Set = visit_List


def _plain_reads(trees):
    """Names of lists and dicts that every read of leaves unchanged (indexed,
    iterated, ``len``, ``*``/``**``, a method that only reads): nothing else
    -- a call of the user's, an alias -- may append to them."""
    used, other = set(), set()
    for tree in trees:
        parents = {}
        for n in walk_tree(tree):
            for child in gast.iter_child_nodes(n):
                parents[id(child)] = n
        for n in walk_tree(tree):
            if not (isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)):
                continue
            up = parents.get(id(n))
            plain = isinstance(up, (gast.Starred, gast.comprehension, gast.For)) or \
                isinstance(up, gast.Subscript) and up.value is n or \
                isinstance(up, gast.keyword) and up.arg is None or \
                isinstance(up, gast.Attribute) and up.attr in _READS or \
                isinstance(up, gast.Call) and isinstance(up.func, gast.Name) and \
                up.func.id in ("len", "sum", "max", "min", "sorted", "tuple", "list", "enumerate",
                               "zip") and n in up.args
            if isinstance(up, gast.Subscript) and up.value is n and \
                    isinstance(up.ctx, gast.Store) and isinstance(up.slice, gast.Slice):
                plain = False                  # xs[a:b] = ...: may change the length
            (used if plain else other).add(n.id)
    return used - other
