"""Dead code: assignments whose values neither the reverse sweep, nor
control flow, nor the returned value read are removed (only pure operations:
a call without a rule may have side effects and stays), as is an assignment
overwritten by the next statement; ``if`` and ``for`` statements left
without a body go.

>>> from srcgrad.compiler.ir.printer import function, source
>>> fn = function('''
... t = x * 2.0
... u = t + 1.0
... if x > 0.0:
...     v = u
... tape.pop()
... t = t * x
... return t''')
>>> print(source(eliminate_dead_code(fn)))
def f(x, tape):
    t = x * 2.0
    tape.pop()
    t = t * x
    return t
"""

from ast import AST

import gast

from srcgrad.compiler.optimise.effects import MUTATING_METHODS, loads_of
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes


def _pure(s):
    """Whether removing assignment ``s`` when its target is dead changes
    nothing else: not an unknown operation, and (for generated statements)
    not a ``d_ys.pop()`` or ``tape.pop()`` that moves a stack."""
    op = getattr(s, "srcgrad_op", None)
    if op is None:
        value = getattr(s, "value", None)
        return value is None or not any(
            isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute)
            and n.func.attr in MUTATING_METHODS for n in inner_nodes(value))
    return op.kind != "unknown"


def _stmt_loads(s):
    if isinstance(s, gast.Assign):
        out = loads_of(s.value)
        for t in s.targets:
            if not isinstance(t, gast.Name):
                out |= loads_of(t)
        return out
    if isinstance(s, gast.AugAssign):
        # ``d_x += e`` reads ``d_x`` (its target has a Store context)
        return loads_of(s.value) | loads_of(s.target) | (
            {s.target.id} if isinstance(s.target, gast.Name) else set())
    if isinstance(s, (gast.If, gast.While)):
        return loads_of(s.test)
    if isinstance(s, gast.For):
        return loads_of(s.iter)
    return loads_of(s)


def _targets(s):
    return [s.target] if isinstance(s, gast.AugAssign) else s.targets


def _is_name_assign(s):
    """``x = e`` or (generated, on an array the code owns) ``d_x += e``: an
    assignment whose only effect is binding names."""
    return isinstance(s, (gast.Assign, gast.AugAssign)) and \
        all(isinstance(t, gast.Name) for t in _targets(s))


def _assignment_facts(s):
    """For ``x = e`` and ``x += e`` (a name assigned, which is what the
    passes ask most about), from one walk of ``e``: ``(loads, closure,
    pure, call, stored)``, what :func:`_stmt_loads`, :func:`_has_closure`,
    :func:`_pure` give, whether ``e`` calls something (what may be
    overwritten is ``x = e`` without a call) and the names the statement
    stores (:func:`_stored_names`); ``None`` for other statements."""
    if isinstance(s, gast.Assign):
        if not all(isinstance(t, gast.Name) for t in s.targets):
            return None
    elif not (isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name)):
        return None
    loads, closure, mutating, call = set(), False, False, False
    stored = {t.id for t in _targets(s) if isinstance(t.ctx, (gast.Store, gast.Del))}
    for n in inner_nodes(s.value):
        cls = n.__class__
        if cls is gast.Name:
            if isinstance(n.ctx, gast.Load):
                loads.add(n.id)
            elif isinstance(n.ctx, (gast.Store, gast.Del)):
                stored.add(n.id)
        elif cls is gast.Call:
            call = True
            if isinstance(n.func, gast.Attribute) and n.func.attr in MUTATING_METHODS:
                mutating = True
        elif cls is gast.Lambda or cls is gast.FunctionDef:
            closure = True
    if isinstance(s, gast.AugAssign):
        loads.add(s.target.id)                # ``d_x += e`` reads ``d_x``
    op = getattr(s, "srcgrad_op", None)
    pure = not mutating if op is None else op.kind != "unknown"
    return loads, closure, pure, call, stored


def eliminate_dead_code(fn):
    """Remove dead assignments and empty control structures (in place)."""
    # what is asked about each statement, found once (by id; the statement
    # kept alive, so its id stays its own): its loads, whether it holds a
    # closure, whether it is pure, whether its value calls something, what it
    # stores.  The passes change only the blocks and tests of ``if``,
    # ``for``, ``while``: what their loads are is all that is kept of those
    # (what they store, found again in each round, ``_stored_names``).
    facts_cache = {}

    def facts(s):
        key = id(s)
        got = facts_cache.get(key)
        if got is None:
            got = facts_cache[key] = (s, _assignment_facts(s))
        return got[1]

    def fact(k, compute):
        """The ``k``-th of :func:`_assignment_facts` for a name assignment,
        ``compute(s)`` (kept) for any other statement."""
        def get(s):
            f = facts(s)
            if f is not None:
                return f[k]
            key = (k, id(s))
            got = facts_cache.get(key)
            if got is None:
                got = facts_cache[key] = (s, compute(s))
            return got[1]
        return get

    loads, closure, pure = fact(0, _stmt_loads), fact(1, _has_closure), fact(2, _pure)

    def overwritten(s, nxt):
        """``s`` is ``x = e``, ``e`` without a call, and ``nxt`` overwrites ``x``."""
        if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
                isinstance(s.targets[0], gast.Name)):
            return False
        f = facts(s)
        return f[2] and not f[3] and _overwrites(s, nxt, loads)

    # Liveness is transitive: a round that removes only what it finds dead
    # leaves nothing for another round (the sweep also looks past those for
    # an overwriting statement).  A removal of another kind (an overwritten
    # assignment, an emptied ``if`` or ``for``: their reads go) may make
    # more code dead: another round.
    for _ in range(10):
        live = _live_assignments(fn.body, loads, pure, closure, facts)
        again = []
        fn.body = _sweep(fn.body, live, pure, overwritten, again)
        if not again:
            break
    return fn


def _live_assignments(body, loads, pure, closure, facts):
    """The ids of the pure name assignments whose values something reads.

    A read reaches the last assignment to its name earlier in its own
    block when nothing between them (nested blocks included) stores that
    name; otherwise, conservatively, every assignment to the name.  So a
    value the reverse sweep computes again (``transforms/reverse/remat.py``)
    leaves the forward sweep's assignment dead when the forward sweep does
    not read it."""
    by_target = {}                       # name -> the pure assignments storing it
    edges = {}                           # id(pure assignment) -> [reached]
    roots = []                           # what the other statements read
    keep = {}
    stored = {}                          # id(statement) -> the names it stores, at any depth

    def forget(env, s):
        _forget(env, s, stored, facts)

    def reach(n, env):
        d = env.get(n)
        return [d] if d is not None else ("all", n)

    def block(stmts, env):
        for s in stmts:
            if isinstance(s, gast.If):
                roots.extend(reach(n, env) for n in loads(s))
                block(s.body, dict(env))
                block(s.orelse, dict(env))
                forget(env, s)
            elif isinstance(s, (gast.For, gast.While)):
                forget(env, s)           # the body's stores reach its start again
                roots.extend(reach(n, env) for n in loads(s))
                block(s.body, dict(env))
                block(s.orelse, dict(env))
            elif _is_name_assign(s) and pure(s):
                keep[id(s)] = s
                late = closure(s)             # a lambda reads names when called
                edges[id(s)] = [("all", n) if late else reach(n, env) for n in loads(s)]
                for t in _targets(s):
                    by_target.setdefault(t.id, []).append(s)
                    env[t.id] = s
            else:
                reads = loads(s)
                if isinstance(s, gast.FunctionDef) or closure(s):   # read later
                    roots.extend(("all", n) for n in reads)
                else:
                    roots.extend(reach(n, env) for n in reads)
                forget(env, s)

    block(body, {})
    # (a recursive closure refers to itself: a reference cycle, left to the
    # garbage collector with all it holds; broken here so it goes at once)
    del block
    live, work = set(), list(roots)
    seen_all = set()
    while work:
        r = work.pop()
        if isinstance(r, tuple):
            if r[1] in seen_all:
                continue
            seen_all.add(r[1])
            work.extend([d] for d in by_target.get(r[1], ()))
            continue
        d = r[0]
        if id(d) in live:
            continue
        live.add(id(d))
        work.extend(edges[id(d)])
    return live


def _has_closure(s):
    return any(isinstance(n, (gast.Lambda, gast.FunctionDef)) for n in inner_nodes(s))


def _forget(env, s, stored, facts):
    """Drop from ``env`` the names ``s`` (nested blocks included) stores."""
    if not env:
        return
    for name in _stored_names(s, stored, facts):
        env.pop(name, None)
    if isinstance(s, gast.Nonlocal):
        for n in s.names:
            env.pop(n, None)


def _stored_names(s, stored, facts):
    """The names ``s`` stores or deletes (nested blocks included), kept in
    ``stored`` by id: an enclosing statement's set is the union of its own
    expressions' and its blocks' statements' (each block looked at once, not
    once per enclosing loop; a name assignment's are in its ``facts``).  The
    blocks must not change while ``stored`` is in use."""
    key = id(s)
    got = stored.get(key)
    if got is None:
        f = facts(s)
        if f is not None:
            stored[key] = f[4]
            return f[4]
        got = set()
        for field in s._fields:
            value = getattr(s, field, None)
            if field in ("body", "orelse") and isinstance(value, list):
                for c in value:
                    got |= _stored_names(c, stored, facts)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        got.update(n.id for n in name_nodes(item)
                                   if isinstance(n.ctx, (gast.Store, gast.Del)))
            elif isinstance(value, AST):
                got.update(n.id for n in name_nodes(value)
                           if isinstance(n.ctx, (gast.Store, gast.Del)))
        stored[key] = got
    return got


def _overwrites(s, nxt, loads):
    """``nxt`` is ``x = e2`` that does not read ``x``, the target of ``s``."""
    return isinstance(nxt, gast.Assign) and len(nxt.targets) == 1 and \
        isinstance(nxt.targets[0], gast.Name) and nxt.targets[0].id == s.targets[0].id and \
        s.targets[0].id not in loads(nxt)


def _sweep(stmts, live, pure, overwritten, again, past_dead=True):
    """``stmts`` without the dead assignments and those ``x = e`` that the
    next statement (comments aside) overwrites without reading ``x``, or
    (``past_dead``) the next one this sweep keeps does.  A removal that may
    make more code dead (not of a dead assignment) appends to ``again``."""
    def dead(s):
        return _is_name_assign(s) and id(s) not in live and pure(s)

    # the next statement that is not a comment, for each position, and the
    # next that is not dead either
    following = [None] * len(stmts)
    kept_next = [None] * len(stmts)
    nxt = kept = None
    for i in range(len(stmts) - 1, -1, -1):
        following[i], kept_next[i] = nxt, kept
        if getattr(stmts[i], "srcgrad_comment", None) is None:
            nxt = stmts[i]
            if not (past_dead and dead(nxt)):
                kept = nxt
    out = []
    for i, s in enumerate(stmts):
        if dead(s):
            continue
        if overwritten(s, following[i]) or \
                kept_next[i] is not following[i] and overwritten(s, kept_next[i]):
            again.append(s)
            continue
        if isinstance(s, gast.If):
            s.body = _sweep(s.body, live, pure, overwritten, again, past_dead)
            s.orelse = _sweep(s.orelse, live, pure, overwritten, again, past_dead)
            if not _has_statements(s.body) and not _has_statements(s.orelse):
                out.extend(c for c in s.body + s.orelse)   # comments only
                again.append(s)
                continue
            if not _has_statements(s.body):
                s.test = _negate(s.test)
                s.body, s.orelse = s.orelse, []
        elif isinstance(s, gast.For):
            s.body = _sweep(s.body, live, pure, overwritten, again, past_dead)
            if not _has_statements(s.body):
                again.append(s)
                continue
        elif isinstance(s, gast.While):
            s.body = _sweep(s.body, live, pure, overwritten, again, past_dead)
        out.append(s)
    return out


def _has_statements(stmts):
    return any(not getattr(s, "srcgrad_comment", None) for s in stmts)


def _negate(test):
    if isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
        return test.operand
    return gast.UnaryOp(op=gast.Not(), operand=test)
