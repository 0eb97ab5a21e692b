"""A value a loop carries (a number or an array), restored in the reverse
loop from the old value its tuple brought back (``vy = vy_old``,
``transforms/reverse/tape.py``):
the reads after the restore read the old value itself, and the copy goes.

Code in → code out::

    for i in reversed(range(n)):          for i in reversed(range(n)):
        speed, vy_old = tape.pop()            speed, vy_old = tape.pop()
        vy = vy_old                   →       d_vy_2 = d_vy_4 * vy_old
        d_vy_2 = d_vy_4 * vy                  d_s = d_s + d_vy_2 * speed
        d_s = d_s + d_vy_2 * speed

Only where the restored name is read nowhere else: not before the restore
in its loop (the next iteration would see the old value), not after that
loop, and neither name is assigned again or changed in place after the
restore in its block.

>>> from srcgrad.compiler.ir.printer import function, to_source
>>> fn = function('''
... vy = v0
... for i in range(n):
...     tape.append(vy)
...     vy = vy * 0.5
... d_vy = 0.0
... for i in reversed(range(n)):
...     vy_old = tape.pop()
...     vy = vy_old
...     d_vy = d_vy * 0.5 + vy
... return d_vy''')
>>> print(*to_source(propagate_restores(fn)).strip().splitlines()[6:], sep=chr(10))
    for i in reversed(range(n)):
        vy_old = tape.pop()
        d_vy = d_vy * 0.5 + vy_old
    return d_vy
"""

import gast

from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.walk import name_nodes


def propagate_restores(fn):
    """Rewrite ``fn`` (in place) as the module docstring shows; returns it."""
    loops = {id(top): _copies(top) for top in fn.body if isinstance(top, (gast.For, gast.While))}
    if not any(loops.values()):
        return fn           # (the common case: one look at each loop's statements)
    later = set()           # the names the statements after each loop mention
    first = next(k for k, top in enumerate(fn.body) if loops.get(id(top)))
    for top in reversed(fn.body[first:]):       # (what comes before it is not looked at)
        if loops.get(id(top)):
            _loop(top, loops[id(top)], later)
        later |= {n.id for n in name_nodes(top)}
    return fn


def _copies(top):
    return [s for s in top.body if isinstance(s, gast.Assign) and len(s.targets) == 1 and
            isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Name) and
            s.value.id.startswith(s.targets[0].id + "_old")]


def _loop(top, copies, later):
    body = top.body
    if getattr(top, "orelse", None):
        return
    # one walk of each statement: where each name is read, last stored,
    # last changed in place (by position in the body; -1: the loop's head)
    loads, last_store, last_change = {}, {}, {}
    head = [x for x in (getattr(top, "iter", None), getattr(top, "test", None)) if x is not None]
    for x in head:
        for n in name_nodes(x):
            if isinstance(n.ctx, gast.Load):
                loads.setdefault(n.id, []).append((-1, n))
    for k, st in enumerate(body):
        for n in name_nodes(st):
            if isinstance(n.ctx, gast.Load):
                loads.setdefault(n.id, []).append((k, n))
            elif isinstance(n.ctx, gast.Store):
                last_store[n.id] = k
        for name in _changed_names([st]):
            last_change[name] = k
    removed = set()
    for s in copies:
        x, old = s.targets[0].id, s.value.id
        if x in later:
            continue
        k = body.index(s)
        if max(last_store.get(x, -1), last_store.get(old, -1),
               last_change.get(x, -1), last_change.get(old, -1)) > k:
            continue
        reads = loads.get(x, ())
        if any(i <= k for i, _ in reads):
            continue            # (read before the restore, or by the loop's head)
        for _, n in reads:
            n.id = old
        removed.add(id(s))
    if removed:
        body[:] = [st for st in body if id(st) not in removed]


def _changed_names(stmts):
    """The names the statements change in place (``name += ...``,
    ``name[i] = ...``, an argument of a call made for its effect)."""
    out = set()
    for st in walk_stmts(stmts):
        targets = list(getattr(st, "targets", []) or []) + [getattr(st, "target", None)]
        for t in targets:
            if isinstance(st, gast.AugAssign) and isinstance(t, gast.Name):
                out.add(t.id)
            while isinstance(t, (gast.Subscript, gast.Attribute)):
                t = t.value
                if isinstance(t, gast.Name):
                    out.add(t.id)
        if isinstance(st, gast.Expr) and isinstance(st.value, gast.Call):
            out |= {n.id for n in name_nodes(st.value) if isinstance(n, gast.Name)}
    return out
