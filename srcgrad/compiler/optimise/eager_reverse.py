"""The reverse of a loop run as its forward goes, where the adjoints it
needs are known before the loop: a sum accumulated over the iterations
(``total = total + term``), differentiated where the seed is a constant
(``grad``: 1.0), leaves every reverse iteration independent of the others.
Each then runs right after its forward iteration, reading the values that
iteration just made: nothing goes on the tape, nothing is computed twice.
Code in → code out::

    total = 0.0                               total = 0.0
    for j in range(n):                        d_total = 1.0
        t = np.sin(x[j])                      d_x = zeros_like(x)
        total = total + t * t                 for j in range(n):
        tape.append(t)                  →         t = np.sin(x[j])
    d_total = 1.0                                 total = total + t * t
    d_x = zeros_like(x)                           d_x[j] += ... t ...
    for j in reversed(range(n)):
        t = tape.pop()
        d_x[j] += ... t ...

The forward loop ``for j in range(...)`` and the reverse loop ``for j in
reversed(range(...))`` (the same bounds; the pair the reverse transform
marked, ``srcgrad_pair``) are in the same block, or in the same branch of
two ``if c:`` of the function's body (``branch_join.py``).  What the reverse
iteration reads from outside itself is the loop index, tapes, values made
before the forward loop and changed by neither the loop nor what follows it,
and adjoints it only adds into (``d[k] += v``, ``d = d + v``), each made
fresh between the loops by a statement moved before the forward loop and
only added into there, or not seen between the loops at all.  Statements
between the loops that the reverse iteration reads (``d_total = d_out``)
move before the forward loop when their value is known there (one
assignment of a value computed without effects from such values); from the
function's body into a branch they are copied.  The names the reverse
iteration assigns are its own: read neither before it assigns them, nor by
the forward iteration before it assigns them, nor after the reverse loop or
by the statements between the loops (which may assign them too: the order
of the assignments would change).  The tape: the forward iteration's last
statement pushes what the reverse iteration's first pops into the same
names (``t = tape.pop()``): both go.  A statement of the reverse iteration
the forward iteration ran as it stands (``index = j + 1``), with its
operands unchanged since, goes too.  Anything else keeps the reverse loop.

>>> from srcgrad import runtime
>>> from srcgrad.compiler.ir.printer import function, to_source
>>> fn = function('''
... tape = []
... total = 0.0
... for j in range(n):
...     t = x[j] * x[j]
...     total = total + t
...     tape.append(t)
... d_total = 1.0
... d_x = zeros_like(x)
... for j in reversed(range(n)):
...     t = tape.pop()
...     d_x[j] += 2.0 * d_total * x[j]
... return d_x''', params="n, x")
>>> fn.body[2].srcgrad_pair = fn.body[5].srcgrad_pair = 0   # (what the reverse transform sets)
>>> print(to_source(run_eagerly(fn, {"zeros_like": runtime.zeros_like})).strip())
def f(n, x):
    total = 0.0
    d_total = 1.0
    d_x = zeros_like(x)
    for j in range(n):
        t = x[j] * x[j]
        total = total + t
        d_x[j] += 2.0 * d_total * x[j]
    return d_x
"""

import gast

from srcgrad import runtime
from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.dataflow import live_before, walk_stmts
from srcgrad.compiler.ir.names import comment_node
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes
from srcgrad.compiler.optimise.effects import Known, changed_names, pure_call, pure_value
from srcgrad.compiler.optimise.branch_join import (branch_of, comments_of, condition, has_jumps,
                                                  join_branch, read_or_copied, resume,
                                                  stored_names, tidy_if)

def run_eagerly(fn, objects, resolve=None, describe=None, first=None):
    """Rewrite ``fn`` in place as the module docstring shows; returns it.
    ``objects``: what the names of the generated code stand for (the
    injector's); ``resolve``: the user's globals (its modules are read);
    ``describe(line)``: the comment pointing to a line of the user's (the
    fused loop's body starts with its ``for``; the forward code after it
    points to line ``first`` again, the function's, as it did before)."""
    count, reverse = _tokens(fn)
    if not reverse or not any(c == 2 for c in count.values()):
        return fn           # (the common case: no reverse loop)
    tapes = []              # (the tapes, found when a pair first needs them)
    objects = Known(objects, resolve)
    note = (lambda line: comment_node(describe(line)) if line and describe(line) else None) \
        if describe is not None else (lambda line: None)
    read, fused = set(), False      # what the statements moved or copied read
    while True:
        for pair in _pairs(fn, count):
            found = _fuse(fn, *pair, objects, lambda line: note(line or first), tapes)
            if found is not None:
                read, fused = read | found, True
                count, _ = _tokens(fn)
                tapes = []
                break       # (the tree changed: look again)
        else:
            break
    if fused:
        used = {n.value.id for n in inner_nodes(fn) if isinstance(n, gast.Attribute) and
                isinstance(n.value, gast.Name)}
        unused = _tapes(fn) - used      # a tape nothing pushes to any more goes
        live, keep = set(), []          # and a value the moved statements read (``d_out``)
        for s in reversed(fn.body):
            if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
                    isinstance(s.targets[0], gast.Name) and (
                        s.targets[0].id in unused and isinstance(s.value, gast.List) or
                        s.targets[0].id in read - live and pure_value(s.value, objects))):
                keep.append(s)
                live = live_before([s], live)
        fn.body[:] = keep[::-1]
    return fn


def _is_reverse_loop(s):
    it = s.iter
    return isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and \
        it.func.id == "reversed" and len(it.args) == 1 and _is_range(it.args[0])


def _is_range(e):
    return isinstance(e, gast.Call) and isinstance(e.func, gast.Name) and e.func.id == "range" \
        and not e.keywords


def _matches(fwd, rev):
    """Whether ``rev`` is the reverse loop the reverse transform made of the
    forward loop ``fwd`` (``srcgrad_pair``), running its iterations backwards."""
    return getattr(fwd, "srcgrad_pair", None) is not None and \
        getattr(rev, "srcgrad_pair", None) == fwd.srcgrad_pair and \
        isinstance(fwd.target, gast.Name) and isinstance(rev.target, gast.Name) and \
        fwd.target.id == rev.target.id and _is_range(fwd.iter) and \
        gast.dump(fwd.iter) == gast.dump(rev.iter.args[0]) and not fwd.orelse and not rev.orelse


def _pairs(fn, count):
    """Candidates (forward block, index, reverse block, index, between,
    the ``if`` of the reverse or None): ``between`` lists (statements, how:
    "move" or "copy") in the order they run.  ``count``: how many loops of
    ``fn`` carry each token (a pair only where two do)."""
    body = fn.body
    where = {}
    for i, s in enumerate(body):          # the loops of the body and of its ``if`` branches
        if isinstance(s, gast.For):
            where.setdefault(getattr(s, "srcgrad_pair", None), []).append((s, body, i, None))
        elif condition(s) is not None:
            for truth in (True, False):
                block = branch_of(s, truth)
                for a, f in enumerate(block):
                    if isinstance(f, gast.For):
                        where.setdefault(getattr(f, "srcgrad_pair", None), []).append(
                            (f, block, a, (i, truth)))
    for token, found in where.items():
        if token is None or count[token] != 2 or len(found) != 2:
            continue
        (f, fwd, a, fi), (r, rev, b, ri) = found
        if not (_is_reverse_loop(r) and not _is_reverse_loop(f) and _matches(f, r)):
            continue
        if fi is None and ri is None:     # one block: the function's body
            yield body, a, body, b, [(body[a + 1:b], "move")], None
        elif fi is not None and ri is not None and fi[1] == ri[1] and fi[0] < ri[0] and \
                condition(body[fi[0]])[0] == condition(body[ri[0]])[0]:
            # the same branch of two ``if c:``
            yield fwd, a, rev, b, [(fwd[a + 1:], "move"), (body[fi[0] + 1:ri[0]], "copy"),
                                   (rev[:b], "move")], body[ri[0]]


def _tape_op(s, method):
    """The tape's name when ``s`` is ``tape.append(v)`` (``method``
    "append") or ``t = tape.pop()`` ("pop")."""
    call = s.value if isinstance(s, (gast.Expr, gast.Assign)) else None
    if isinstance(s, gast.Assign) and len(s.targets) != 1:
        return None
    if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and \
            call.func.attr == method and isinstance(call.func.value, gast.Name) and \
            len(call.args) == (1 if method == "append" else 0) and not call.keywords and \
            (method == "append") == isinstance(s, gast.Expr):
        return call.func.value.id
    return None


def _tokens(fn):
    """How many loops of ``fn`` carry each pairing token, and whether a
    reverse loop is there (a walk of the statements alone)."""
    count, reverse = {}, False
    for n in walk_stmts(fn.body):
        if n.__class__ is gast.For:
            token = getattr(n, "srcgrad_pair", None)
            if token is not None:
                count[token] = count.get(token, 0) + 1
            reverse = reverse or _is_reverse_loop(n)
    return count, reverse


def _tapes(fn):
    """Names used only as tapes: made ``t = []``, then only appended to and
    popped from (one walk)."""
    made, ok, other = set(), set(), set()
    for n in inner_nodes(fn):           # (a parent before its children)
        cls = n.__class__
        if cls is gast.Assign:
            if len(n.targets) == 1 and isinstance(n.targets[0], gast.Name) and \
                    isinstance(n.value, gast.List) and not n.value.elts:
                made.add(n.targets[0].id)
        elif cls is gast.Attribute:
            if isinstance(n.value, gast.Name) and n.attr in ("append", "pop"):
                ok.add(id(n.value))
        elif cls is gast.Name:
            if isinstance(n.ctx, gast.Load) and id(n) not in ok:
                other.add(n.id)
    return made - other


def _stacks(stmts):
    """The names ``stmts`` push to or pop from (``t.append(v)``, ``t.pop()``):
    tapes, if :func:`_tapes` says so."""
    return {n.func.value.id for x in stmts for n in inner_nodes(x)
            if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and
            n.func.attr in ("append", "pop") and isinstance(n.func.value, gast.Name)}


def _names(e):
    """The names of ``e``, a name or a tuple of names; else None."""
    if isinstance(e, gast.Name):
        return (e.id,)
    if isinstance(e, gast.Tuple) and all(isinstance(x, gast.Name) for x in e.elts):
        return tuple(x.id for x in e.elts)
    return None


def _reverse_body(body, objects):
    """One walk of the reverse iteration ``body``: the names it pushes to or
    pops from (tapes, if :func:`_tapes` agrees), and its accumulators: the
    names it changes in place or assigns as ``d = d + v``, each of which it
    only adds into (``d += v``, ``d[k] -= v``, ``d = d + v``, ``d = v + d``;
    ``k``, ``v`` not reading ``d``); None for the accumulators if a name it
    changes in place is changed otherwise."""
    stacks, changed, maybe, roots, names = set(), set(), set(), {}, []
    for n in (x for s in body for x in inner_nodes(s)):     # (a parent before its children)
        cls = n.__class__
        if cls is gast.Name:
            names.append(n)
        elif cls is gast.AugAssign:
            t = n.target
            if isinstance(n.op, (gast.Add, gast.Sub)):
                if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
                    roots.setdefault(t.value.id, set()).add(id(t.value))
                elif isinstance(t, gast.Name):
                    roots.setdefault(t.id, set()).add(id(t))
            while isinstance(t, (gast.Subscript, gast.Attribute, gast.Starred)):
                t = t.value
            if isinstance(t, gast.Name):
                changed.add(t.id)
        elif cls is gast.Assign:
            v = n.value
            if len(n.targets) == 1 and isinstance(n.targets[0], gast.Name) and \
                    isinstance(v, gast.BinOp) and isinstance(v.op, (gast.Add, gast.Sub)):
                d = n.targets[0].id
                ops = [x for x in (v.left, v.right) if isinstance(x, gast.Name) and x.id == d
                       and (x is v.left or isinstance(v.op, gast.Add))]
                if ops:
                    maybe.add(d)
                    roots.setdefault(d, set()).update((id(n.targets[0]), id(ops[0])))
        elif cls in (gast.Subscript, gast.Attribute, gast.Starred):
            if isinstance(n.ctx, gast.Store):
                t = n
                while isinstance(t, (gast.Subscript, gast.Attribute, gast.Starred)):
                    t = t.value
                if isinstance(t, gast.Name):
                    changed.add(t.id)
        elif cls is gast.Call and not pure_call(n, objects):
            f = n.func
            if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and \
                    f.attr in ("append", "pop"):
                stacks.add(f.value.id)
                if not all(pure_value(x, objects) for x in n.args):
                    changed |= {m.id for x in n.args for m in name_nodes(x)}
            else:
                changed |= {m.id for m in name_nodes(n)}
    changed -= stacks
    others = {n.id for n in names
              if n.id in changed | maybe and id(n) not in roots.get(n.id, ())}
    return stacks, None if others & changed else changed | (maybe - others)


def _fresh(value, objects):
    """Whether ``value`` makes a new object (zeros) or is a number."""
    if isinstance(value, gast.Constant):
        return isinstance(value.value, (int, float)) and not isinstance(value.value, bool)
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and \
        objects.get(value.func.id) is runtime.zeros_like


def _fuse(fn, fwd_block, a, rev_block, b, between, test_if, objects, note, known_tapes):
    """Fuse the pair if every condition holds: returns the names the
    statements moved before the loop read, or None.  (The conditions on the
    two loops first, those on what runs between them after; ``known_tapes``
    a list holding the tapes of ``fn`` once found.)"""
    fl, rl = fwd_block[a], rev_block[b]
    body_f, body_r = list(fl.body), list(rl.body)
    # what the loops push and pop: taken for tapes until the loops pass; what
    # the reverse iteration changes in place: adjoints it adds into
    stacks, accs = _reverse_body(body_r, objects)
    if accs is None:
        return None
    tapes = _stacks(body_f) | stacks
    carried = set()        # the names the tape carried: the iteration's own values
    if body_f and body_r:
        x, y = _tape_op(body_f[-1], "append"), _tape_op(body_r[0], "pop")
        if x is not None and x == y:
            value, target = body_f.pop().value.args[0], body_r.pop(0).targets[0]
            if _names(value) is None or _names(value) != _names(target):
                return None
            carried = set(_names(value))
    index = fl.target.id
    changed = lambda stmts: set().union(*(changed_names(s, objects, tapes) for s in stmts))
    stored = lambda stmts: set().union(*(stored_names(s) for s in stmts))
    loads = lambda stmts: {n.id for s in stmts for n in name_nodes(s)
                           if isinstance(n.ctx, gast.Load)}
    own = stored(body_r) - accs
    free = live_before(body_r, set())
    # (a name the tape carried is read as the forward iteration left it, then
    # may be assigned: ``p = p_old`` restores an inner loop's values)
    if own & (free - carried) or own & live_before(body_f, set()) or \
            has_jumps(fl) or has_jumps(rl):
        return None
    if not known_tapes:
        known_tapes.append(_tapes(fn))
    if not tapes <= known_tapes[0]:
        return None             # (a list pushed to that is read otherwise too)
    mentioned_f = {n.id for s in body_f for n in name_nodes(s)} | loads([fl])
    if accs & mentioned_f:
        return None
    stored_f, changed_f = stored(body_f) | {index}, changed(body_f)
    outside = free - accs - tapes - carried - {index}
    if outside & (stored_f | changed_f):
        return None             # (read as the whole loop left it)
    w = [(s, how) for stmts, how in between for s in stmts]
    w_stmts = [s for s, _ in w]
    stored_w, changed_w = stored(w_stmts), changed(w_stmts)
    head = loads([fl.iter])
    if head & (stored_f | changed_f | stored_w | changed_w):
        return None
    if test_if is not None and condition(test_if)[0] in stored_f | stored_w | stored(body_r):
        return None
    # what the reverse iteration assigns: read neither by the statements between
    # the loops (they would see the last iteration's) nor after the reverse loop
    # (its first iteration's there, which a statement between may assign too)
    after = _live_after(fn, rev_block, b, test_if)
    if own & (live_before(w_stmts, after) | after) or (carried | {index}) & after:
        return None
    # the values the reverse iteration reads from before it: unchanged since the
    # forward loop began, or made between the loops by a statement moved before it
    hoist = {}                # id of the statement -> (position in w, statement, how)
    stores_at = {}
    for k, (s, _) in enumerate(w):
        for v in stored_names(s):
            stores_at.setdefault(v, []).append(k)

    def known(v, seen):
        if v in stored_f or v in changed_f or v in changed_w:
            return False
        if v not in stored_w:
            return True
        where = stores_at[v]
        if len(where) != 1 or v in seen:
            return False
        k = where[0]
        s, how = w[k]
        if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
                isinstance(s.targets[0], gast.Name) and pure_value(s.value, objects)):
            return False
        if v in loads(w_stmts[:k]) or v in mentioned_f:
            return False        # (read before it is made: the value before it)
        if not all(known(u, seen | {v}) for u in loads([s.value])):
            return False
        hoist[id(s)] = (k, s, how)
        return True

    for v in outside:
        if not known(v, frozenset()):
            return None
    for acc in accs:
        # made fresh between the loops, then only added into (another loop's
        # reverse: the sums commute); or not seen between them at all (made
        # before the forward loop: an adjoint the code owns, which nothing reads
        # until the reverse loop has run)
        made = [k for k, s in enumerate(w_stmts) if acc in {n.id for n in name_nodes(s)}]
        if not made:
            continue
        if w[made[0]][1] != "move" or \
                not _fresh(getattr(w_stmts[made[0]], "value", None), objects):
            return None         # (a copy would make it again after the loop)
        s = w_stmts[made[0]]
        if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
                isinstance(s.targets[0], gast.Name)):
            return None
        if not all(acc in (_reverse_body([w_stmts[k]], objects)[1] or ()) for k in made[1:]):
            return None
        if not all(known(u, frozenset({acc})) for u in loads([s.value])):
            return None
        hoist[id(s)] = (made[0], s, w[made[0]][1])
    # rewrite
    body_r = _drop_recomputed(body_f, body_r, objects, tapes)
    head_note = note(getattr(fl, "lineno", None))
    fl.body = ([head_note] if head_note else []) + body_f + body_r
    moved = sorted(hoist.values(), key=lambda h: h[0])
    drop = {id(s) for _, s, how in moved if how == "move"}
    for stmts, how in between:
        drop |= comments_of(stmts, drop)
    new = [s if id(s) in drop else copy_tree(s)
           for s in w_stmts if id(s) in drop or id(s) in hoist]
    for block in {id(x): x for x in (fwd_block, rev_block)}.values():
        block[:] = [s for s in block if id(s) not in drop and s is not rl]
    if test_if is not None:
        fn.body[:] = [s for s in fn.body if id(s) not in drop]
    at = next(k for k, s in enumerate(fwd_block) if s is fl)
    fwd_block[at:at] = new
    resume(fn, fwd_block, at + len(new) + 1, note)
    found = read_or_copied(new, {id(s) for _, s, how in moved if how == "copy"})
    if test_if is not None:
        tidy_if(fn, test_if)
        found |= join_branch(fn, test_if, objects, tapes, note)
    return found


def _live_after(fn, rev_block, b, test_if):
    after = live_before(fn.body[fn.body.index(test_if) + 1:], set()) if test_if is not None \
        else set()
    return live_before(rev_block[b + 1:], after)


def _drop_recomputed(body_f, body_r, objects, tapes):
    """``body_r`` without the assignments the forward iteration made as they
    stand, their operands unchanged since (``index = j + 1``)."""
    last = {}
    for k, s in enumerate(body_f):
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], gast.Name):
            last[s.targets[0].id] = k
    out, touched = [], set()
    for s in body_r:
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], gast.Name) and s.targets[0].id in last and \
                pure_value(s.value, objects):
            t = s.targets[0].id
            k = last[t]
            mine = {t} | {n.id for n in name_nodes(s.value)}
            later = set().union(*(stored_names(x) | changed_names(x, objects, tapes)
                                  for x in body_f[k + 1:]), touched)
            if gast.dump(body_f[k].value) == gast.dump(s.value) and not mine & later:
                continue
        out.append(s)
        touched |= stored_names(s) | changed_names(s, objects, tapes)
    return out
