"""Aliasing: in-place writes are differentiated exactly when no other
variable shares the written array's memory.  Names are linked by copies,
subscripts (a basic index makes a view), view functions (``np.reshape``,
``x.T``) and record fields; a write into one of them reaches the others
(so does its derivative: :func:`share_activity`).  Where sharing is certain
and harmful the write is refused; where it depends on the values (``a[i]``
is a view or a copy depending on ``a``'s rank) the statement gets a check
that runs with the code (``srcgrad_view_check``, ``srcgrad_alias_checks``).
Writes through ``out=`` and NumPy functions called for their effect
(``np.copyto``, ``np.add.at``) are refused when a derivative is involved.

>>> from srcgrad.compiler.analysis.show import analysed, names, refusal
>>> an = analysed('''
... def f(x):
...     a = x * 1.0
...     for i in range(2):
...         b = a[i]
...         a[i + 1] = 0.0
...         c = b * 2.0
...     return np.sum(a) + c''', wrt="x")
>>> names(an.share["a"]), names(an.written_arrays)
('a b', 'a b')
>>> loop = an.fn.body[1]
>>> loop.body[0].srcgrad_view_check      # b, a as named in the code and for the user
('b', 'a', 'b', 'a', 'line 5')
>>> print(refusal('''
... def f(x):
...     a = x * 1.0
...     b = a.T
...     a[0] = 0.0
...     return np.sum(a * b)''', wrt="x"))  # doctest: +NORMALIZE_WHITESPACE
<example>:3: 'b' and 'a' may share memory (one may be a view of the other); 'a' is written in
place (line 4) while 'b' is still used
    b = a.T
  hint: take a copy where the view is made, e.g. row = a[i].copy()
"""

import gast
import numpy as np

from srcgrad import runtime
from srcgrad.compiler.analysis.activity import useful_names, varied_names
from srcgrad.compiler.analysis.holders import containers_holding
from srcgrad.compiler.analysis.containers import (check_containers,
                                                  check_read_out_of_containers,
                                                  written_before_rebound)
from srcgrad.compiler.analysis.ops import defined_name
from srcgrad.compiler.analysis.refusals import no_rule
from srcgrad.compiler.frontend.parse import MISSING
from srcgrad.compiler.analysis.syntax import dotted, op_symbol
from srcgrad.compiler.ir.dataflow import connected, live_before, walk_stmts
from srcgrad.rules.tables import IDENTITY_HELPERS, NUMPY_WRITERS, VIEW_FUNCTIONS
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes


def check_aliasing(an, assigns):
    """In-place writes are differentiated exactly when no other variable
    shares the written array's memory; refuse the cases where one may."""
    an.share, an.share_made_by_calls = sharing(assigns)
    an.written_arrays = set()     # arrays written in place, and what may share them
    check_out_arguments(an)
    check_augmented(an, assigns)
    written = {s.srcgrad_op.args["x"].id for s in assigns
               if s.srcgrad_op.kind in ("setitem", "append", "insert", "pop")}
    if not written:
        return
    for x in written:
        if x not in an.kind:
            an.written_arrays |= an.share.get(x, {x})
    check_outer_writes(an, assigns, written)
    # a field read out of a record (v = rec.w) is the record's own value:
    # writing into it changes the record, which the analysis does not follow
    for s in assigns:
        op = s.srcgrad_op
        if isinstance(s, gast.Assign) and op.kind == "attr" and \
                isinstance(s.targets[0], gast.Name):
            t = s.targets[0].id
            hit = sorted(x for x in written if t in an.share.get(x, {x}))
            if hit:
                user = getattr(an, "user_of", {})
                rec, w = op.args["x"].id, user.get(hit[0], hit[0])
                what = "is" if w == user.get(t, t) else f"shares memory with '{w}', which is"
                raise an.parsed.error(
                    s, f"'{user.get(t, t)}' is the field .{op.extra} of "
                       f"'{user.get(rec, rec)}' itself and {what} written in place",
                    construct="in-place write into a record's field",
                    hint=f"take a copy: {user.get(t, t)} = "
                         f"np.copy({user.get(rec, rec)}.{op.extra})")
    check_read_out_of_containers(an, assigns)
    share_activity(an, assigns, written - set(an.kind))
    check_containers(an, assigns, written)
    # writing into a list or dict changes no element: only arrays have views
    arrays = {x for x in written if x not in an.kind}
    user = getattr(an, "user_of", {})
    params = {a.id for a in an.fn.args.args + an.fn.args.kwonlyargs
              + an.fn.args.posonlyargs}
    views = {}
    copies = {}
    # b = a is harmless when neither is written after it (no loop repeats it)
    in_loop = {id(x) for loop in walk_stmts(an.fn.body) if isinstance(loop, (gast.For, gast.While))
               for x in walk_stmts(loop.body)}
    order = {id(s): i for i, s in enumerate(assigns)}
    last_write = {}
    for s in assigns:
        if s.srcgrad_op.kind in ("setitem", "append", "insert", "pop"):
            last_write[s.srcgrad_op.args["x"].id] = order[id(s)]

    def written_later(s, a, b):
        return id(s) in in_loop or max(last_write.get(a, -1), last_write.get(b, -1)) > order[id(s)]

    def aliased(s, a, b):
        return an.parsed.error(
            s, f"'{user.get(b, b)}' and '{user.get(a, a)}' name the same array, "
               f"which is written in place", construct="aliased in-place write",
            hint=f"make an independent array: {user.get(b, b)} = {user.get(a, a)}.copy()")

    for s in assigns:
        if isinstance(s, gast.Expr):
            continue
        op, t = s.srcgrad_op, s.targets[0]
        if not isinstance(t, gast.Name):
            continue
        if op.kind == "copy" and isinstance(op.args["x"], gast.Name) and \
                not getattr(s, "srcgrad_phi", False):
            a, b = op.args["x"].id, t.id
            if (a in written or b in written) and user.get(a, a) != user.get(b, b) and \
                    written_later(s, a, b):
                if a in params:
                    raise aliased(s, a, b)
                copies[id(s)] = (a, b)   # an error only if both stay in use
        first = next((a for a in op.args.values() if isinstance(a, gast.Name)), None)
        if first is not None and (
                op.kind in ("subscript", "attr") or
                op.kind == "call" and op.fun in VIEW_FUNCTIONS):
            # an attribute read (st.v) is the object's own array, not a copy
            if first.id in arrays:        # a view of a written array
                views.setdefault(first.id, {})[t.id] = s
            if t.id in arrays:            # a written array that is a view
                views.setdefault(t.id, {})[first.id] = s

    def visit(s, live):
        if id(s) in copies and copies[id(s)][0] in live and \
                set(copies[id(s)]) & exposed.get(id(s), set(copies[id(s)])):
            raise aliased(s, *copies[id(s)])
        op = getattr(s, "srcgrad_op", None)
        if op is None or op.kind != "setitem":
            return
        x = op.args["x"].id
        for v, where in views.get(x, {}).items():
            if v in reread or x in reread and not _made_from(where, x):
                continue    # guarded by whether it is a view; a view made from a guarded
                            # view is not (z = x[idx] may be a copy: fuzz seed 169914)
            if v not in live and any(an.share.get(c, {c}) & live
                                     for c in packed_into.get(v, ())):
                # a container still in use holds the view (p = P(b=M[0]); M[...] = ...;
                # np.sum(p): fuzz seed 2202170): the view is in use through it
                live = live | {v}
            if v in live and where.srcgrad_op.kind == "subscript":
                # a[i] is a copy or a view depending on a's rank: check when it runs
                t, a = where.targets[0].id, where.srcgrad_op.args["x"].id
                where.srcgrad_view_check = (t, a, user.get(t, t), user.get(a, a),
                                             an.parsed.where(s.lineno))
            elif v in live and where.srcgrad_op.kind == "attr":
                raise an.parsed.error(
                    s, f"an element of the field .{where.srcgrad_op.extra} of "
                       f"'{user.get(v, v)}' is written in place while '{user.get(v, v)}' is "
                       f"still used; srcgrad does not differentiate writes into an "
                       f"object's fields", construct="element assignment to an attribute",
                    hint=f"copy the field into a local array (a = {user.get(v, v)}."
                         f"{where.srcgrad_op.extra}.copy()), write into that, and build a "
                         f"new object from it")
            elif v in live:
                raise an.parsed.error(
                    where, f"'{user.get(v, v)}' and '{user.get(x, x)}' may share memory (one "
                           f"may be a view of the other); '{user.get(x, x)}' is written in "
                           f"place (line {s.lineno}) while '{user.get(v, v)}' is still used",
                    construct="view of an array written in place",
                    hint="take a copy where the view is made, e.g. row = a[i].copy()")
        # names sharing x's memory less directly (b = a[1:]; c = a[:3]; b[0] = ...
        # changes c): checked when the code runs, where both certainly exist
        # (a write into a list or dict rebinds one of its items: no value read
        # out of it changes, and its other names are containers too)
        group = an.share.get(x, {x}) if x not in an.kind else {x}
        for v in sorted(group - {x} - set(views.get(x, {})) - set(an.kind) - reread
                        if x not in reread else ()):
            if v not in live:
                continue
            if v not in defined.get(id(s), ()):
                raise an.parsed.error(
                    s, f"'{user.get(v, v)}' may share memory with '{user.get(x, x)}', which "
                       f"is written in place here while '{user.get(v, v)}' is still used",
                    construct="view of an array written in place",
                    hint=f"take a copy where the view is made: {user.get(v, v)} = ....copy()")
            s.srcgrad_alias_checks = getattr(s, "srcgrad_alias_checks", []) + [
                (v, x, user.get(v, v), user.get(x, x), s.lineno,
                 bool(group & an.share_made_by_calls))]

    exposed = written_before_rebound(an.fn.body, copies, an.kind)
    defined = defined_before(an.fn.body, params)
    reread = getattr(an, "reread", set())
    packed_into = containers_holding(an, assigns)[2]
    live_before(an.fn.body, set(), visit)


def _made_from(where, x):
    """Whether the statement ``where`` makes its name by indexing ``x``."""
    op = getattr(where, "srcgrad_op", None)
    base = op.args.get("x") if op is not None and op.kind == "subscript" else None
    return isinstance(base, gast.Name) and base.id == x


def share_activity(an, assigns, written):
    """A write into ``v = u[1:]`` changes ``u`` too: a derivative written
    into an array reaches every name that may share its memory, and an
    array written into is useful if one of them is."""
    seed_v, seed_u = set(), set()
    while True:
        more_v, more_u = set(), set()
        for x in written:
            group = an.share.get(x, {x})
            if x in an.varied and group - an.varied:
                more_v |= group - an.varied
            if group & an.useful and x not in an.useful:
                more_u.add(x)
        if not more_v and not more_u:
            break
        seed_v |= more_v
        seed_u |= more_u
        an.varied = varied_names(an, assigns, seed_v)
        an.useful = useful_names(an, assigns, seed_u)
    if not seed_v and not seed_u:
        return
    an.active = an.varied & an.useful
    for s in assigns:
        if s.srcgrad_op.kind == "unknown" and defined_name(s) in an.active:
            raise no_rule(an, s, s.srcgrad_op)


def check_outer_writes(an, assigns, written):
    """Refuse a write into an array, list or dict that is (or may share
    memory with) an object of the module or of an enclosing function: the
    generated code would change it as the primal does, and its reverse sweep
    restores only what it reads again, so the object would be left in
    another state than the primal leaves it (srcgrad never changes such
    objects, as for attributes: ``normalise/attributes.py``).

    >>> from srcgrad.compiler.analysis.show import refusal
    >>> print(refusal('''
    ... TABLE = np.ones(3)
    ... def f(x):
    ...     TABLE[0] = 2.0
    ...     return np.sum(TABLE * x)''', wrt="x"))  # doctest: +NORMALIZE_WHITESPACE
    <example>:3: 'TABLE' is written in place here, and it is an array of the module or of an
    enclosing function; srcgrad never changes such objects
        TABLE[0] = 2.0
      hint: work on a copy made in the function (TABLE = TABLE.copy() at its top), or pass it
    as an argument
    """
    user = getattr(an, "user_of", {})
    for s in assigns:
        op = s.srcgrad_op
        if op.kind not in ("setitem", "append", "insert", "pop") or \
                op.args["x"].id not in written:
            continue
        x = op.args["x"].id
        outer = sorted(n for n in an.share.get(x, {x}) | {x} if n not in an.locals and
                       an.parsed.resolve_global(n) is not MISSING)
        if outer:
            g, ux = user.get(outer[0], outer[0]), user.get(x, x)
            what = "it is" if g == ux else f"it may share memory with '{g}',"
            kind = "a list or dict" if x in an.kind else "an array"
            raise an.parsed.error(
                s, f"'{ux}' is written in place here, and {what} {kind} of the module or "
                   f"of an enclosing function; srcgrad never changes such objects",
                construct="in-place write into a global object",
                hint=f"work on a copy made in the function ({g} = {g}.copy() at its top), "
                     f"or pass it as an argument")


def check_out_arguments(an):
    """``f(..., out=o)`` writes into ``o`` in place, which the analyses do
    not follow: refused when a derivative could flow through it; so are
    NumPy functions called for their effect (``np.add.at(a, i, v)``,
    ``np.copyto(a, b)``, ``np.put`` ...), which change an argument."""
    user = getattr(an, "user_of", {})
    order = list(walk_stmts(an.fn.body))
    in_loop = {id(b) for w in order if isinstance(w, (gast.For, gast.While))
               for b in walk_stmts(w.body)}

    def read_before(s, targets):
        # a value of ``targets``, or of an array sharing their memory (a row
        # ``a13`` of ``for a13 in A9``: fuzz seed 2926810), the reverse sweep
        # may read (a use before ``s``, or anywhere when ``s`` repeats in a
        # loop) is overwritten
        targets = set().union(*(an.share.get(t, {t}) for t in targets)) if targets else targets
        if not targets & an.useful:
            return False
        for w in order:
            if w is s:
                if id(s) not in in_loop:
                    return False
                continue
            if isinstance(w, gast.Assign) and \
                    targets & {n.id for n in name_nodes(w.value)}:
                return True
        return False

    for s in order:
        if not isinstance(s, (gast.Assign, gast.Expr)):
            continue
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and \
                numpy_writer(an.resolve(s.value.func)):
            call = s.value
            names = {n.id for a in list(call.args[1:]) + [k.value for k in call.keywords]
                     for n in name_nodes(a)}
            target = {n.id for n in name_nodes(call.args[0])} \
                if call.args else set()
            # a derivative flows into the changed array, or one it had is lost
            if names & an.varied or target & an.varied & an.useful or \
                    read_before(s, target):
                shown = dotted(call.func)
                first = call.args[0] if call.args else None
                changed = user.get(first.id, first.id) if isinstance(first, gast.Name) \
                    else "its argument"
                raise an.parsed.error(
                    s, f"'{shown}(...)' is called for its effect: it changes '{changed}' in "
                       f"place, which srcgrad does not follow",
                    construct="NumPy function changing an array in place",
                    hint=f"write the change as an assignment, e.g. {changed}[i] = "
                         f"{changed}[i] + v, or {changed} = ... with the new value")
        for call in inner_nodes(s.value):
            if not isinstance(call, gast.Call):
                continue
            out = next((k.value for k in call.keywords if k.arg == "out"), None)
            if out is None or isinstance(out, gast.Constant) and out.value is None:
                continue
            names = {n.id for a in list(call.args) + [k.value for k in call.keywords
                                                      if k.arg != "out"]
                     for n in name_nodes(a)}
            target = {n.id for n in name_nodes(out)}
            # a derivative flows into the written array, or one it had is lost
            if names & an.varied or target & an.varied & an.useful or \
                    read_before(s, target):
                shown = user.get(out.id, out.id) if isinstance(out, gast.Name) else "out"
                raise an.parsed.error(
                    s, f"'{dotted(call.func)}(..., out={shown})' writes its result into "
                       f"'{shown}' in place, which srcgrad does not follow",
                    construct="out= argument",
                    hint=f"assign the result instead: {shown} = {dotted(call.func)}(...)")


def check_augmented(an, assigns=()):
    """``v += e`` on a name is ``v = v + e`` after normalising, which is
    what Python does unless ``v``'s array is shared with another variable
    still in use (a view ``v = u[1:]``, ``u`` itself, a second name): then
    Python changes both.  Such sharing is checked when the code runs
    (``not_a_view``): an error, not a silently different derivative."""
    user = getattr(an, "user_of", {})

    def visit(s, live):
        v = getattr(s, "value", None)
        if isinstance(s, gast.Assign) and getattr(s.targets[0], "srcgrad_inplace_element", False):
            check_element(s, live)
            return
        if not (isinstance(s, gast.Assign) and getattr(v, "srcgrad_inplace", False)
                and isinstance(v, gast.BinOp) and isinstance(v.left, gast.Name)):
            return
        x, t = v.left.id, s.targets[0].id
        # p.a op= e: the field read out of p goes back into it (the check of
        # p's other fields runs with the code: runtime.check_field_iadd)
        owner = {read_from.get(x)} if getattr(v, "srcgrad_inplace_field", False) else set()
        t = {t} | owner
        # ... and whatever was put into p may be that field (p = P(a=arr); p.a += 1)
        held = {n for o in owner for n, cs in packed_into.items()
                if cs & an.share.get(o, {o})}
        kind = an.kind.get(x, "container")
        if kind in ("list", "dict"):
            # ``ys += [...]`` extends the list in place (``d |= e`` updates the
            # dict): another name for the same list sees the change
            for y in sorted((an.share.get(x, set()) | held) - {x} - t):
                if y in live:
                    raise an.parsed.error(
                        s, f"'{user.get(x, x)}' may be the same {kind} as '{user.get(y, y)}', "
                           f"and '{user.get(x, x)} {op_symbol(v.op)}= ...' changes it in place",
                        construct=f"augmented assignment to a shared {kind}",
                        hint=f"make a new {kind}: {user.get(x, x)} = {user.get(x, x)} "
                             f"{op_symbol(v.op)} ...")
            return
        if kind != "container":
            return       # a tuple or record: a new object, as Python makes
        # ("container": a sequence that may be an array -- checked like one)
        checks = []
        # containers the array was put into (p = P(b=x); x *= 2 changes p.b)
        group = an.share.get(x, {x})
        holders = {c for n in group for c in packed_into.get(n, ())} - {x} - t
        # ... and, for p.a op= e, the containers holding what p holds (p =
        # replace(q); q_1 = set_field(q, ...): q_1.a may be p.a; fuzz seed 3311980)
        holders |= {c for n in held for c in packed_into.get(n, ())} - {x} - t
        for c in sorted(holders):
            if c in live:
                checks.append((x, c, user.get(x, x), user.get(c, c), s.lineno))
        # names read out of those containers may be the array itself (t = (y, a);
        # s2, s3 = t; a += e changes s3: fuzz seed 1303011)
        readers = set()
        for c in holders:
            readers |= an.share.get(c, {c})
        for y in sorted((an.share.get(x, set()) | (readers - holders) | held) - {x} - t):
            if y in live and y not in defined.get(id(s), ()):
                raise an.parsed.error(
                    s, f"'{user.get(x, x)}' may share memory with '{user.get(y, y)}', and "
                       f"'{user.get(x, x)} {op_symbol(v.op)}= ...' changes it in place",
                    construct="augmented assignment to a shared array",
                    hint=f"take a copy where '{user.get(x, x)}' is made: ....copy()")
            if y in live:
                checks.append((x, y, user.get(x, x), user.get(y, y),
                               an.parsed.where(s.lineno)))
        if checks:
            s.srcgrad_alias_checks = [c + (True,) for c in checks]

    def check_element(s, live):
        # ``lst[k] op= e`` changes the array held at ``lst[k]`` in place: exact
        # as ``lst[k] = lst[k] op e`` only when no other name, list slot or
        # container still in use holds that array
        c = s.targets[0].value
        if not isinstance(c, gast.Name) or an.kind.get(c.id) not in ("list", "dict"):
            return       # an array: its element is written back, as Python does
        holders = [n for n, cs in put_into.items() for _ in range(cs.count(c.id))
                   if n not in constants]
        others = set()
        for n in holders:
            others |= an.share.get(n, {n}) | {n} | set(packed_into.get(n, ()))
        others |= an.share.get(c.id, set())
        twice = sorted({n for n in holders if holders.count(n) > 1})
        seen = sorted((others - {c.id}) & live)
        if not (seen or twice):
            return
        shown = user.get(c.id, c.id)
        sure = defined.get(id(s), ())
        unknown = [y for y in seen if y not in sure]
        if not unknown:
            # whether the element is an array they hold (a number never is): when it runs
            s.srcgrad_element_check = (c.id, s.targets[0].slice, seen, shown,
                                       [user.get(y, y) for y in seen], an.parsed.where(s.lineno))
            return
        other = user.get(unknown[0], unknown[0])
        raise an.parsed.error(
            s, f"'{shown}[...] op= ...' changes the array held in '{shown}' in place, and "
               f"'{other}' may hold the same array",
            construct=f"augmented assignment to an element of a {an.kind[c.id]}",
            hint=f"make a new array: {shown}[k] = {shown}[k] + ... (or put a copy "
                 f"into the {an.kind[c.id]}: ....copy())")

    put_into, constants, packed_into = containers_holding(an, assigns)
    read_from = {s.targets[0].id: s.srcgrad_op.args["x"].id for s in assigns
                 if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                 and s.srcgrad_op.kind == "attr" and isinstance(s.srcgrad_op.args["x"], gast.Name)}
    params = {a.id for a in an.fn.args.args + an.fn.args.kwonlyargs
              + an.fn.args.posonlyargs}
    defined = defined_before(an.fn.body, params)
    live_before(an.fn.body, set(), visit)


def sharing(assigns):
    """For each name, the names whose values may share its memory (itself
    included): connected by copies, subscripts (a basic index makes a view),
    and functions that may return a view of their first argument."""
    links, by_calls = [], set()
    for s in assigns:
        if not isinstance(s, gast.Assign) or not isinstance(s.targets[0], gast.Name):
            continue
        op, t = s.srcgrad_op, s.targets[0].id
        src = None
        if op.kind in ("copy", "subscript") and isinstance(op.args.get("x"), gast.Name):
            src = op.args["x"].id
        elif op.kind == "call" and (op.fun in VIEW_FUNCTIONS or op.fun in IDENTITY_HELPERS):
            src = next((a.id for a in op.args.values() if isinstance(a, gast.Name)), None)
            if src is not None:
                by_calls.add(t)
        elif op.kind == "attr" and isinstance(op.args.get("x"), gast.Name):
            src = op.args["x"].id       # v = rec.w: rec's field itself
        if src is not None:
            links.append((t, src))
    return connected(links), by_calls


def defined_before(body, params):
    """For each statement (by id), the names certainly assigned before it
    runs (on every path: both branches of an ``if``; a loop's body may not
    run, but within it what the iteration assigned before counts): a
    mapping whose ``get(id(s), default)`` gives a frozenset.  Each block
    keeps the names it starts with and a log of those it adds; a statement's
    set is made from them only when asked for (not copied at every
    statement: quadratic in a long function)."""
    out = {}

    def walk(stmts, defined):
        entry, log = frozenset(defined), []
        for s in stmts:
            out[id(s)] = (entry, log, len(log))
            if isinstance(s, gast.Assign):
                new = {n.id for t in s.targets for n in name_nodes(t)
                       if isinstance(n.ctx, gast.Store)}
                defined |= new
                log.extend(new)
            elif isinstance(s, gast.If):
                a = walk(s.body, set(defined))
                b = walk(s.orelse, set(defined))
                defined |= a & b
                log.extend(a & b)
            elif isinstance(s, (gast.For, gast.While)):
                inner = set(defined)
                if isinstance(s, gast.For):
                    inner |= {n.id for n in name_nodes(s.target)}
                walk(s.body, inner)
        return defined

    walk(body, set(params))
    return _Snapshots(out)


class _Snapshots:
    """What :func:`defined_before` returns: id(statement) -> its frozenset,
    made on the first ``get``."""

    def __init__(self, raw):
        self.raw, self.made = raw, {}

    def get(self, key, default=None):
        made = self.made.get(key)
        if made is None:
            raw = self.raw.get(key)
            if raw is None:
                return default
            entry, log, n = raw
            made = self.made[key] = entry | frozenset(log[:n])
        return made


def numpy_writer(fun):
    """A NumPy function that changes an argument in place (``np.copyto``,
    ``np.put``, a ufunc's ``at``: ``np.add.at``)."""
    if isinstance(getattr(fun, "__self__", None), np.ufunc) and \
            getattr(fun, "__name__", None) == "at":
        return True
    try:
        return fun in NUMPY_WRITERS
    except TypeError:
        return False
