"""Place the tape: save exactly the primal values the reverse sweep reads.

Once the adjoints are code, the reverse sweep says which primal values it
reads.  A backward liveness pass over it decides which tape placeholders to
keep: in loops, a loop-carried value the reverse sweep reads is pushed before
it is overwritten and popped back after that statement's adjoint; values
defined once per iteration are pushed together at the end of their block and
popped at the start of its reverse -- and the old value of a loop-carried
name (a number or an array) waits in a local name (``s_old``) to travel in
that same tuple, one push an iteration; an element overwritten in place, or what a change of a
list loses, is saved only if read later.  Nothing else is recorded, and the
tape exists only if something is.

>>> import math
>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def f(x, n):
...     s = 1.0
...     for i in range(n):
...         t = math.sin(s)
...         s = t * x
...     return s
>>> df = reverse_transform(f, ("x",), Driver(), with_value=False)
>>> text = df.srcgrad_source.split("\\n\\n\\n")[0].rstrip()
>>> print(text.replace("(t, s_old) =", "t, s_old ="))   # (3.10 writes tuple targets in parentheses)
def d_f(x, n):
    if type(x) is not float and type(x) is not float64:
        return d_f_generic(x, n)
    tape = []
    s = 1.0
    for i in range(n):
        t = math.sin(s)
        s_old = s
        s = t * x
        tape.append((t, s_old))
    d_out = 1.0
    # line 6: return s
    d_s = d_out
    d_x = 0.0
    for i in reversed(range(n)):
        t, s_old = tape.pop()
        # line 5: s = t * x
        d_t = d_s * x
        d_x = d_x + d_s * t
        # line 4: t = math.sin(s)
        d_s = d_t * math.cos(s_old)
    return d_x
"""

import gast

from srcgrad.compiler.ir.names import assign, load, store
from srcgrad.compiler.transforms.reverse.nodes import (call_stmt, expr_loads, exprs_of,
                                                       pack_names, pop_call)
from srcgrad.compiler.transforms.reverse.remat import (finished_lists, recomputable,
                                                       stable_names, stored_in)
from srcgrad.compiler.transforms.reverse.shape_reads import (replace_reads, shape_read,
                                                             shape_reads)
from srcgrad.compiler.transforms.reverse.placeholders import (TAPE_VALUE, Comment, Push, Restore,
                                                              RestoreItem, SaveItem, SaveValue,
                                                              Snapshot, Undo)
from srcgrad.compiler.ir.walk import name_nodes, replace_loads, walk as walk_tree


class Tape:
    """The tape placeholders to code (a part of :class:`Reverse`)."""

    def place_tape(self, fwd, rev):
        """Fill the tape placeholders: a value is saved only if the reverse
        sweep reads it after the point where it would be restored."""
        keep = {}
        _live_block(rev, set(), keep, {})
        tape = self.namer.fresh("tape")
        used = [False]

        rev_facts = []      # _rev_blocks, _rev_reads: found when first needed

        def rev_reads():
            if len(rev_facts) < 2:
                rev_facts.append(_rev_reads(rev, {}))
            return rev_facts[1]

        waiting = {}       # Restore key -> the name the old value waits in
        stable, changed = stable_names(self.fn, fwd, self.an)
        finished = finished_lists(fwd, self.an)
        again = {}         # Snapshot key -> statements the reverse sweep recomputes

        def fill_fwd(stmts, counters=frozenset(), done=None, top=False):
            out = []
            # the snapshot a loop body ends with: an old value saved directly in
            # the body waits in a local name and travels in its tuple (one push)
            snap = next((s for s in stmts if isinstance(s, Snapshot)), None)
            merged = [s.key for s in stmts if isinstance(s, Push) and keep.get(s.key)] \
                if snap is not None else []
            if snap is not None and keep.get(snap.key):
                # values cheap to compute again are not taped (remat.py); an
                # old number that travels in the tuple (merged) may be read
                kept = keep[snap.key]
                pushed = any(isinstance(s, (Push, SaveItem, SaveValue)) and keep.get(s.key)
                             for s in stmts)
                for saved in ({k: s for k, s in enumerate(stmts) if isinstance(s, Push) and
                               s.key in merged}, {}):
                    olds = {s.name: (_OLD + str(s.key), k) for k, s in saved.items()}
                    lists, now = done or (frozenset(), changed)
                    redo = recomputable(stmts, kept, stable | counters | lists,
                                        self.an.scalar, now, self.an.resolve, olds, pushed)
                    redone = {s.targets[0].id for s in redo}
                    if len(merged) + bool([n for n in kept if n not in redone]) >= 2 or \
                            not olds:
                        break       # (merged, or the plain pushes and no old values read)
                again[snap.key] = redo
                keep[snap.key] = [n for n in kept if n not in redone]
            if len(merged) + bool(keep.get(snap.key) if snap else False) < 2:
                merged = []        # one push either way: keep the plain one
            for k, s in enumerate(stmts):
                if isinstance(s, Push):
                    if s.key in merged:
                        waiting[s.key] = self.namer.fresh(s.name + "_old")
                        for r in again.get(snap.key, ()):
                            replace_loads(r, _OLD + str(s.key), load(waiting[s.key]))
                        out.append(assign(waiting[s.key], load(s.name)))
                        keep[snap.key] = list(keep.get(snap.key, [])) + [waiting[s.key]]
                    elif keep.get(s.key):
                        used[0] = True
                        out.append(call_stmt(tape, "append", [load(s.name)]))
                elif isinstance(s, SaveItem):
                    if keep.get(s.key):
                        used[0] = True
                        part = gast.Subscript(value=load(s.name), slice=s.index, ctx=gast.Load())
                        # an element of an array of known rank is a scalar: no copy
                        saved = part if self.an.element_scalar(s.name, s.index) else \
                            self.own(part, s.name)
                        out.append(call_stmt(tape, "append", [saved]))
                elif isinstance(s, SaveValue):
                    if keep.get(s.key):
                        used[0] = True
                        out.append(call_stmt(tape, "append", [s.expr]))
                elif isinstance(s, Snapshot):
                    names = keep.get(s.key, [])
                    if names:
                        used[0] = True
                        if not rev_facts:
                            rev_facts.append(_rev_blocks(rev, {}))
                        names = keep[s.key] = self._shapes_only(
                            names, rev_facts[0].get(s.key, ()), again.get(s.key, ()),
                            rev_reads, out)
                        out.append(call_stmt(tape, "append", [pack_names(names)]))
                else:
                    # a loop counter the reversed loop runs through again (one
                    # the body also assigns is not: fuzz-style loop_var_in_while)
                    inner = counters | {s.target.id} if isinstance(s, gast.For) and \
                        isinstance(s.target, gast.Name) and \
                        s.target.id not in stored_in(s.body) else counters
                    later = finished[k] if top else done
                    for f in ("body", "orelse"):
                        if isinstance(getattr(s, f, None), list):
                            setattr(s, f, fill_fwd(getattr(s, f), inner, later))
                    out.append(s)
            return out

        def fill_rev(stmts):
            out = []
            for s in stmts:
                if isinstance(s, Restore):
                    if s.key in waiting:
                        out.append(assign(s.name, load(waiting[s.key])))
                    elif keep.get(s.key):
                        out.append(assign(s.name, pop_call(tape)))
                elif isinstance(s, RestoreItem):
                    if keep.get(s.key):
                        target = gast.Subscript(value=load(s.name), slice=s.index,
                                                ctx=gast.Store())
                        out.append(gast.Assign(targets=[target], value=pop_call(tape),
                                               type_comment=None))
                elif isinstance(s, Undo):
                    if keep.get(s.key):
                        stmt = s.stmt
                        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name) \
                                and stmt.value.id == TAPE_VALUE:
                            stmt.value = pop_call(tape)
                        for n in walk_tree(stmt):
                            if isinstance(n, gast.Call) and any(
                                    isinstance(a, gast.Name) and a.id == TAPE_VALUE
                                    for a in n.args):
                                n.args = [pop_call(tape) if isinstance(a, gast.Name) and
                                          a.id == TAPE_VALUE else a for a in n.args]
                        out.append(stmt)
                elif isinstance(s, Snapshot):
                    names = keep.get(s.key, [])
                    if names:
                        target = store(names[0]) if len(names) == 1 else gast.Tuple(
                            elts=[store(n) for n in names], ctx=gast.Store())
                        out.append(gast.Assign(targets=[target], value=pop_call(tape),
                                               type_comment=None))
                    out.extend(again.get(s.key, []))
                else:
                    for f in ("body", "orelse"):
                        if isinstance(getattr(s, f, None), list):
                            setattr(s, f, fill_rev(getattr(s, f)))
                    out.append(s)
            return out

        fwd = fill_fwd(fwd, top=True)
        rev = fill_rev(rev)
        # (a recursive closure refers to itself: a reference cycle, left to the
        # garbage collector with all it holds; broken here so it goes at once)
        del fill_fwd, fill_rev
        if used[0]:
            fwd.insert(0, assign(tape, gast.List(elts=[], ctx=gast.Load())))
        return fwd, rev

    def _shapes_only(self, names, block, again, reads, out):
        """``names`` to push, those the reverse ``block`` (and the statements
        it computes ``again``) reads only for one shape replaced by a name
        for that shape, assigned in ``out`` (``shape_reads.py``); ``reads()``
        counts the names of the whole reverse sweep."""
        found = shape_reads(block, again)
        if not any(n in found for n in names):
            return names
        counted = dict(reads())
        for r in again:
            for m in name_nodes(r):
                counted[m.id] = counted.get(m.id, 0) + 1
        kept = []
        for n in names:
            got = shape_read(found, n, counted.get(n, 0))
            if got is None:
                kept.append(n)
                continue
            shape = self.namer.fresh(n + _SUFFIX[got[2]])
            out.append(assign(shape, got[0]))
            replace_reads(got[1], shape)
            kept.append(shape)
        return kept


#: the name of a value's shape on the tape: ``x.shape``, ``x.shape[k]``, ``x.ndim``
_SUFFIX = {"shape": "_shape", "dim": "_dim", "ndim": "_ndim"}


def _rev_blocks(stmts, blocks):
    """Record in ``blocks`` the reverse sweep's blocks by the key of the
    snapshot each pops."""
    for s in stmts:
        if isinstance(s, Snapshot):
            blocks[s.key] = stmts
        for f in ("body", "orelse"):
            if isinstance(s, gast.AST) and isinstance(getattr(s, f, None), list):
                _rev_blocks(getattr(s, f), blocks)
    return blocks


def _rev_reads(stmts, reads):
    """Count in ``reads`` how often each name occurs in the reverse sweep
    ``stmts`` (snapshots' own names aside)."""
    for s in stmts:
        if isinstance(s, Snapshot):
            continue
        if isinstance(s, (gast.If, gast.For, gast.While)):
            nodes = exprs_of(s) + ([s.target] if isinstance(s, gast.For) else [])
        elif isinstance(s, gast.AST):
            nodes = [s]
        else:           # a placeholder: its name and every tree it holds
            nodes = [x for x in vars(s).values() if isinstance(x, gast.AST)]
            if isinstance(getattr(s, "name", None), str):
                reads[s.name] = reads.get(s.name, 0) + 1
        for node in nodes:
            for n in name_nodes(node):
                reads[n.id] = reads.get(n.id, 0) + 1
        for f in ("body", "orelse"):
            if isinstance(s, gast.AST) and isinstance(getattr(s, f, None), list):
                _rev_reads(getattr(s, f), reads)
    return reads


def _live_block(stmts, live, keep, facts):
    """Backward liveness of primal names over the reverse sweep; records in
    ``keep`` which restores and snapshot names are read later.  ``facts``:
    what each simple statement writes and reads, found once (a loop's body
    is gone through until its liveness settles)."""
    for s in reversed(stmts):
        live = _live_stmt(s, live, keep, facts)
    return live


def _read_later(s, live):
    """Whether what the undo of a write in place ``s`` (an :class:`Undo` or a
    :class:`RestoreItem`) puts back is read later: its name, a name that may
    be a view of it (``s.aliases``), or the memory of either."""
    return s.name in live or bool(live & s.aliases) or \
        bool(live & {_MEMORY + n for n in s.aliases | {s.name}})


def _live_stmt(s, live, keep, facts):
    if isinstance(s, Undo):
        if _read_later(s, live):
            keep[s.key] = True
            return live | (expr_loads(s.stmt) - {TAPE_VALUE})
        return live
    if isinstance(s, RestoreItem):
        if _read_later(s, live):
            keep[s.key] = True
            return live | {s.name} | expr_loads(s.index)
        return live
    if isinstance(s, Restore):
        if s.name in live:
            keep[s.key] = True
            # the value popped back may be a view: its memory is still read
            return (live - {s.name}) | {_MEMORY + s.name}
        return live
    if isinstance(s, Snapshot):
        names = [n for n in s.names if n in live]
        keep[s.key] = sorted(set(keep.get(s.key, [])) | set(names),
                             key=s.names.index)
        return (live - set(names)) | {_MEMORY + n for n in names}
    if isinstance(s, gast.If):
        out = _live_block(s.body, set(live), keep, facts) | \
            _live_block(s.orelse, set(live), keep, facts)
        if _effective(s.body, keep) or _effective(s.orelse, keep):
            out |= expr_loads(s.test)
        return out
    if isinstance(s, gast.For):
        head = set(live)
        while True:
            new = set(live) | _live_block(s.body, set(head), keep, facts)
            if new <= head:
                break
            head |= new
        if not _effective(s.body, keep):
            return set(live)
        return (head - {s.target.id} if isinstance(s.target, gast.Name) else head) \
            | expr_loads(s.iter)
    got = facts.get(id(s))
    if got is None:
        writes = {n.id for t in s.targets for n in name_nodes(t)
                  if isinstance(n.ctx, gast.Store)} if isinstance(s, gast.Assign) else None
        reads = set()
        for e in exprs_of(s):
            reads |= expr_loads(e)
        got = facts[id(s)] = (s, writes, reads)        # s kept: its id stays its own
    _, writes, reads = got
    # (``live`` is this walk's own set: updated in place, not copied at
    # every statement, which was quadratic in a long block)
    if writes is not None:
        live -= writes
    live |= reads
    return live


#: marks, in the reverse sweep's liveness, a name whose binding comes from the
#: tape but whose memory (a view of an array written in place) is read later
_MEMORY = "\0memory:"
_OLD = "\0old:"          # an old value's name in recomputed code until it has one


def _effective(stmts, keep):
    """Whether reverse-sweep code ``stmts`` does anything once the tape
    decisions in ``keep`` are applied."""
    for s in stmts:
        if isinstance(s, (Restore, Snapshot, RestoreItem, Undo)):
            if keep.get(s.key):
                return True
        elif isinstance(s, (gast.If, gast.For)):
            if _effective(s.body, keep) or _effective(getattr(s, "orelse", []), keep):
                return True
        elif not isinstance(s, Comment):
            return True
    return False
