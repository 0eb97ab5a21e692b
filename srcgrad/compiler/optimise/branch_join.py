"""The ``if`` statements around a loop whose reverse ran as its forward
went (``eager_reverse.py``): the reverse ``if c:`` left with one branch
joins the end of the forward ``if c:``'s same branch, and comments keep
runtime errors located (the emitter locates a line by the comment above it).

Code in → code out (``d_out = 1.0``, read by the branch, is copied)::

    if c:                                 if c:
        y = x[0]                              y = x[0]
    else:                                     d_out = 1.0
        (a loop, run eagerly)         →       d_x = d_out * ...
    d_out = 1.0                           else:
    if c:                                     (a loop, run eagerly)
        d_x = d_out * ...                 d_out = 1.0

>>> from srcgrad.compiler.ir.printer import function, to_source
>>> fn = function('''
... if c:
...     y = x * 2.0
... else:
...     y = x * 3.0
... d_out = 1.0
... if c:
...     d_x = 2.0 * d_out
... return d_x''', params="c, x")
>>> _ = join_branch(fn, fn.body[2], {}, set(), lambda line: None)
>>> print(to_source(fn).strip())
def f(c, x):
    if c:
        y = x * 2.0
        d_out = 1.0
        d_x = 2.0 * d_out
    else:
        y = x * 3.0
    d_out = 1.0
    return d_x
"""

import gast

from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.dataflow import live_before
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes
from srcgrad.compiler.optimise.effects import changed_names, pure_value


def condition(s):
    """``(c, negated)`` for ``if c:`` or ``if not c:``; else None."""
    if not isinstance(s, gast.If):
        return None
    if isinstance(s.test, gast.Name):
        return s.test.id, False
    if isinstance(s.test, gast.UnaryOp) and isinstance(s.test.op, gast.Not) and \
            isinstance(s.test.operand, gast.Name):
        return s.test.operand.id, True
    return None


def branch_of(s, truth):
    """The statements ``if`` statement ``s`` runs when its name is ``truth``."""
    return s.body if truth != condition(s)[1] else s.orelse


def stored_names(node):
    return {n.id for n in name_nodes(node) if isinstance(n.ctx, gast.Store)}


def has_jumps(node):
    return any(isinstance(n, (gast.Break, gast.Continue, gast.Return, gast.Yield, gast.Try,
                              gast.FunctionDef, gast.Lambda, gast.Global, gast.Nonlocal))
               for n in inner_nodes(node))


def read_or_copied(stmts, copied):
    """The names ``stmts`` read, and those the copies among them assign
    (what they were made for may be dead now)."""
    return {n.id for x in stmts for n in name_nodes(x) if isinstance(n.ctx, gast.Load)} | \
        {x.targets[0].id for x in stmts if id(x) in copied}


def resume(fn, block, k, note):
    """The code after ``block[k - 1]`` (in ``block``, in the other branch of
    the ``if`` whose branch ``block`` is, after that ``if``) points to the
    function's line again: the emitter locates a line of generated code by
    the comment above it."""
    def put(stmts, at, above):
        c = note(None)
        if c is not None and at < len(stmts) and not is_comment(stmts[at]) and \
                not isinstance(stmts[at], gast.Return) and \
                getattr(last_comment(above), "srcgrad_comment", None) != c.srcgrad_comment:
            stmts.insert(at, c)
    put(block, k, block[:k])
    for i, s in enumerate(fn.body):
        if isinstance(s, gast.If) and (s.body is block or s.orelse is block):
            if s.body is block:
                put(s.orelse, 0, s.body)
            put(fn.body, i + 1, [s])
            break


def last_comment(stmts):
    """The last comment in the text of ``stmts``."""
    for s in reversed(stmts):
        if is_comment(s):
            return s
        for field in ("orelse", "body"):
            found = last_comment(getattr(s, field, None) or [])
            if found is not None:
                return found
    return None


def join_branch(fn, t, objects, tapes, note):
    """The reverse ``if c:`` left with one branch after its other branch's
    loop ran eagerly: that branch joins the end of the forward ``if c:``'s
    same branch, where what runs between the two ``if`` statements neither
    reads nor changes what it changes, nor changes what it reads (a value
    made there that it reads is copied: ``d_out = 1.0``)."""
    if t not in fn.body:
        return set()
    k = fn.body.index(t)
    c = condition(t)[0]
    rest = [truth for truth in (True, False)
            if not all(is_comment(x) for x in branch_of(t, truth))]
    forward = [i for i in range(k) if condition(fn.body[i]) is not None and
               condition(fn.body[i])[0] == c]
    if len(rest) != 1 or not forward:
        return set()
    truth, s = rest[0], fn.body[forward[-1]]
    mid, rev = fn.body[forward[-1] + 1:k], branch_of(t, truth)
    if has_jumps(t):
        return set()
    stored_r = set().union(*(stored_names(x) for x in rev))
    changed_r = set().union(*(changed_names(x, objects, tapes) for x in rev))
    stored_m = set().union(*(stored_names(x) for x in mid))
    changed_m = set().union(*(changed_names(x, objects, tapes) for x in mid))
    mentioned_m = {n.id for x in mid for n in name_nodes(x)}
    if (stored_r | changed_r) & mentioned_m or c in stored_m | stored_r:
        return set()
    copies = []
    for v in live_before(rev, set()) & (stored_m | changed_m):
        where = [k for k, x in enumerate(mid) if v in stored_names(x)]
        if v in changed_m or len(where) != 1:
            return set()
        x = mid[where[0]]
        if not (isinstance(x, gast.Assign) and len(x.targets) == 1 and
                isinstance(x.targets[0], gast.Name) and pure_value(x.value, objects)) or \
                {n.id for n in name_nodes(x.value)} & (stored_m | changed_m) or \
                v in {n.id for y in mid[:where[0]] for n in name_nodes(y)}:
            return set()
        copies.append((where[0], x))
    branch = branch_of(s, truth)
    if all(is_comment(x) for x in branch):
        branch[:] = []
    copied = [copy_tree(x) for _, x in sorted(copies, key=lambda c: c[0])]
    end = len(branch) + len(copied) + len(rev)
    branch.extend(copied + rev)
    rev[:] = []
    tidy_if(fn, t)
    resume(fn, branch, end, note)
    return read_or_copied(copied, {id(x) for x in copied})


def comments_of(stmts, moved):
    """The comments in ``stmts`` each of whose statements (up to the next
    comment) is ``moved``: they move with them."""
    out, k = set(), 0
    while k < len(stmts):
        if is_comment(stmts[k]):
            end = k + 1
            while end < len(stmts) and not is_comment(stmts[end]):
                end += 1
            if end > k + 1 and all(id(x) in moved for x in stmts[k + 1:end]):
                out.add(id(stmts[k]))
            k = end
        else:
            k += 1
    return out


def is_comment(s):
    return getattr(s, "srcgrad_comment", None) is not None


def tidy_if(fn, t):
    """The ``if`` the reverse loop left: a branch of comments alone goes."""
    if all(is_comment(s) for s in t.orelse):
        t.orelse = []
    if all(is_comment(s) for s in t.body):
        if not t.orelse:
            fn.body[:] = [s for s in fn.body if s is not t]
        else:
            t.body = [s for s in t.body if not is_comment(s)] + [gast.Pass()]
