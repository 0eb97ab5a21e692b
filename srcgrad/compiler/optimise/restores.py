"""A number a loop carries, restored in the reverse loop from the old value
its tuple brought back (``vy = vy_old``, ``transforms/reverse/tape.py``):
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
    for top in reversed(fn.body):
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
    loads = {}
    for n in name_nodes(top):
        if isinstance(n.ctx, gast.Load):
            loads.setdefault(n.id, []).append(n)
    for s in copies:
        x, old = s.targets[0].id, s.value.id
        if x in later:
            continue
        k = body.index(s)
        after = body[k + 1:]
        if _stored(after, x) or _stored(after, old) or _changed(after, x) or _changed(after, old):
            continue
        reads_after = [n for st in after for n in name_nodes(st)
                       if n.id == x and isinstance(n.ctx, gast.Load)]
        if len(loads.get(x, ())) != len(reads_after):
            continue
        for n in reads_after:
            n.id = old
        del body[k]


def _stored(stmts, name):
    return any(isinstance(n.ctx, gast.Store) and n.id == name
               for st in stmts for n in name_nodes(st))


def _changed(stmts, name):
    """Whether ``name`` is changed in place (``name += ...``, ``name[i] = ...``)."""
    for st in walk_stmts(stmts):
        targets = list(getattr(st, "targets", []) or []) + [getattr(st, "target", None)]
        for t in targets:
            if isinstance(st, gast.AugAssign) and isinstance(t, gast.Name) and t.id == name:
                return True
            while isinstance(t, (gast.Subscript, gast.Attribute)):
                t = t.value
                if isinstance(t, gast.Name) and t.id == name:
                    return True
        if isinstance(st, gast.Expr) and isinstance(st.value, gast.Call) and \
                any(isinstance(n, gast.Name) and n.id == name for n in name_nodes(st.value)):
            return True                 # (a call made for its effect may change it)
    return False
