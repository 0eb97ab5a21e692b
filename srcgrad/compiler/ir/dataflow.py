"""Flow-sensitive liveness on the structured statement trees srcgrad uses.

Structured code (``if``, ``for``, ``while``; a loop's only ``break`` is its
final ``if flag: break``) needs no control-flow graph: a backward walk with a
fixpoint at each loop head is exact enough.
"""

import gast
from srcgrad.compiler.ir.walk import name_nodes


def loads(node):
    return {n.id for n in name_nodes(node) if isinstance(n.ctx, gast.Load)}


def stores(s):
    targets = s.targets if isinstance(s, gast.Assign) else [s.target]
    return {n.id for t in targets for n in name_nodes(t)
            if isinstance(n.ctx, gast.Store)}


def reads(s):
    """Names a simple statement reads (a subscript store reads its array;
    unpacking into names reads none)."""
    if isinstance(s, gast.Assign):
        out = loads(s.value)
        for t in s.targets:
            out |= _target_reads(t)
        return out
    if isinstance(s, gast.AugAssign):
        return loads(s.value) | {n.id for n in name_nodes(s.target)}
    return loads(s)


def _target_names(t):
    """The names an assignment to ``t`` binds (``a, (b, *c) = v``: a, b, c;
    ``x[i] = v`` none: it changes ``x``)."""
    if isinstance(t, gast.Name):
        return {t.id}
    if isinstance(t, (gast.Tuple, gast.List)):
        return set().union(*(_target_names(e) for e in t.elts))
    if isinstance(t, gast.Starred):
        return _target_names(t.value)
    return set()


def _target_reads(t):
    if isinstance(t, gast.Name):
        return set()
    if isinstance(t, (gast.Tuple, gast.List)):
        return set().union(*(_target_reads(e) for e in t.elts))
    if isinstance(t, gast.Starred):
        return _target_reads(t.value)
    return loads(t) | {n.id for n in name_nodes(t)}


def live_before(stmts, live_after, visit=None):
    """Names live before ``stmts`` given those live after; ``visit(s, live)``
    is called with each simple statement and the names live after it."""
    live = set(live_after)
    for s in reversed(stmts):
        live = _stmt(s, live, visit)
    return live


def _stmt(s, live, visit):
    if isinstance(s, gast.If):
        return (live_before(s.body, live, visit) | live_before(s.orelse, live, visit)
                | loads(s.test))
    if isinstance(s, (gast.For, gast.While)):
        head = set(live)
        target = stores(s) if isinstance(s, gast.For) else set()
        extra = loads(s.test) if isinstance(s, gast.While) else set()
        while True:
            body_in = live_before(s.body, head | extra, None)
            new = live | extra | (body_in - target)
            if new <= head:
                break
            head |= new
        live_before(s.body, head | extra, visit)
        return head | extra | (loads(s.iter) if isinstance(s, gast.For) else set())
    if visit is not None:
        visit(s, live)
    # (``live`` is this walk's own set: updated in place, not copied at
    # every statement, which was quadratic in a long block)
    if isinstance(s, (gast.Assign, gast.AugAssign)):
        written = set().union(*(_target_names(t) for t in s.targets)) \
            if isinstance(s, gast.Assign) else set()
        live -= written
        live |= reads(s)
        return live
    if isinstance(s, (gast.Break, gast.Continue, gast.Pass)):
        return live
    live |= loads(s)
    return live


def flow_before(stmts, after, transfer, visit=None):
    """A backward may-analysis like :func:`live_before` with its own
    ``transfer(s, names_after) -> names_before`` for simple statements (a
    ``for`` rebinds its target); ``visit(s, names_after)`` as there."""
    out = set(after)
    for s in reversed(stmts):
        out = _flow(s, out, transfer, visit)
    return out


def _flow(s, after, transfer, visit):
    if isinstance(s, gast.If):
        return flow_before(s.body, after, transfer, visit) | \
            flow_before(s.orelse, after, transfer, visit)
    if isinstance(s, (gast.For, gast.While)):
        head = set(after)
        target = stores(s) if isinstance(s, gast.For) else set()
        while True:
            new = set(after) | (flow_before(s.body, head, transfer) - target)
            if new <= head:
                break
            head |= new
        flow_before(s.body, head, transfer, visit)
        return head
    if isinstance(s, (gast.Break, gast.Continue, gast.Pass)):
        return set(after)
    if visit is not None:
        visit(s, after)
    return transfer(s, set(after))


def walk_stmts(stmts):
    """Every statement in ``stmts``, nested blocks included, in program order
    (a statement, its body, its ``else`` block, the next statement; each
    block read when the walk reaches it, as a recursive walk would: a stack
    of iterators, not a generator per block, which the passes, walking whole
    functions many times, would pay for at every statement).

    >>> import gast
    >>> fn = gast.parse("if a:\\n    b = 1\\n    for i in r:\\n        c = i\\n"
    ...                 "else:\\n    d = 2\\ne = 3")
    >>> [type(s).__name__ for s in walk_stmts(fn.body)]
    ['If', 'Assign', 'For', 'Assign', 'Assign', 'Assign']
    """
    stack = [iter(stmts)]
    push = stack.append
    while stack:
        for s in stack[-1]:
            yield s
            body = getattr(s, "body", None)
            if isinstance(body, list):
                if hasattr(s, "orelse"):
                    push(_orelse(s))
                push(iter(body))
                break
        else:
            stack.pop()


def _orelse(s):
    """The statements of ``s``'s ``else`` block, read when first asked."""
    sub = getattr(s, "orelse", None)
    if isinstance(sub, list):
        yield from sub


def blocks(stmts):
    """``stmts`` and every statement list nested in it (bodies and ``else``
    blocks), outermost first."""
    yield stmts
    for s in stmts:
        for field in ("body", "orelse"):
            sub = getattr(s, field, None)
            if isinstance(sub, list):
                yield from blocks(sub)


def remove_stmts(stmts, drop):
    """``stmts`` without the statements (at any depth) for which ``drop(s)``."""
    out = []
    for s in stmts:
        if drop(s):
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, remove_stmts(getattr(s, field), drop))
        out.append(s)
    return out


def connected(links):
    """The groups of names that ``links`` (pairs of names) connect, directly
    or through others: name -> its group (a set holding the name itself), for
    every name in a pair.

    >>> sorted(connected([("b", "a"), ("c", "b"), ("x", "y")])["c"])
    ['a', 'b', 'c']
    """
    parent = {}

    def find(n):
        while parent.get(n, n) != n:
            n = parent[n]
        return n

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    groups = {}
    for a, b in links:
        for n in (a, b):
            groups.setdefault(find(n), set()).add(n)
    return {n: group for group in groups.values() for n in group}


def assigned_on_every_path(stmts):
    """The names every path through ``stmts`` assigns (both branches of an
    ``if``; a loop's body may not run)."""
    out = set()
    for s in stmts:
        if isinstance(s, gast.Assign):
            out |= {n.id for t in s.targets for n in name_nodes(t)
                    if isinstance(n.ctx, gast.Store)}
        elif isinstance(s, gast.If):
            out |= assigned_on_every_path(s.body) & assigned_on_every_path(s.orelse)
    return out
