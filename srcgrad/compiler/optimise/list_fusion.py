"""Fused list adjoints: a reverse loop that only sets the items of a fresh
list adjoint, read back one ``pop()`` an iteration by a later reverse loop,
is computed where the item is popped (the hand adjoint of a trajectory
misfit: the two reverse loops become one, with no list in between).  The
adjoint of ``for i: xs.append(x)`` followed by ``for xi, oi in zip(xs,
obs): loss += (xi - oi) ** 2``.  Code in → code out::

    d_xs = zeros_like(xs)                      d_x = 0.0
    for i_1 in reversed(range(n)):             i_1_from = len(xs) - m
        d_xi = d_loss * 2 * (xs[i_1] - o[i_1]) for i in reversed(range(m)):
        d_xs[i_1] = d_xi                   →       i_2 = i + i_1_from
    d_x = 0.0                                      if i_2 < n:
    for i in reversed(range(m)):                       d_xi = d_loss * 2 * (xs[i_2] - o[i_2])
        d_x = d_x + d_xs.pop()                     else:
        ...                                            d_xi = 0.0
    d_x = d_x + d_xs[0]                            d_x = d_x + d_xi
                                                   ...
                                               i_2 = 0
                                               ...  (the same for the item left, d_xs[0])

The ``k``-th pop of a list of ``len(xs)`` items takes the item ``len(xs) - 1
- k``, so at iteration ``i`` of ``reversed(range(m))`` the item ``i +
len(xs) - m``; the items from ``n`` on were never set (zero).  Only when all
of this holds: ``d = zeros_like(xs)`` of a list of numbers; the first loop
runs over ``reversed(range(n))``, its body is assignments of expressions that
change nothing, one of which sets ``d[i_1]`` (not reading ``d``); between the
loops and in the second, nothing mentions ``d`` but one ``d.pop()`` in a
statement of the second loop's body itself (in no branch), and nothing
assigns or changes what the first loop's body reads, nor ``xs``, ``n``,
``m``; after it, ``d`` is only read at constant indices; the names the first
loop's body assigns (and its index) are used nowhere else, and the item's value
reads none of them from an earlier iteration.

>>> from srcgrad import runtime
>>> from srcgrad.compiler.ir.names import Namer, names_in
>>> from srcgrad.compiler.ir.printer import function, to_source
>>> fn = function('''
... d_xs = zeros_like(xs)
... for i_1 in reversed(range(n)):
...     d_xi = d_loss * 2 * (xs[i_1] - o[i_1])
...     d_xs[i_1] = d_xi
... d_x = 0.0
... for i in reversed(range(m)):
...     d_x = d_x + d_xs.pop()
...     d_x = d_x * 0.5
... d_x = d_x + d_xs[0]
... return d_x''')
>>> fuse_list_adjoints(fn, {"zeros_like": runtime.zeros_like}, {"xs": 0},
...                    Namer(names_in(fn)).fresh, lambda: "len")
>>> print("\\n".join(to_source(fn).strip().splitlines()[1:]))
    d_x = 0.0
    i_1_from = len(xs) - m
    for i in reversed(range(m)):
        i_2 = i + i_1_from
        if i_2 < n:
            d_xi = d_loss * 2 * (xs[i_2] - o[i_2])
        else:
            d_xi = 0.0
        d_x = d_x + d_xi
        d_x = d_x * 0.5
    i_2 = 0
    if i_2 < n:
        d_xi = d_loss * 2 * (xs[i_2] - o[i_2])
    else:
        d_xi = 0.0
    d_x = d_x + d_xi
    return d_x
"""

import gast

from srcgrad import runtime
from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.dataflow import blocks, walk_stmts
from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.compiler.ir.walk import inner_nodes, mentions, name_nodes, replace_loads
from srcgrad.compiler.optimise.effects import MUTATING_METHODS, pure_expr
from srcgrad.compiler.optimise.first_writes import _is_item, _range_index


def fuse_list_adjoints(fn, objects, items, fresh, length):
    """Fuse, in place in every block of ``fn``, the reverse loops that only
    fill a fresh list adjoint into the loop that pops it (see the module's
    docstring).  ``objects``: what the names of the generated code stand
    for; ``items``: the rank of the items of each list only appended to
    (``analysis.list_items``); ``fresh(base)``: a new name; ``length()``:
    the name of the builtin ``len`` in the generated code."""
    for block in blocks(fn.body):
        k = 0
        while k < len(block):
            if not _fuse_at(block, k, objects, items, fresh, length):
                k += 1


def _fuse_at(block, k, objects, items, fresh, length):
    """Fuse the list adjoint made at ``block[k]`` if the pattern holds."""
    s = block[k]
    if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
            isinstance(s.targets[0], gast.Name) and _zeros_of(s.value, objects, items)):
        return False
    d, xs = s.targets[0].id, s.value.args[0].id
    # the loop filling it, then the loop popping it
    k1 = next((j for j in range(k + 1, len(block)) if mentions(block[j], d)), None)
    if k1 is None or not isinstance(block[k1], gast.For):
        return False
    filling = block[k1]
    k2 = next((j for j in range(k1 + 1, len(block)) if mentions(block[j], d)), None)
    if k2 is None or not isinstance(block[k2], gast.For):
        return False
    popping = block[k2]
    fill = _filling(filling, d, objects)
    pop = _popping(popping, d)
    reads = _constant_reads(block[k2 + 1:], d)
    if fill is None or pop is None or reads is None:
        return False
    index, bound, write, body = fill
    at, count = pop
    value = write.value
    # what the item's value reads keeps its value until the last read, and
    # the names the filling loop's body assigns are its own
    free = _free_names(body, value) | {xs, index}
    if isinstance(bound, gast.Name):
        free.add(bound.id)
    if isinstance(count, gast.Name):
        free.add(count.id)
    own = {st.targets[0].id for st in filling.body if isinstance(st, gast.Assign) and
           isinstance(st.targets[0], gast.Name)}
    later = block[k1 + 1:]
    # (free & own: a value carried from the previous iteration; the filling
    # loop's other item writes must not change what the item reads either)
    if free & own or any(_changes(st, free, objects) for st in later + filling.body) or \
            _mentions_any(later, own | {index}):
        return False
    # the fused code: the item computed where it is popped, and where read after
    at_index = fresh(index)
    start = fresh(index + "_from")
    within = gast.BinOp(left=load(popping.target.id), op=gast.Add(), right=load(start))
    popping.body[at:at] = _item_code(index, at_index, within, bound, body, value)
    _replace(popping.body[at + 2], lambda n: _is_pop(n, d), value)
    _put_in(popping.body[at + 2], value.id)
    for st, c in reads:
        where = next(j for j, b in enumerate(block) if b is st)
        block[where:where] = _item_code(index, at_index, const(c), bound, body, value)
        _replace(st, lambda n: isinstance(n, gast.Subscript) and
                 isinstance(n.value, gast.Name) and n.value.id == d, value)
        _put_in(st, value.id)
    block.insert(k2, assign(start, gast.BinOp(
        left=gast.Call(func=load(length()), args=[load(xs)], keywords=[]),
        op=gast.Sub(), right=copy_tree(count))))
    filling.body.remove(write)
    if not any(_writes_item(st) for st in filling.body):
        del block[k1]           # (what is left computes only names used nowhere else)
    del block[k]
    return True


def _zeros_of(v, objects, items):
    return isinstance(v, gast.Call) and isinstance(v.func, gast.Name) and \
        objects.get(v.func.id) is runtime.zeros_like and len(v.args) == 1 and \
        not v.keywords and isinstance(v.args[0], gast.Name) and items.get(v.args[0].id) == 0


def _reversed_range(loop):
    """``(index, count)`` of ``for index in reversed(range(count))``, or None."""
    index, it = _range_index(loop), loop.iter
    if index is None or not (isinstance(it.func, gast.Name) and it.func.id == "reversed"):
        return None
    rng = it.args[0]
    if len(rng.args) != 1 or rng.keywords or \
            not isinstance(rng.args[0], (gast.Name, gast.Constant)):
        return None
    return index, rng.args[0]


def _filling(loop, d, objects):
    """``(index, bound, write, body)`` of ``for index in
    reversed(range(bound))`` whose body is assignments of expressions that
    change nothing (and comments), one of which, ``write``, is ``d[index] =
    v`` with ``v`` a name the body assigns before; ``body``: the comments
    and the assignments ``v`` needs, in order.  None otherwise."""
    found = _reversed_range(loop)
    if found is None:
        return None
    index, bound = found
    write = None
    for st in loop.body:
        if getattr(st, "srcgrad_comment", None) is not None:
            continue
        if not (isinstance(st, gast.Assign) and len(st.targets) == 1) or \
                not pure_expr(st.value, objects):
            return None
        t = st.targets[0]
        if _is_item(t, d, index):
            if write is not None or mentions(st.value, d):
                return None
            write = st
        elif isinstance(t, gast.Name) and t.id != index:
            if mentions(st.value, d):
                return None
        elif not _writes_item(st) or mentions(st, d):
            return None
    if write is None or not isinstance(write.value, gast.Name):
        return None
    # the assignments the item's value needs (a backward slice), and the comments
    needed, keep = {write.value.id}, set()
    stmts = loop.body[:loop.body.index(write)]
    for st in reversed(stmts):
        if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name) and \
                st.targets[0].id in needed:
            keep.add(id(st))
            needed |= {n.id for n in name_nodes(st.value)}
    if not keep:
        return None
    body = [st for st in stmts if id(st) in keep or
            getattr(st, "srcgrad_comment", None) is not None]
    return index, bound, write, body


def _writes_item(st):
    return isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Subscript)


def _popping(loop, d):
    """``(position, count)``: the statement of ``for i in
    reversed(range(count))``'s body holding its one ``d.pop()``, or None."""
    found = _reversed_range(loop)
    if found is None:
        return None
    hits = [j for j, st in enumerate(loop.body) if mentions(st, d)]
    if len(hits) != 1 or any(mentions(st, d) for st in walk_stmts(loop.body)
                             if st not in loop.body):
        return None
    st = loop.body[hits[0]]
    pops = [n for n in inner_nodes(st) if _is_pop(n, d)]
    if len(pops) != 1 or sum(1 for n in name_nodes(st) if n.id == d) != 1 or \
            not isinstance(st, gast.Assign):
        return None
    return hits[0], found[1]


def _is_pop(n, d):
    return isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
        n.func.attr == "pop" and isinstance(n.func.value, gast.Name) and \
        n.func.value.id == d and not n.args and not n.keywords


def _constant_reads(stmts, d):
    """``[(statement, c)]``: the statements after the popping loop reading
    ``d[c]`` (one read each, ``c`` a constant int), or None when ``d``
    appears otherwise."""
    out = []
    for st in stmts:
        names = [n for n in name_nodes(st) if n.id == d]
        if not names:
            continue
        subs = [n for n in inner_nodes(st) if isinstance(n, gast.Subscript) and
                isinstance(n.value, gast.Name) and n.value.id == d]
        if len(names) != 1 or len(subs) != 1 or not isinstance(st, gast.Assign) or \
                not isinstance(subs[0].ctx, gast.Load) or \
                not isinstance(subs[0].slice, gast.Constant) or \
                type(subs[0].slice.value) is not int or subs[0].slice.value < 0:
            return None
        out.append((st, subs[0].slice.value))
    return out


def _free_names(body, value):
    """The names the assignments ``body`` and ``value`` read before assigning them."""
    assigned, free = set(), set()
    for st in body:
        if isinstance(st, gast.Assign):
            free |= {n.id for n in name_nodes(st.value) if n.id not in assigned}
            assigned.add(st.targets[0].id)
    return free | ({value.id} - assigned)


#: builtins that only read their arguments
_READERS = {"len", "range", "reversed"}


def _changes(stmt, names, objects):
    """Whether ``stmt`` may assign or change in place one of ``names``."""
    for st in walk_stmts([stmt]):
        for n in name_nodes(st):
            if n.id in names and not isinstance(n.ctx, gast.Load):
                return True
        for node in inner_nodes(st):
            if isinstance(node, gast.Subscript) and not isinstance(node.ctx, gast.Load):
                base = node.value
                while isinstance(base, (gast.Subscript, gast.Attribute)):
                    base = base.value
                if isinstance(base, gast.Name) and base.id in names:
                    return True
            if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
                    node.func.attr in MUTATING_METHODS and \
                    isinstance(node.func.value, gast.Name) and node.func.value.id in names:
                return True
            if isinstance(node, gast.Call) and any(isinstance(a, gast.Name) and a.id in names
                                                   for a in node.args) and \
                    not (isinstance(node.func, gast.Name) and node.func.id in _READERS) and \
                    not pure_expr(node, objects):
                return True         # (a call may change what it is given)
    return False


def _item_code(index, name, position, bound, body, value):
    """``name = position``, then the item's value (``body`` with ``index``
    read as ``name``) into ``value``'s name, or 0.0 past ``bound``."""
    test = gast.Compare(left=load(name), ops=[gast.Lt()], comparators=[copy_tree(bound)])
    copied = [copy_tree(st) for st in body]
    for st in copied:
        replace_loads(st, index, load(name))
    out = [assign(name, position),
           gast.If(test=test, body=copied, orelse=[assign(value.id, const(0.0))])]
    for st in out:
        st.srcgrad_fused = True         # (what an earlier fusion put in: _mentions_any)
    return out


def _put_in(stmt, name):
    """Mark ``stmt`` as reading ``name`` where an earlier fusion put it."""
    stmt.srcgrad_fused_names = set(getattr(stmt, "srcgrad_fused_names", ())) | {name}


def _mentions_any(stmts, names):
    """Whether ``stmts`` mention one of ``names`` outside the code an earlier
    fusion put in (which assigns the names it reads: the filling loop's own
    names, which the code after it did not mention)."""
    for st in stmts:
        if getattr(st, "srcgrad_fused", False):
            continue
        put = getattr(st, "srcgrad_fused_names", ())
        inner = [getattr(st, f) for f in ("body", "orelse", "finalbody") if
                 isinstance(getattr(st, f, None), list)]
        if not inner:
            if any(n.id in names and n.id not in put for n in name_nodes(st)):
                return True
            continue
        head = [getattr(st, f) for f in ("test", "iter", "target", "items", "handlers")
                if getattr(st, f, None) is not None]
        if any(n.id in names for h in head for n in (name_nodes(h) if isinstance(h, gast.AST)
                                                       else [m for x in h for m in name_nodes(x)])):
            return True
        if any(_mentions_any(b, names) for b in inner):
            return True
    return False


def _replace(stmt, hit, value):
    """Every expression of ``stmt`` for which ``hit(node)`` holds replaced
    by a load of ``value`` (a name), in place."""
    for node in inner_nodes(stmt):
        for field in node._fields:
            child = getattr(node, field, None)
            if isinstance(child, gast.AST) and hit(child):
                setattr(node, field, load(value.id))
            elif isinstance(child, list):
                child[:] = [load(value.id) if isinstance(c, gast.AST) and hit(c) else c
                            for c in child]
