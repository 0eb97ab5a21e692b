"""Stage 5 — the reverse-mode transform.

Builds the gradient function from the analysed SSA form:

1. **sweeps**: the forward sweep is the primal code (plus an iteration counter
   for ``while`` loops and loops with ``break``); the reverse sweep mirrors
   it: statements in reverse order, ``if`` on the recorded condition,
   ``for`` loops reversed.  Each active assignment contributes an
   :class:`Adjoint` made from its primitive's rule templates.
2. **materialise** adjoints: a dataflow pass over the reverse sweep decides,
   for every contribution, whether it is the first (``d_x = ...``) or adds to
   earlier ones (``d_x = d_x + ...``); contributions from a zero adjoint are
   dropped; zeros are created only where control flow merges a path with and a
   path without a contribution.
3. **tape**: the reverse sweep now says exactly which primal values it reads.
   In loops, a loop-carried value the reverse sweep reads is pushed before it
   is overwritten and popped back after that statement's adjoint; values
   defined once per iteration are pushed together at the end of their block
   and popped at the start of its reverse.  Nothing else is recorded.
"""

import copy

import gast
import numpy as np

from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.names import assign, const, load, store
from srcgrad import runtime
from srcgrad.compiler.ir.fold import fold
from srcgrad.rules.registry import _Default
from srcgrad.compiler.ir.signature import with_extra_parameters

# ---------------------------------------------------------------------------
# pseudo statements of the reverse sweep (replaced by real code in materialise)


class Adjoint:
    """The adjoint of one assignment ``target = op(...)``.

    ``contribs`` are ``(var, expr)`` pairs: add ``expr`` (which reads the
    adjoint of ``target``) to the adjoint of ``var``; ``indexed`` are
    ``(var, index, expr)``: add ``expr`` to ``adjoint(var)[index]``.
    """

    def __init__(self, stmt, target, contribs, indexed=()):
        self.stmt = stmt
        self.target = target
        self.contribs = contribs
        self.indexed = list(indexed)

    def __deepcopy__(self, memo):
        out = Adjoint(self.stmt, self.target, copy.deepcopy(self.contribs, memo),
                      copy.deepcopy(self.indexed, memo))
        return _keep_facts(out, self)


_keys = iter(range(1, 1 << 62))


class Restore:
    """Reverse of a loop-carried overwrite: pop the old value back."""

    def __init__(self, name):
        self.name = name
        self.key = next(_keys)


class Snapshot:
    """End of a block inside a loop: push (forward) / pop (reverse) the values
    the block defines once per iteration that the reverse sweep reads."""

    def __init__(self, names):
        self.names = names      # candidate names assigned directly in the block
        self.key = next(_keys)


class SaveItem:
    """Forward placeholder before ``x[index] = v``: save what is overwritten."""

    def __init__(self, name, index):
        self.name = name
        self.index = index
        self.key = next(_keys)


class RestoreItem:
    """Reverse of ``x[index] = v``: put the overwritten values back."""

    aliases = frozenset()       # names that may share x's memory (views of it)

    def __init__(self, name, index, key):
        self.name = name
        self.index = index
        self.key = key


class SetItemAdjoint:
    """The adjoint of ``x[index] = v``: ``v`` receives the adjoint of the
    written elements, whose adjoint then restarts from zero."""

    def __init__(self, x, index, v):
        self.x = x
        self.index = index
        self.v = v

    def __deepcopy__(self, memo):
        return _keep_facts(SetItemAdjoint(self.x, copy.deepcopy(self.index, memo),
                                          copy.deepcopy(self.v, memo)), self)


class ListAdjoint:
    """The adjoint of ``ys.append(v)``, ``ys.insert(i, v)`` or ``ys.pop(i)``
    (a change of ``ys`` in place): the adjoint of ``ys`` loses (gains back)
    the element's entry, which goes to ``v``."""

    def __init__(self, kind, x, index, v):
        self.kind = kind
        self.x = x
        self.index = index
        self.v = v

    def __deepcopy__(self, memo):
        return _keep_facts(ListAdjoint(self.kind, self.x, copy.deepcopy(self.index, memo),
                                       copy.deepcopy(self.v, memo)), self)


def _keep_facts(new, old):
    """``new`` (a copy of the pseudo statement ``old``) with the facts set on
    ``old`` after it was made (``passes_lazy``, ``made_lazy``, ``container``):
    a loop body is materialised from copies, which must mean the same."""
    for attr, value in vars(old).items():
        if attr not in vars(new):
            setattr(new, attr, value)
    return new


class SaveValue:
    """Forward placeholder: push ``expr`` (what a change in place of ``name``
    loses) if the reverse sweep undoes that change."""

    def __init__(self, name, expr):
        self.name = name
        self.expr = expr
        self.key = next(_keys)


class Undo:
    """Reverse placeholder: undo a change in place of ``name`` (``stmt``,
    which reads ``tape.pop()`` through ``TAPE_VALUE`` when ``save`` is the
    key of a SaveValue) if the reverse sweep reads ``name`` afterwards."""

    def __init__(self, name, stmt, save=None):
        self.name = name
        self.stmt = stmt
        self.save = save
        self.key = save if save is not None else next(_keys)


TAPE_VALUE = "__srcgrad_tape_value__"


class Push:
    """Forward placeholder before a loop-carried overwrite."""

    def __init__(self, name, key):
        self.name = name
        self.key = key


class Comment:
    def __init__(self, text):
        self.text = text


DEF_OWNED, DEF_SHARED = "owned", "shared"


#: NumPy functions that certainly return a new array
_ARRAY_MAKERS = frozenset([np.array, np.zeros, np.ones, np.empty, np.full, np.zeros_like,
                           np.ones_like, np.empty_like, np.full_like, np.arange, np.linspace,
                           np.eye, np.identity, np.stack, np.concatenate, np.vstack, np.hstack,
                           np.outer, np.tile, np.repeat])


def _is_block_holder(s):
    return isinstance(s, (gast.If, gast.For, gast.While))


class Reverse:
    def __init__(self, parsed, fn, analysis, namer, injector, wrt, user_of, *, with_value=False,
                 as_tuple=False, seed=None):
        self.as_tuple = as_tuple
        self.seed = seed          # name of a cotangent parameter (vjp), or None (grad: 1.0)
        self.parsed = parsed
        self.fn = fn
        self.an = analysis
        self.namer = namer
        self.inj = injector
        self.wrt = wrt
        self.user_of = user_of
        self.with_value = with_value
        self.adj_names = {}
        # adjoints that may hold a value which only broadcasts to their
        # primal's shape (the adjoint of a sum: its scalar); see ``expand``
        self.lazy = set()

    # -- names --------------------------------------------------------------
    def d(self, name):
        if name not in self.adj_names:
            self.adj_names[name] = self.namer.fresh("d_" + name)
        return self.adj_names[name]

    def rt(self, helper):
        return load(self.inj.name_for(getattr(runtime, helper), helper))

    def certainly_array(self, name, assumed=frozenset()):
        """Whether ``name`` certainly holds a NumPy array (so ``name[i]`` has
        ``.copy()``): every definition makes one (a NumPy constructor, a ufunc
        or arithmetic with an array operand, a copy of an array).  A
        parameter never is (it may be a list); loop-carried definitions are
        assumed to (a greatest fixpoint)."""
        if name in assumed:
            return True
        if not hasattr(self, "_defs"):
            self._defs = {}
            for st in walk_stmts(self.fn.body):
                if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name):
                    self._defs.setdefault(st.targets[0].id, []).append(st)
        defs = self._defs.get(name)
        if not defs:
            return False
        assumed = assumed | {name}

        def array(node):
            return isinstance(node, gast.Name) and self.certainly_array(node.id, assumed)

        for st in defs:
            op = getattr(st, "srcgrad_op", None)
            if op is None:
                return False
            if op.kind == "copy" and array(op.args.get("x")):
                continue
            fun = op.fun if op.kind == "call" else None
            try:
                if fun in _ARRAY_MAKERS:
                    continue
            except TypeError:
                pass
            if (isinstance(fun, np.ufunc) or fun is np.copy or
                    getattr(fun, "__module__", None) in ("_operator", "operator")) and \
                    any(array(a) for a in op.args.values()):
                continue
            return False
        return True

    def own(self, expr, name):
        """``expr`` (a part of ``name``) as a value of its own: ``.copy()``
        where ``name`` is certainly an array, else ``own(...)`` (a part of a
        list may be a float, which has no ``.copy()``)."""
        if self.certainly_array(name):
            return gast.Call(func=gast.Attribute(value=expr, attr="copy", ctx=gast.Load()),
                             args=[], keywords=[])
        return gast.Call(func=self.rt("own"), args=[expr], keywords=[])

    # -- 1. sweeps ----------------------------------------------------------
    def sweeps(self, stmts, carried):
        """Forward and reverse sweeps of ``stmts``; ``carried`` is the set of
        names carried by the innermost enclosing loop (None outside loops)."""
        fwd, rev = [], []
        for s in stmts:
            f, r = self.stmt(s, carried)
            fwd.extend(f)
            rev[:0] = r
        return fwd, rev

    def stmt(self, s, carried):
        checks = getattr(s, "srcgrad_alias_checks", None)
        if checks:
            del s.srcgrad_alias_checks
            fwd, rev = self.stmt(s, carried)
            # before the statement: v = v + e rebinds v
            return [_call_expr(self.rt("not_a_view"), [load(x), load(y), const(ux),
                                                      const(uy), const(line)])
                    for x, y, ux, uy, line, _ in checks] + fwd, rev
        check = getattr(s, "srcgrad_view_check", None)
        if check is not None:
            del s.srcgrad_view_check
            fwd, rev = self.stmt(s, carried)
            t, a, tname, aname, line = check
            call = _call_expr(self.rt("not_a_view"), [load(t), load(a), const(tname),
                                                      const(aname), const(line)])
            return fwd + [call], rev
        op = getattr(s, "srcgrad_op", None)
        if op is not None and op.kind in ("append", "insert", "pop"):
            return self.list_change(s, op)
        if op is not None and op.kind == "setitem" and op.args["x"].id in self.an.kind:
            return self.container_setitem(s, op)
        if op is not None and op.kind == "setitem":
            x, index = op.args["x"].id, op.args["index"]
            save = SaveItem(x, copy.deepcopy(index))
            rev = []
            if x in self.an.active:
                rev = [Comment(self.comment(s)),
                       SetItemAdjoint(x, copy.deepcopy(index), copy.deepcopy(op.args["v"]))]
            restore = RestoreItem(x, copy.deepcopy(index), save.key)
            # a view of x read later by the reverse sweep needs the old values back too
            restore.aliases = frozenset(self.an.share.get(x, ()))
            rev.append(restore)
            return [save, s], rev
        if isinstance(s, gast.Assign):
            fwd, rev = [s], []
            t = s.targets[0]
            active = isinstance(t, gast.Name) and t.id in self.an.active
            if carried and isinstance(t, gast.Name) and t.id in carried:
                # a loop-carried overwrite: its adjoint reads the old value
                # (restored first) and maybe the new one (kept in a temporary)
                restore = Restore(t.id)
                fwd.insert(0, Push(t.id, restore.key))
                ans = None
                if active and self.uses_ans(s):
                    ans = self.namer.fresh(t.id + "_new")
                    rev.append(assign(ans, load(t.id)))
                rev.append(restore)
                if active:
                    rev.append(self.adjoint(s, ans))
            elif active:
                rev.append(self.adjoint(s))
            if any(isinstance(r, Adjoint) and (r.contribs or r.indexed) for r in rev):
                rev.insert(0, Comment(self.comment(s)))
            return fwd, rev
        if _is_final_break(s):
            return [s], []
        if isinstance(s, gast.If):
            fb, rb = self.block(s.body, carried)
            fo, ro = self.block(s.orelse, carried)
            fwd = gast.copy_location(gast.If(test=s.test, body=fb, orelse=fo), s)
            if not _has_code(rb) and not _has_code(ro):
                return [fwd], []
            rtest = copy.deepcopy(s.test)
            return [fwd], [gast.copy_location(gast.If(test=rtest, body=rb, orelse=ro), s)]
        if isinstance(s, (gast.For, gast.While)):
            return self.loop(s)
        return [s], []

    def block(self, stmts, carried):
        fwd, rev = self.sweeps(stmts, carried)
        if carried is not None:
            # every per-iteration name assigned in this block's subtree: a
            # name merged from branches (or left by an inner loop) may be read
            # by the reverse of this block before the inner block is reversed
            names = list(dict.fromkeys(n for st in walk_stmts(fwd) if isinstance(st, gast.Assign)
                                       for n in _stores(st) if n not in carried))
            snap = Snapshot(names)
            if fwd and isinstance(fwd[-1], gast.If) and _is_final_break(fwd[-1]):
                fwd.insert(len(fwd) - 1, snap)
            else:
                fwd.append(snap)
            rev.insert(0, snap)
        return fwd, rev

    def loop(self, s):
        has_break = any(_is_final_break(x) for x in s.body[-1:])
        fb, rb = self.block(s.body, getattr(s, "srcgrad_carried", set()))
        pre = []
        if isinstance(s, gast.For) and not has_break:
            fwd = gast.copy_location(gast.For(target=s.target, iter=s.iter, body=fb, orelse=[],
                                              type_comment=None), s)
            riter = gast.Call(func=load("reversed"), args=[copy.deepcopy(s.iter)], keywords=[])
            rtarget = store(s.target.id)
        else:
            count = self.namer.fresh("n_iter")
            pre.append(gast.copy_location(assign(count, const(0)), s))
            incr = gast.copy_location(assign(count, gast.BinOp(left=load(count), op=gast.Add(),
                                                              right=const(1))), s)
            fb.insert(0, incr)
            if isinstance(s, gast.For):
                fwd = gast.copy_location(gast.For(target=s.target, iter=s.iter, body=fb,
                                                  orelse=[], type_comment=None), s)
                sliced = gast.Subscript(value=copy.deepcopy(s.iter),
                                        slice=gast.Slice(lower=None, upper=load(count), step=None),
                                        ctx=gast.Load())
                riter = gast.Call(func=load("reversed"), args=[sliced], keywords=[])
                rtarget = store(s.target.id)
            else:
                fwd = gast.copy_location(gast.While(test=s.test, body=fb, orelse=[]), s)
                riter = gast.Call(func=load("range"), args=[load(count)], keywords=[])
                rtarget = store(self.namer.fresh("_"))
        if not _has_code(rb):
            return pre + [fwd], []
        rev = gast.copy_location(gast.For(target=rtarget, iter=riter, body=rb, orelse=[],
                                          type_comment=None), s)
        return pre + [fwd], [rev]

    def comment(self, s):
        return self.parsed.describe(getattr(s, "lineno", None))

    # -- lists and dicts changed in place -------------------------------------
    def list_change(self, s, op):
        """``ys.append(v)``, ``ys.insert(i, v)``, ``ys.pop(i)``: the forward
        sweep runs it; the reverse sweep moves the adjoint of the element
        (O(1) at the end of the list) and, when something before reads
        ``ys``, undoes the change."""
        x = op.args["x"].id
        index = copy.deepcopy(op.args.get("index"))
        rev = []
        if x in self.an.active:
            rev = [Comment(self.comment(s)),
                   ListAdjoint(op.kind, x, index, copy.deepcopy(op.args.get("v")))]
        fwd = [s]
        if op.kind == "append":
            undo = Undo(x, gast.Expr(value=_method(load(x), "pop", [])))
        elif op.kind == "insert":
            undo = Undo(x, gast.Expr(value=_method(load(x), "pop", [copy.deepcopy(index)])))
        else:
            at = const(-1) if _is_none(index) else copy.deepcopy(index)
            save = SaveValue(x, gast.Subscript(value=load(x), slice=at, ctx=gast.Load()))
            undo = Undo(x, _call_expr(self.rt("unpop"), [load(x), copy.deepcopy(index),
                                                           load(TAPE_VALUE)]), save.key)
            fwd = [save, s]
        rev.append(undo)
        return fwd, rev

    def container_setitem(self, s, op):
        """``d[k] = v`` on a list or dict: saves the element it replaces (a
        reference: elements are never changed in place) if needed."""
        x, index = op.args["x"].id, op.args["index"]
        kind = self.an.kind.get(x)
        if kind == "dict":          # the key may be new: the helpers delete it again
            save = SaveValue(x, gast.Call(func=self.rt("save_item"),
                                          args=[load(x), _index_expr(copy.deepcopy(index))],
                                          keywords=[]))
            undo = Undo(x, _call_expr(self.rt("restore_item"), [
                load(x), _index_expr(copy.deepcopy(index)), load(TAPE_VALUE)]), save.key)
        else:
            # a list's element (a reference), or, for a value that may be a
            # list or an array (only iterated), a copy of an array's part
            part = gast.Subscript(value=load(x), slice=copy.deepcopy(index), ctx=gast.Load())
            if kind not in ("list", "tuple"):
                part = gast.Call(func=self.rt("own"), args=[part], keywords=[])
            save = SaveValue(x, part)
            target = gast.Subscript(value=load(x), slice=copy.deepcopy(index), ctx=gast.Store())
            undo = Undo(x, gast.Assign(targets=[target], value=load(TAPE_VALUE),
                                       type_comment=None), save.key)
        rev = []
        if x in self.an.active:
            adj = SetItemAdjoint(x, copy.deepcopy(index), copy.deepcopy(op.args["v"]))
            adj.container = True
            adj.kind = kind
            rev = [Comment(self.comment(s)), adj]
        rev.append(undo)
        return [save, s], rev

    def emit_list_change(self, a, state):
        dx = self.d(a.x)
        if dx not in state:
            return []
        code = []
        if state[dx] == DEF_SHARED:
            code.append(assign(dx, _method(load(dx), "copy", [])))
            state[dx] = DEF_OWNED
        if a.kind == "pop":
            index = const(None) if a.index is None else a.index
            code.append(_call_expr(self.rt("unpop_adjoint"), [load(dx), index]))
            return code
        args = [] if a.kind == "append" else [a.index]
        taken = _method(load(dx), "pop", args)
        if isinstance(a.v, gast.Name) and a.v.id in self.an.active:
            code.extend(self.accumulate(a.v.id, taken, state))
        else:
            code.append(gast.Expr(value=taken))
        return code

    # -- adjoint of one assignment -------------------------------------------
    def uses_ans(self, s):
        op = s.srcgrad_op
        return op.kind == "call" and any(t.uses_ans for t in op.rule.adjoints.values())

    def adjoint(self, s, ans=None):
        y = s.targets[0].id
        op = s.srcgrad_op
        g = load(self.d(y))
        contribs, indexed = [], []
        passes, made_lazy = op.kind in ("copy", "subscript", "call"), set()
        source = op.args.get("x") if op.kind in ("copy", "subscript", "attr") else None
        if isinstance(source, gast.Name) and source.id not in self.an.active:
            # no derivative flows into an inactive value: an adjoint made for
            # it would outlive its definition (which has no adjoint to consume
            # it) and be read, or zeroed from an unbound primal, where paths merge
            pass
        elif op.kind == "copy":
            contribs.append((op.args["x"].id, g))
        elif op.kind == "subscript" and (self.an.kind.get(op.args["x"].id) in ("dict", "record")
                                         or op.args["x"].id in self.an.mutated):
            indexed.append((op.args["x"].id, ("item", copy.deepcopy(op.args["index"])), g))
        elif op.kind == "subscript":
            indexed.append((op.args["x"].id, copy.deepcopy(op.args["index"]), g))
        elif op.kind == "attr":
            indexed.append((op.args["x"].id, ("attr", const(op.extra)), g))
        elif op.kind == "pack_dict":
            for (i, e), key in zip(op.args.items(), op.extra):
                if isinstance(e, gast.Name) and e.id in self.an.active:
                    part = gast.Subscript(value=load(self.d(y)), slice=copy.deepcopy(key),
                                          ctx=gast.Load())
                    contribs.append((e.id, part))
                    if e.id not in self.an.scalar and e.id not in self.an.kind:
                        # a key the dict's adjoint lacks reads as the zero 0.0,
                        # which only broadcasts to the element's shape
                        made_lazy.add(e.id)
        elif op.kind == "pack":           # (a, b): each element gets its part
            for i, e in op.args.items():
                if isinstance(e, gast.Name) and e.id in self.an.active:
                    part = gast.Subscript(value=load(self.d(y)), slice=const(int(i)),
                                          ctx=gast.Load())
                    contribs.append((e.id, part))
        elif op.kind == "call":
            lazy = self.lazy_reduction(op, y)
            for pname, tmpl in op.rule.adjoints.items():
                arg = op.args.get(pname)
                if not isinstance(arg, gast.Name) or arg.id not in self.an.active:
                    continue
                if lazy is not None and pname == "a":
                    contribs.append((arg.id, lazy))
                    continue
                expr = self.instantiate(tmpl, op, y, ans or y)
                if op.rule.kind == "elementwise" and not self.an.same_shape(arg.id, y):
                    expr = gast.Call(func=self.rt("unbroadcast"), args=[expr, self.shape_of(arg.id)],
                                     keywords=[])
                    passes = False
                contribs.append((arg.id, expr))
            if lazy is not None:
                made_lazy = {op.args["a"].id}
            elif op.rule.kind != "elementwise":
                passes = False
        adj = Adjoint(s, y, contribs, indexed)
        # whether the contributions are right (and broadcast to their
        # variables' shapes) when the adjoint of ``y`` only broadcasts to it
        adj.passes_lazy = passes and not any(isinstance(i, tuple) for _, i, _ in indexed)
        adj.made_lazy = made_lazy
        return adj

    def lazy_reduction(self, op, y):
        """The adjoint of ``a`` in ``np.sum(a)`` / ``np.mean(a)`` as a value that
        only broadcasts to ``a``'s shape: the sum's adjoint ``g`` itself (no
        axis, ``axis=0`` or ``keepdims=True``), ``g / np.size(a)`` for a mean
        over everything; None for other operations."""
        if op.fun not in (np.sum, np.mean) or not isinstance(op.args.get("a"), gast.Name):
            return None
        a = op.args["a"].id
        if a in self.an.kind or a in self.an.scalar:
            return None

        def given(p):
            v = op.args.get(p)
            return None if isinstance(v, _Default) or v is None else \
                (v.value if isinstance(v, gast.Constant) else v)

        if given("dtype") is not None or given("out") is not None:
            return None
        axis, keepdims = given("axis"), given("keepdims")
        if keepdims not in (None, False, True) or isinstance(axis, gast.AST) and not keepdims:
            return None
        g = load(self.d(y))
        if op.fun is np.sum and (axis is None or axis == 0 or keepdims is True):
            return g
        if op.fun is np.mean and axis is None and not keepdims:
            size = gast.Call(func=gast.Attribute(value=load(self.inj.name_for(np, "np")),
                                                 attr="size", ctx=gast.Load()),
                             args=[self.shape_of(a)], keywords=[])
            return gast.BinOp(left=g, op=gast.Div(), right=size)
        return None

    def instantiate(self, tmpl, op, y, ans):
        return fold(tmpl.instantiate(op.rule, op.args, {"g": load(self.d(y)), "ans": load(ans)},
                                     self.inj.name_for, lambda n: self.shape_of(n.id)))

    # -- 2. materialise adjoints ----------------------------------------------
    def materialise(self, stmts, state):
        """Replace pseudo statements in ``stmts`` by code; ``state`` maps each
        adjoint name that holds a value to DEF_OWNED or DEF_SHARED."""
        out = []
        for s in stmts:
            if isinstance(s, (SetItemAdjoint, ListAdjoint, gast.If, gast.For)):
                # lazy adjoints stay within straight-line code
                out.extend(self.expand_all(state))
            if isinstance(s, Restore) and self.d(s.name) in self.lazy and \
                    self.d(s.name) in state:
                # a lazy adjoint takes its shape from the value the restore overwrites
                out.extend(self.expand(self.d(s.name)))
            if isinstance(s, Adjoint):
                out.extend(self.emit_adjoint(s, state))
            elif isinstance(s, SetItemAdjoint):
                out.extend(self.emit_setitem(s, state))
            elif isinstance(s, ListAdjoint):
                out.extend(self.emit_list_change(s, state))
            elif isinstance(s, gast.If):
                sb, so = dict(state), dict(state)
                body = self.materialise(s.body, sb)
                orelse = self.materialise(s.orelse, so)
                for v in sorted(set(sb) | set(so)):
                    if v in sb and v not in so:
                        orelse.append(self.zeros(v))
                        so[v] = DEF_OWNED
                    elif v in so and v not in sb:
                        body.append(self.zeros(v))
                        sb[v] = DEF_OWNED
                state.clear()
                for v in sb:
                    state[v] = DEF_OWNED if sb[v] == so[v] == DEF_OWNED else DEF_SHARED
                s.body, s.orelse = body, orelse
                out.append(s)
            elif isinstance(s, gast.For):
                out.extend(self.materialise_loop(s, state))
            else:
                out.append(s)
        out.extend(self.expand_all(state))
        return out

    def materialise_loop(self, s, state):
        pre = []
        original = s.body
        head = dict(state)
        target = self.adj_names.get(s.target.id) if isinstance(s.target, gast.Name) else None
        # adjoints of lists and dicts changed in place in the loop: owned
        # from before it (one copy, not one per iteration)
        for st in walk_stmts(original):
            x = None
            if isinstance(st, ListAdjoint) or isinstance(st, SetItemAdjoint) and \
                    getattr(st, "container", False):
                x = st.x
            elif isinstance(st, Adjoint):
                x = next((v for v, index, _ in st.indexed if isinstance(index, tuple)), None)
            dx = self.adj_names.get(x) if x is not None else None
            if dx is not None and head.get(dx) == DEF_SHARED:
                pre.append(assign(dx, _method(load(dx), "copy", [])))
                head[dx] = state[dx] = DEF_OWNED
        for _ in range(10):
            trial = dict(head)
            body = self.materialise(copy.deepcopy(original), trial)
            if target is not None and target in trial:
                # the header binds the loop variable afresh each iteration: its
                # adjoint is consumed there (an earlier iteration starts at zero)
                del trial[target]
            grow = [v for v in trial if v not in head]
            shared = [v for v in trial if v in head and head[v] == DEF_OWNED
                      and trial[v] == DEF_SHARED]
            if not grow and not shared:
                break
            for v in grow:
                head[v] = DEF_OWNED
            for v in shared:
                head[v] = DEF_SHARED
        for v in head:
            if v not in state:
                pre.append(self.zeros(v))
        for v in sorted(head):
            if v not in trial:
                body.append(self.zeros(v))
        state.clear()
        state.update(head)
        s.body = body
        return pre + [s]

    def zeros(self, dname):
        primal = self.primal_of(dname)
        if primal in self.an.scalar:
            value = const(0.0)
        else:
            value = gast.Call(func=self.rt("zeros_like"), args=[self.shape_of(primal)], keywords=[])
        return assign(dname, value)

    def shape_of(self, name):
        """A reference to ``name`` read only for its shape: resolved later to
        the first value of the same shape that the reverse sweep reads anyway."""
        if name in self.an.scalar:
            return const(0.0)        # any scalar stands for a scalar's shape
        node = load(name)
        node.srcgrad_shape_chain = self.an.shape_chain(name)
        return node

    def resolve_shapes(self, rev):
        """Point shape-only references at values the reverse sweep needs anyway
        (or parameters), so the forward sweep need not keep the others."""
        params = {a.id for a in self.fn.args.args + self.fn.args.kwonlyargs
                  + self.fn.args.posonlyargs}
        shape_refs, read = [], set()
        for s in walk_stmts(rev):
            for e in _exprs_of(s):
                for n in gast.walk(e):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                        if getattr(n, "srcgrad_shape_chain", None):
                            shape_refs.append(n)
                        else:
                            read.add(n.id)
        for n in shape_refs:
            for cand in n.srcgrad_shape_chain:
                if cand in read or cand in params:
                    n.id = cand
                    break

    def fresh_call(self, expr):
        """A call of a runtime helper that makes a new adjoint container."""
        if not (isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name)):
            return False
        return self.inj.objects.get(expr.func.id) in _FRESH_HELPERS

    def primal_of(self, dname):
        for p, dn in self.adj_names.items():
            if dn == dname:
                return p
        raise KeyError(dname)

    def emit_adjoint(self, a, state):
        dy = self.d(a.target)
        if dy not in state:
            return []                # the adjoint of the target is zero
        out = []
        later = []
        for var, expr in a.contribs:
            (later if var == a.target else out).extend([(var, expr)])
        code = []
        lazy_in = dy in self.lazy
        if lazy_in and not getattr(a, "passes_lazy", False):
            code.extend(self.expand(dy))
            lazy_in = False

        def lazy(var, expr):
            if var in getattr(a, "made_lazy", ()):
                return not self.covers(expr, var)
            return lazy_in and not self.covers(expr, var)

        for var, expr in _group(out):
            code.extend(self.accumulate(var, expr, state, lazy(var, expr)))
        # x = x[i] (a loop-carried name): the part added to the old x's
        # adjoint goes into a fresh adjoint, after the new x's is consumed
        own_index = [c for c in a.indexed if c[0] == a.target]
        for var, index, expr in a.indexed:
            if var != a.target:
                code.extend(self.accumulate_index(var, index, expr, state, a.target))
        before = state.pop(dy)       # consumed: earlier uses see a fresh adjoint
        self.lazy.discard(dy)
        if own_index:
            result = self.namer.fresh(dy + "_result")
            code.append(assign(result, load(dy)))
            for var, index, expr in own_index:
                expr = copy.deepcopy(expr)
                _rename_loads(expr, dy, result)
                code.extend(self.accumulate_index(var, index, expr, state, a.target))
            if later:
                later = [(var, _rename_loads(copy.deepcopy(expr), dy, result))
                         for var, expr in later]
        # a contribution that is (or may return) the adjoint itself aliases it
        aliased = any(not _fresh(expr) for _, expr in out)
        for var, expr in _group(later):
            if isinstance(expr, gast.Name) and expr.id == dy:
                # d_x = d_x: the old value gets the same adjoint, which other
                # adjoints may now share
                state[dy] = DEF_SHARED if aliased else before
                if lazy_in:
                    self.lazy.add(dy)
                continue
            code.extend(self.accumulate(var, expr, state, lazy(var, expr)))
        return code

    def expand(self, dname):
        """Code giving the adjoint ``dname``, which may only broadcast to its
        primal's shape, exactly that shape (its ownership is unchanged:
        ``expand`` returns a new array or the adjoint itself)."""
        if dname not in self.lazy:
            return []
        self.lazy.discard(dname)
        call = gast.Call(func=self.rt("expand"),
                         args=[load(dname), self.shape_of(self.primal_of(dname))], keywords=[])
        return [assign(dname, call)]

    def expand_all(self, state):
        code = []
        for dname in sorted(self.lazy):
            if dname in state:
                code.extend(self.expand(dname))
        self.lazy.clear()
        return code

    def covers(self, expr, var):
        """Whether elementwise ``expr`` certainly has the full shape of
        ``var``: it reads, through elementwise operations only, an array of
        that shape."""
        if isinstance(expr, gast.Name):
            return expr.id not in self.an.scalar and expr.id not in self.adj_names.values() \
                and self.an.same_shape(expr.id, var)
        if isinstance(expr, gast.BinOp) and not isinstance(expr.op, gast.MatMult):
            return self.covers(expr.left, var) or self.covers(expr.right, var)
        if isinstance(expr, gast.UnaryOp):
            return self.covers(expr.operand, var)
        if isinstance(expr, gast.Call) and not expr.keywords and \
                isinstance(self.injected(expr.func), np.ufunc):
            return any(self.covers(e, var) for e in expr.args)
        return False

    def injected(self, node):
        if isinstance(node, gast.Name):
            return self.inj.objects.get(node.id)
        if isinstance(node, gast.Attribute):
            return getattr(self.injected(node.value), node.attr, None)
        return None

    def emit_setitem(self, a, state):
        dx = self.d(a.x)
        if dx not in state:
            return []                # nothing downstream depends on the written values
        code = []
        if getattr(a, "container", False):
            if state[dx] == DEF_SHARED:
                code.append(assign(dx, _method(load(dx), "copy", [])))
                state[dx] = DEF_OWNED
            part = gast.Subscript(value=load(dx), slice=copy.deepcopy(a.index), ctx=gast.Load())
            if getattr(a, "kind", None) not in ("list", "tuple", "dict"):
                # a list or an array: an array's part is copied before it is zeroed
                part = gast.Call(func=self.rt("item_adjoint"),
                                 args=[load(dx), _index_expr(copy.deepcopy(a.index)),
                                       self.shape_of(a.v.id) if isinstance(a.v, gast.Name)
                                       else copy.deepcopy(a.v)], keywords=[])
            later = []
            if isinstance(a.v, gast.Name) and a.v.id in self.an.active:
                later = self.accumulate_value(a, part, state, code)
            target = gast.Subscript(value=load(dx), slice=copy.deepcopy(a.index),
                                    ctx=gast.Store())
            code.append(gast.Assign(targets=[target], value=const(0.0), type_comment=None))
            return code + later
        if isinstance(a.v, gast.Name) and a.v.id in self.an.active:
            if self.basic_index(a.index):
                part = gast.Subscript(value=load(dx), slice=copy.deepcopy(a.index),
                                      ctx=gast.Load())
                expr = self.own(part, a.x)
            else:                    # integer arrays may repeat: the last write wins
                expr = gast.Call(func=self.rt("written_adjoint"),
                                 args=[load(dx), _index_expr(copy.deepcopy(a.index))], keywords=[])
            expr = gast.Call(func=self.rt("unbroadcast"), args=[expr, self.shape_of(a.v.id)],
                             keywords=[])
            later = self.accumulate_value(a, expr, state, code)
        else:
            later = []
        if state[dx] == DEF_SHARED:
            code.append(assign(dx, gast.Call(func=gast.Attribute(value=load(dx), attr="copy",
                                                                 ctx=gast.Load()),
                                             args=[], keywords=[])))
            state[dx] = DEF_OWNED
        target = gast.Subscript(value=load(dx), slice=copy.deepcopy(a.index), ctx=gast.Store())
        code.append(gast.Assign(targets=[target], value=const(0.0), type_comment=None))
        return code + later

    def accumulate_value(self, a, expr, state, code):
        """Add ``expr`` (the written part of ``x``'s adjoint) to the adjoint
        of the value ``v`` of ``x[index] = v``, appended to ``code``; for
        ``x[index] = x`` (the value is ``x`` itself, whose adjoint the write
        then zeroes) the part is kept in a temporary and the statements that
        add it, to run after the zeroing, are returned."""
        if a.v.id != a.x:
            code.extend(self.accumulate(a.v.id, expr, state))
            return []
        part = self.namer.fresh(self.d(a.x) + "_part")
        code.append(assign(part, expr))
        return self.accumulate(a.v.id, load(part), state)

    def accumulate(self, var, expr, state, lazy=False):
        """Add ``expr`` to the adjoint of ``var``; ``lazy``: ``expr`` may only
        broadcast to ``var``'s shape (the sum is then lazy if both are)."""
        dv = self.d(var)
        lazy = lazy and var not in self.an.scalar
        if dv in state:
            if state[dv] == DEF_OWNED and var not in self.an.scalar and dv not in self.lazy:
                return [gast.AugAssign(target=store(dv), op=gast.Add(), value=expr)]
            value = gast.BinOp(left=load(dv), op=gast.Add(), right=expr)
            state[dv] = DEF_OWNED
            if not lazy:
                self.lazy.discard(dv)
        else:
            value = expr
            state[dv] = DEF_OWNED if _fresh(expr) or self.fresh_call(expr) else DEF_SHARED
            if lazy:
                self.lazy.add(dv)
        return [assign(dv, value)]

    def accumulate_index(self, var, index, expr, state, target):
        """``adjoint(var)[index] += expr``, in place on an adjoint array the
        generated code owns: plain indexing for basic indices (integers,
        slices), ``add_at`` (which accumulates repeated indices) otherwise."""
        dv = self.d(var)
        code = self.expand(dv)
        if dv not in state:
            code.append(assign(dv, gast.Call(func=self.rt("zeros_like"), args=[load(var)],
                                             keywords=[])))
        elif state[dv] == DEF_SHARED:
            code.append(assign(dv, gast.Call(func=gast.Attribute(value=load(dv), attr="copy",
                                                                 ctx=gast.Load()),
                                             args=[], keywords=[])))
        state[dv] = DEF_OWNED
        if isinstance(index, tuple):          # ("item", key) of a container, ("attr", name)
            helper = "add_item" if index[0] == "item" else "add_attr"
            key = _index_expr(index[1])
            code.append(assign(dv, gast.Call(func=self.rt(helper),
                                             args=[load(dv), load(var), key, expr], keywords=[])))
            return code
        if self.basic_index(index):
            target = gast.Subscript(value=load(dv), slice=index, ctx=gast.Store())
            code.append(gast.AugAssign(target=target, op=gast.Add(), value=expr))
        else:
            code.append(assign(dv, gast.Call(func=self.rt("add_at"),
                                             args=[load(dv), load(var), _index_expr(index), expr],
                                             keywords=[])))
        return code

    def basic_index(self, index):
        """Whether ``index`` certainly selects without repeats (integers,
        slices, None, Ellipsis): then ``+=`` accumulates correctly."""
        if isinstance(index, gast.Constant):
            return isinstance(index.value, int) or index.value is None or index.value is Ellipsis
        if isinstance(index, gast.Name):
            return index.id in self.an.scalar
        if isinstance(index, gast.Slice):
            return True
        if isinstance(index, gast.Tuple):
            return all(self.basic_index(e) for e in index.elts)
        return False

    # -- 3. tape ------------------------------------------------------------
    def place_tape(self, fwd, rev):
        """Fill the tape placeholders: a value is saved only if the reverse
        sweep reads it after the point where it would be restored."""
        keep = {}
        _live_block(rev, set(), keep)
        tape = self.namer.fresh("tape")
        used = [False]

        def fill_fwd(stmts):
            out = []
            for s in stmts:
                if isinstance(s, Push):
                    if keep.get(s.key):
                        used[0] = True
                        out.append(_call_stmt(tape, "append", [load(s.name)]))
                elif isinstance(s, SaveItem):
                    if keep.get(s.key):
                        used[0] = True
                        part = gast.Subscript(value=load(s.name), slice=s.index, ctx=gast.Load())
                        saved = self.own(part, s.name)
                        out.append(_call_stmt(tape, "append", [saved]))
                elif isinstance(s, SaveValue):
                    if keep.get(s.key):
                        used[0] = True
                        out.append(_call_stmt(tape, "append", [s.expr]))
                elif isinstance(s, Snapshot):
                    names = keep.get(s.key, [])
                    if names:
                        used[0] = True
                        out.append(_call_stmt(tape, "append", [_pack(names)]))
                else:
                    for f in ("body", "orelse"):
                        if isinstance(getattr(s, f, None), list):
                            setattr(s, f, fill_fwd(getattr(s, f)))
                    out.append(s)
            return out

        def fill_rev(stmts):
            out = []
            for s in stmts:
                if isinstance(s, Restore):
                    if keep.get(s.key):
                        out.append(assign(s.name, _pop(tape)))
                elif isinstance(s, RestoreItem):
                    if keep.get(s.key):
                        target = gast.Subscript(value=load(s.name), slice=s.index,
                                                ctx=gast.Store())
                        out.append(gast.Assign(targets=[target], value=_pop(tape),
                                               type_comment=None))
                elif isinstance(s, Undo):
                    if keep.get(s.key):
                        stmt = s.stmt
                        if isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Name) \
                                and stmt.value.id == TAPE_VALUE:
                            stmt.value = _pop(tape)
                        for n in gast.walk(stmt):
                            if isinstance(n, gast.Call) and any(
                                    isinstance(a, gast.Name) and a.id == TAPE_VALUE
                                    for a in n.args):
                                n.args = [_pop(tape) if isinstance(a, gast.Name) and
                                          a.id == TAPE_VALUE else a for a in n.args]
                        out.append(stmt)
                elif isinstance(s, Snapshot):
                    names = keep.get(s.key, [])
                    if names:
                        target = store(names[0]) if len(names) == 1 else gast.Tuple(
                            elts=[store(n) for n in names], ctx=gast.Store())
                        out.append(gast.Assign(targets=[target], value=_pop(tape),
                                               type_comment=None))
                else:
                    for f in ("body", "orelse"):
                        if isinstance(getattr(s, f, None), list):
                            setattr(s, f, fill_rev(getattr(s, f)))
                    out.append(s)
            return out

        fwd = fill_fwd(fwd)
        rev = fill_rev(rev)
        if used[0]:
            fwd.insert(0, assign(tape, gast.List(elts=[], ctx=gast.Load())))
        return fwd, rev

    # -- driver ---------------------------------------------------------------
    def run(self):
        body = self.fn.body
        result = body[-1].value.id
        fwd, rev = self.sweeps(body[:-1], None)
        state = {}
        seed = []
        dres = self.d(result)
        if result in self.an.active:
            if self.seed is not None and result in self.an.kind:
                # a container cotangent: adjoints the code can add and update
                seed.append(assign(dres, gast.Call(func=self.rt("as_adjoint"),
                                                   args=[load(self.seed)], keywords=[])))
            elif self.seed is not None:
                seed.append(assign(dres, load(self.seed)))
            else:
                if result not in self.an.forward_scalar:
                    seed.append(_call_expr(self.rt("check_scalar"), [load(result)]))
                seed.append(assign(dres, const(1.0)))
            state[dres] = DEF_SHARED
        rev = self.materialise(rev, state)
        finals, returns = [], []
        for p in self.wrt:
            dp = self.d(p)
            if p in self.an.kind:
                # a container: the gradient has its structure (runtime.restructure)
                value = load(dp) if dp in state else const(0.0)
                finals.append(assign(dp, gast.Call(func=self.rt("restructure"),
                                                   args=[value, load(p)], keywords=[])))
            elif dp not in state:
                value = const(0.0) if p in self.an.scalar else gast.Call(
                    func=self.rt("zeros_like"), args=[load(p)], keywords=[])
                finals.append(assign(dp, value))
            elif state[dp] == DEF_SHARED and p not in self.an.scalar:
                finals.append(assign(dp, gast.Call(func=self.rt("fit"), args=[load(dp), load(p)],
                                                   keywords=[])))
            returns.append(load(dp))
        rev = rev + finals
        self.resolve_shapes(rev)
        fwd, rev = self.place_tape(fwd, rev)
        grads = gast.Tuple(elts=returns, ctx=gast.Load()) if self.as_tuple else returns[0]
        if self.with_value:
            value = gast.Tuple(elts=[load(result), grads], ctx=gast.Load())
        else:
            value = grads
        ret = gast.Return(value=value)
        new_body = fwd + seed + rev + [ret]
        args = self.fn.args
        if self.seed is not None:         # vjp: the cotangent after the required arguments
            args = with_extra_parameters(args, [self.seed], self.parsed.fun)
        fn = gast.FunctionDef(name=self.fn.name, args=args, body=new_body,
                              decorator_list=[], returns=None, type_comment=None)
        fn.srcgrad_result = result
        return fn


def _index_expr(index):
    """An index as an ordinary expression (``1:`` becomes ``slice(1, None)``)."""
    if isinstance(index, gast.Slice):
        parts = [index.lower, index.upper, index.step]
        while len(parts) > 2 and parts[-1] is None:
            parts.pop()
        return gast.Call(func=load("slice"), args=[p if p is not None else const(None)
                                                    for p in parts], keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_expr(e) for e in index.elts], ctx=gast.Load())
    return index


def _live_block(stmts, live, keep):
    """Backward liveness of primal names over the reverse sweep; records in
    ``keep`` which restores and snapshot names are read later."""
    for s in reversed(stmts):
        live = _live_stmt(s, live, keep)
    return live


def _live_stmt(s, live, keep):
    if isinstance(s, Undo):
        if s.name in live:
            keep[s.key] = True
            return live | (_expr_loads(s.stmt) - {TAPE_VALUE})
        return live
    if isinstance(s, RestoreItem):
        shared = s.aliases | {s.name}
        if s.name in live or live & s.aliases or live & {_MEMORY + n for n in shared}:
            keep[s.key] = True
            return live | {s.name} | _expr_loads(s.index)
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
        out = _live_block(s.body, set(live), keep) | _live_block(s.orelse, set(live), keep)
        if _effective(s.body, keep) or _effective(s.orelse, keep):
            out |= _expr_loads(s.test)
        return out
    if isinstance(s, gast.For):
        head = set(live)
        while True:
            new = set(live) | _live_block(s.body, set(head), keep)
            if new <= head:
                break
            head |= new
        if not _effective(s.body, keep):
            return set(live)
        return (head - {s.target.id} if isinstance(s.target, gast.Name) else head) \
            | _expr_loads(s.iter)
    if isinstance(s, gast.Assign):
        writes = {n.id for t in s.targets for n in gast.walk(t)
                  if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        reads = set()
        for e in _exprs_of(s):
            reads |= _expr_loads(e)
        return (live - writes) | reads
    reads = set()
    for e in _exprs_of(s):
        reads |= _expr_loads(e)
    return live | reads


#: marks, in the reverse sweep's liveness, a name whose binding comes from the
#: tape but whose memory (a view of an array written in place) is read later
_MEMORY = "\0memory:"


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


def _expr_loads(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def _group(pairs):
    """Sum the contributions to the same variable into one expression."""
    order, sums = [], {}
    for var, expr in pairs:
        if var in sums:
            sums[var] = gast.BinOp(left=sums[var], op=gast.Add(), right=expr)
        else:
            order.append(var)
            sums[var] = expr
    return [(v, sums[v]) for v in order]


_FRESH_HELPERS = {runtime.sum_dx, runtime.seq_extreme_dx, runtime.concat_dx, runtime.list_dx,
                  runtime.as_adjoint}


def _fresh(expr):
    """Whether ``expr`` certainly makes a new object (so the adjoint owns it)."""
    return isinstance(expr, (gast.BinOp, gast.UnaryOp, gast.Constant))


def _stores(s):
    return [n.id for t in s.targets for n in gast.walk(t)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)]


def _exprs_of(s):
    if isinstance(s, gast.AugAssign):
        return [s.value, s.target]
    if isinstance(s, gast.Assign):
        return [s.value] + [t for t in s.targets if not isinstance(t, gast.Name)]
    if isinstance(s, (gast.If, gast.While)):
        return [s.test]
    if isinstance(s, gast.For):
        return [s.iter]
    if isinstance(s, (gast.Expr, gast.Return)):
        return [s.value] if s.value is not None else []
    if isinstance(s, gast.AST):
        return [s]
    return []


def _has_code(stmts):
    return any(not isinstance(s, (Comment, Snapshot)) for s in stmts)


def _method(obj, name, args):
    return gast.Call(func=gast.Attribute(value=obj, attr=name, ctx=gast.Load()), args=args,
                     keywords=[])


def _is_none(node):
    return node is None or isinstance(node, gast.Constant) and node.value is None


def _is_final_break(s):
    return isinstance(s, gast.If) and len(s.body) == 1 and isinstance(s.body[0], gast.Break)


def _call_stmt(obj, method, args):
    return gast.Expr(value=gast.Call(func=gast.Attribute(value=load(obj), attr=method,
                                                         ctx=gast.Load()),
                                     args=args, keywords=[]))


def _call_expr(func, args):
    return gast.Expr(value=gast.Call(func=func, args=args, keywords=[]))


def _pop(tape):
    return gast.Call(func=gast.Attribute(value=load(tape), attr="pop", ctx=gast.Load()),
                     args=[], keywords=[])


def _pack(names):
    if len(names) == 1:
        return load(names[0])
    return gast.Tuple(elts=[load(n) for n in names], ctx=gast.Load())


def _rename_loads(node, old, new):
    """``node`` with every read of the variable ``old`` reading ``new``."""
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id == old:
            n.id = new
    return node
