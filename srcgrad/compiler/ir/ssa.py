"""Stage 3 — three-address code in static single assignment form.

Three-address (ANF) form: every assignment performs one operation on names and
constants (``x_1 = a * b``).  Comparisons, ``not`` and the tests of ``if`` and
``while`` stay whole: they produce booleans, through which no derivative
flows.  ``a if c else b`` and ``a and b`` become ``if`` statements.

SSA naming: outside loops every assignment defines a new name, derived from
the user's (``x``, ``x_1``, ``x_2`` ...), so no value the adjoint needs is
ever overwritten and straight-line code needs no tape.  A branch merge gives
the variable one name in both branches (a copy is added only in a branch that
does not assign it).

Loops: a variable that is defined before a loop and assigned in it is *loop
carried*: it keeps one name across the loop (the user's own), written once
per iteration.  Every other name assigned in a loop is defined once per
iteration.  The reverse transform relies on exactly these two cases: loop
carried values are restored before each overwrite, iteration values are
saved at the end of their block.

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.names import Namer, names_in
>>> from srcgrad.compiler.ir.printer import source
>>> fn = normalise_text('''
... def f(x, n):
...     y = x * 2.0 + 1.0
...     for i in range(n):
...         y = y * x
...     if y > 0:
...         y = -y
...     return y
... ''')
>>> user_of = to_ssa(fn, Namer(names_in(fn)))
>>> print(source(fn))
def f(x, n):
    y_1 = x * 2.0
    y = y_1 + 1.0
    for i in range(n):
        y = y * x
    cond = y > 0
    if cond:
        y_3 = -y
    else:
        y_3 = y
    out = y_3
    return out
"""

import gast

from srcgrad.compiler.ir.dataflow import live_before, remove_stmts, walk_stmts
from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes

LOOPS = (gast.For, gast.While)


def _atom(node):
    return isinstance(node, (gast.Name, gast.Constant))


def _root(node):
    """The name an attribute chain starts from."""
    while isinstance(node, gast.Attribute):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _module_chain(node):
    """``np.linalg.norm``: an attribute chain rooted at a name."""
    while isinstance(node, gast.Attribute):
        node = node.value
    return isinstance(node, gast.Name)


class ANF:
    """Flatten expressions so that each statement does one operation."""

    def __init__(self, namer, locals_=()):
        self.namer = namer
        self.temps = set()      # names this pass invents for sub-expressions
        self.locals = set(locals_)   # (s.inner.pos of a local s: one read at a time)

    def block(self, stmts):
        out = []
        for s in stmts:
            self.stmt(s, out)
        return out

    def stmt(self, s, out):
        self.where = s
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            if isinstance(target, gast.Name):
                value = self.expr(s.value, out, target.id, top=True)
                if isinstance(value, _Lowered):
                    value.emit(target.id, out, s)
                else:
                    out.append(assign(target.id, value, s))
            else:                                          # x[i] = v
                value = self.expr(s.value, out, "value")
                container = self.expr(target.value, out, "array")
                index = self.index(target.slice, out)
                t = gast.Subscript(value=container, slice=index, ctx=gast.Store())
                if getattr(target, "srcgrad_inplace_element", False):
                    t.srcgrad_inplace_element = True
                out.append(gast.copy_location(gast.Assign(targets=[t], value=value,
                                                          type_comment=None), s))
        elif isinstance(s, gast.Expr):
            value = self.expr(s.value, out, "value", top=True)
            if isinstance(value, _Lowered):
                value.emit(self.namer.fresh("value"), out, s)
            else:
                out.append(gast.copy_location(gast.Expr(value=value), s))
        elif isinstance(s, gast.If):
            test = s.test
            read = {n.id for n in name_nodes(test)}
            if not (_atom(test) or isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not)
                    and _atom(test.operand)) or read & _stored_in(s.body + s.orelse):
                # (a test on a variable the branch itself overwrites -- a loop
                # in it may keep the name -- is kept: the reverse sweep reads it)
                name = self.namer.fresh("cond")
                out.append(assign(name, test, s))
                test = load(name)
            s.test = test
            s.body = self.block(s.body)
            s.orelse = self.block(s.orelse)
            out.append(s)
        elif isinstance(s, gast.For):
            call = s.iter
            call.args = [self.expr(a, out, "n") for a in call.args]
            s.body = self.block(s.body)
            out.append(s)
        elif isinstance(s, gast.While):
            s.body = self.block(s.body)
            out.append(s)
        else:
            out.append(s)

    def expr(self, e, out, hint, top=False):
        """Return an atom (or, with ``top``, a single operation) computing
        ``e``; statements for its parts are appended to ``out``."""
        if _atom(e):
            return e
        if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)) and \
                isinstance(e.operand, gast.Constant) and isinstance(e.operand.value, (int, float)) \
                and not isinstance(e.operand.value, bool):
            value = e.operand.value
            return gast.Constant(value=-value if isinstance(e.op, gast.USub) else value, kind=None)
        if isinstance(e, gast.BinOp):
            e.left = self.expr(e.left, out, hint)
            e.right = self.expr(e.right, out, hint)
        elif isinstance(e, gast.UnaryOp):
            if not isinstance(e.op, gast.Not):
                e.operand = self.expr(e.operand, out, hint)
        elif isinstance(e, gast.Call):
            e.func = self.callee(e.func, out, hint)
            e.args = [self.expr(a, out, hint) for a in e.args]
            for k in e.keywords:
                k.value = self.expr(k.value, out, hint)
        elif isinstance(e, gast.Attribute):
            if not _module_chain(e) or isinstance(e.value, gast.Attribute) and \
                    _root(e) in self.locals:
                e.value = self.expr(e.value, out, hint)
        elif isinstance(e, gast.Subscript):
            e.value = self.expr(e.value, out, hint)
            e.slice = self.index(e.slice, out)
        elif isinstance(e, (gast.Tuple, gast.List)):
            e.elts = [self.expr(x, out, hint) for x in e.elts]
        elif isinstance(e, gast.Dict) and all(k is not None for k in e.keys):
            e.keys = [self.expr(k, out, "key") for k in e.keys]
            e.values = [self.expr(v, out, hint) for v in e.values]
        elif isinstance(e, gast.IfExp):
            return self.lower(_Lowered.ifexp(self, e, hint), out, hint, top)
        elif isinstance(e, gast.BoolOp):
            return self.lower(_Lowered.boolop(self, e, hint), out, hint, top)
        # Compare, Dict, JoinedStr ...: booleans or inactive values, kept whole
        if top:
            return e
        name = self.namer.fresh(hint)
        self.temps.add(name)
        out.append(assign(name, e, self.where))
        return load(name)

    def lower(self, lowered, out, hint, top):
        if top:
            return lowered
        name = self.namer.fresh(hint)
        lowered.emit(name, out, self.where)
        return load(name)

    def callee(self, f, out, hint):
        if isinstance(f, gast.Name) or _module_chain(f):
            return f
        if isinstance(f, gast.Attribute):
            f.value = self.expr(f.value, out, hint)
            return f
        return self.expr(f, out, hint)

    def index(self, sl, out):
        if isinstance(sl, gast.Slice):
            for field in ("lower", "upper", "step"):
                v = getattr(sl, field)
                if v is not None:
                    setattr(sl, field, self.expr(v, out, "index"))
            return sl
        if isinstance(sl, gast.Tuple):
            sl.elts = [self.index(x, out) for x in sl.elts]
            return sl
        return self.expr(sl, out, "index")


class _Lowered:
    """An expression that becomes statements (``a if c else b``, ``a or b``)."""

    def __init__(self, build):
        self.build = build

    def emit(self, name, out, where):
        self.build(name, out, where)

    @classmethod
    def ifexp(cls, anf, e, hint):
        def build(name, out, where):
            test = e.test
            if not _atom(test):
                t = anf.namer.fresh("cond")
                out.append(assign(t, test, where))
                test = load(t)
            body = anf.block([assign(name, e.body, where)])
            orelse = anf.block([assign(name, e.orelse, where)])
            node = gast.If(test=test, body=body, orelse=orelse)
            out.append(gast.copy_location(node, where))
        return cls(build)

    @classmethod
    def boolop(cls, anf, e, hint):
        def build(name, out, where):
            first, rest = e.values[0], e.values[1:]
            out.extend(anf.block([assign(name, first, where)]))
            if not rest:
                return
            more = gast.BoolOp(op=e.op, values=rest) if len(rest) > 1 else rest[0]
            inner = anf.block([assign(name, more, where)])
            test = load(name) if isinstance(e.op, gast.And) else \
                gast.UnaryOp(op=gast.Not(), operand=load(name))
            out.append(gast.copy_location(gast.If(test=test, body=inner, orelse=[]), where))
        return cls(build)


# ---------------------------------------------------------------------------
# SSA renaming

def assigned_names(stmts):
    """User-level names assigned anywhere in ``stmts``."""
    out = set()
    for s in stmts:
        for n in name_nodes(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                out.add(n.id)
    return out


def rename_loads(node, mapping):
    for n in name_nodes(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id in mapping:
            n.id = mapping[n.id]


def rename_all(stmts, old, new):
    for s in stmts:
        for n in inner_nodes(s):        # (contexts and operators: no name, no carried set)
            if isinstance(n, gast.Name) and n.id == old:
                n.id = new
            carried = getattr(n, "srcgrad_carried", None)
            if carried and old in carried:
                n.srcgrad_carried = (carried - {old}) | {new}


class SSA:
    def __init__(self, namer, params):
        self.namer = namer
        self.params = set(params)
        self.plain_given = set(params)
        self.user_of = {p: p for p in params}     # version name -> user name

    def version(self, user):
        if user not in self.plain_given:
            self.plain_given.add(user)
            name = user
        else:
            name = self.namer.fresh(user, plain=False)
        self.user_of[name] = user
        return name

    def run(self, body):
        env = {p: p for p in self.params}
        return self.block(body, env)

    def block(self, stmts, env):
        out = []
        for s in stmts:
            out.extend(self.stmt(s, env))
        return out

    def stmt(self, s, env):
        if isinstance(s, gast.Assign):
            rename_loads(s.value, env)
            t = s.targets[0]
            if isinstance(t, gast.Name):
                user = self.user_of.get(t.id, t.id)
                t.id = env[user] = self.version(user)
            else:
                rename_loads(t, env)
                if isinstance(t.value, gast.Name):
                    t.value.ctx = gast.Load()
            return [s]
        if isinstance(s, gast.If):
            rename_loads(s.test, env)
            env_b, env_o = dict(env), dict(env)
            s.body = self.block(s.body, env_b)
            s.orelse = self.block(s.orelse, env_o)
            self.join(s, env, env_b, env_o)
            return [s]
        if isinstance(s, LOOPS):
            return self.loop(s, env)
        rename_loads(s, env)
        return [s]

    def join(self, s, env, env_b, env_o):
        for user in sorted(set(env_b) | set(env_o)):
            vb, vo = env_b.get(user), env_o.get(user)
            if vb == vo:
                if vb is not None:
                    env[user] = vb
                continue
            if vb is None or vo is None:       # defined on one path only
                env[user] = vb or vo
                continue
            before = env.get(user)
            if vb != before and vo != before:
                rename_all(s.orelse, vo, vb)
                env[user] = vb
            elif vb != before:                 # only the body assigns
                s.orelse.append(_phi(assign(vb, load(vo)), s))
                env[user] = vb
            else:                              # only the else branch assigns
                s.body.append(_phi(assign(vo, load(vb)), s))
                env[user] = vo

    def loop(self, s, env):
        pre = []
        if isinstance(s, gast.For):
            rename_loads(s.iter, env)
        body_assigned = {self.user_of.get(n, n) for n in assigned_names(s.body)}
        carried = {}
        for user in sorted(body_assigned & set(env)):
            entry = env[user]
            if entry in self.params:      # keep arguments intact: carry a copy
                name = self.version(user)
                pre.append(gast.copy_location(assign(name, load(entry)), s))
            else:
                name = entry
            carried[user] = name
        # a name first assigned in the loop and read by a later iteration
        # before it is assigned again (``if i == 0: t = x`` / ``else: t = t * x``)
        # is loop carried too; it has no value before the loop (None stands
        # for that: the reverse sweep may save and restore it)
        exposed = live_before(s.body, set())
        if isinstance(s, gast.While):
            exposed |= {n.id for n in name_nodes(s.test)}
        else:
            exposed.discard(s.target.id)
        for user in sorted((body_assigned & {self.user_of.get(n, n) for n in exposed})
                           - set(env)):
            name = carried[user] = self.version(user)
            unbound = gast.copy_location(assign(name, const(None)), s)
            unbound.srcgrad_unbound = True     # not a value of the user's (analyse: shapes)
            pre.append(unbound)
        inner = dict(env)
        inner.update(carried)
        if isinstance(s, gast.For):
            t = s.target
            user = self.user_of.get(t.id, t.id)
            t.id = inner[user] = self.version(user)
        else:
            rename_loads(s.test, inner)
        s.body = self.block(s.body, inner)
        for user, name in carried.items():
            if inner[user] != name:        # the version reaching the back edge
                rename_all(s.body, inner[user], name)
        s.body = _drop_self_copies(s.body)
        for user, version in inner.items():
            env[user] = carried.get(user, version)
        s.srcgrad_carried = set(carried.values())
        return pre + [s]


def _phi(node, where):
    gast.copy_location(node, where)
    node.srcgrad_phi = True
    return node


def drop_dead_phis(body):
    """Remove branch-merge copies whose value nobody reads afterwards (the
    copied version may not even be bound on that path)."""
    while True:
        dead = []

        def visit(s, live):
            if getattr(s, "srcgrad_phi", False) and s.targets[0].id not in live:
                dead.append(s)

        live_before(body, set(), visit)
        if not dead:
            return body
        ids = {id(s) for s in dead}
        body = remove_stmts(body, lambda s: id(s) in ids)


def _drop_self_copies(stmts):
    out = []
    for s in stmts:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
                and isinstance(s.value, gast.Name) and s.value.id == s.targets[0].id:
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _drop_self_copies(getattr(s, field)))
        out.append(s)
    return out


def to_ssa(fn, namer):
    """Run ANF then SSA renaming on the normalised ``fn`` (in place).
    Returns the map from generated names to the user's names."""
    params = [a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs]
    stored = {n.id for n in name_nodes(fn) if isinstance(n.ctx, gast.Store)}
    anf = ANF(namer, set(params) | stored)
    fn.body = anf.block(fn.body)
    ssa = SSA(namer, params)
    fn.body = drop_dead_phis(ssa.run(fn.body))
    fn.body = bind_unbound(fn.body, params)
    fn.srcgrad_temps = anf.temps
    return ssa.user_of


def bind_unbound(body, params):
    """The code srcgrad adds reads a loop-carried name at the loop's entry
    (the reverse sweep saves it before its first overwrite) and a merge copy
    reads the version it copies; on a path where the user's code left that
    name unbound (``if c: t = ...`` or a loop that ran no iteration, then a
    loop rebinding ``t``; ``c`` and ``d`` going together in ``if c: v = ...``,
    ``if d: v = v * 2.0``) the read would raise though the user's code never
    reads the name there.  Such a name is bound to None at the function's
    entry (a placeholder, as for loops): it then holds None exactly where it
    was unbound and every value the user's code gave it everywhere else --
    a placeholder in a branch inside a loop would overwrite the value of an
    earlier iteration."""
    unbound = []

    def need(name, bound):
        if name not in bound and name not in unbound:
            unbound.append(name)

    def block(stmts, bound):
        for s in stmts:
            bound = stmt(s, bound)
        return bound

    def stmt(s, bound):
        if isinstance(s, gast.If):
            return bound | (block(s.body, set(bound)) & block(s.orelse, set(bound)))
        if isinstance(s, LOOPS):
            carried = getattr(s, "srcgrad_carried", set())
            for name in sorted(carried):
                need(name, bound)
            inside = bound | carried | _stored_in([s.target] if isinstance(s, gast.For) else [])
            block(s.body, inside)
            block(s.orelse, inside)
            return bound | carried
        if getattr(s, "srcgrad_phi", False):
            need(s.value.id, bound)
        return bound | _stored_in([s])

    block(body, set(params))
    # (a recursive closure refers to itself: a reference cycle, left to the
    # garbage collector with all it holds; broken here so it goes at once)
    del block, stmt
    pre = []
    for name in unbound:
        placeholder = gast.copy_location(assign(name, const(None)), body[0])
        placeholder.srcgrad_unbound = True     # not a value of the user's (analyse: shapes)
        pre.append(placeholder)
    return pre + body


def _stored_in(stmts):
    return {n.id for s in stmts for n in name_nodes(s)
            if isinstance(n.ctx, gast.Store)}
