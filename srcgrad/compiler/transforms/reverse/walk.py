"""The walk: the forward and reverse sweeps of statements, blocks and loops.

The forward sweep is the primal code, plus an iteration counter for
``while`` loops and loops with ``break``; the reverse sweep mirrors it:
statements in reverse order, ``if`` on the recorded condition, ``for`` loops
reversed, a ``while`` loop run for as many iterations as it ran.  Each active
assignment contributes an ``Adjoint`` (:mod:`.adjoints` makes it); changes of
lists and dicts in place go to :mod:`.containers`; a loop-carried overwrite
gets a ``Push``/``Restore`` pair and each block in a loop a ``Snapshot``
(:mod:`.tape` decides which are kept).

A ``while`` loop (the optimised result of the whole reverse pipeline; its
first version, the one for Python floats):

>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def f(x):
...     while x < 10.0:
...         x = x * 2.0
...     return x
>>> df = reverse_transform(f, ("x",), Driver(), with_value=False)
>>> print(df.srcgrad_source.split("\\n\\n\\n")[0].rstrip())
def d_f(x):
    if type(x) is not float and type(x) is not float64:
        return d_f_generic(x)
    x_1 = x
    n_iter = 0
    while x_1 < 10.0:
        n_iter = n_iter + 1
        x_1 = x_1 * 2.0
    d_out = 1.0
    # line 4: return x
    d_x_1 = d_out
    for _ in range(n_iter):
        # line 3: x = x * 2.0
        d_x_1 = d_x_1 * 2.0
    # line 2: while x < 10.0:
    d_x = d_x_1
    return d_x
"""


import inspect
import itertools

import gast

from srcgrad.compiler.analysis.aliasing import defined_before
from srcgrad.compiler.analysis.callees import JointFallback
from srcgrad.compiler.ir.dataflow import assigned_on_every_path, walk_stmts
from srcgrad.compiler.ir.names import assign, const, element_check, load, store
from srcgrad.compiler.transforms.reverse.nodes import call_expr, has_code, is_final_break, stores
from srcgrad.compiler.transforms.reverse.placeholders import (Adjoint, Comment, Push, Restore,
                                                              RestoreItem, SaveItem,
                                                              SetItemAdjoint, Snapshot)
from srcgrad.compiler.ir.copying import deepcopy as copy_tree

_PAIRS = itertools.count()   # (a token shared by a loop's forward and reverse)


class Sweeps:
    """The walk over the SSA function (a part of :class:`Reverse`)."""

    def sweeps(self, stmts, carried):
        """Forward and reverse sweeps of ``stmts``; ``carried`` is the set of
        names carried by the innermost enclosing loop (None outside loops)."""
        fwd, parts = [], []
        for s in stmts:
            f, r = self.stmt(s, carried)
            fwd.extend(f)
            parts.append(r)
        # each statement's reverse goes before those of the statements before it
        rev = [x for r in reversed(parts) for x in r]
        return fwd, rev

    def stmt(self, s, carried):
        element = getattr(s, "srcgrad_element_check", None)
        if element:
            del s.srcgrad_element_check
            fwd, rev = self.stmt(s, carried)
            return [element_check(element, self.rt("element_unshared"))] + fwd, rev
        checks = getattr(s, "srcgrad_alias_checks", None)
        if checks:
            del s.srcgrad_alias_checks
            fwd, rev = self.stmt(s, carried)
            # before the statement: v = v + e rebinds v
            return [call_expr(self.rt("not_a_view"), [load(x), load(y), const(ux),
                                                      const(uy), const(line)])
                    for x, y, ux, uy, line, _ in checks] + fwd, rev
        check = getattr(s, "srcgrad_view_check", None)
        if check is not None:
            del s.srcgrad_view_check
            fwd, rev = self.stmt(s, carried)
            t, a, tname, aname, line = check
            call = call_expr(self.rt("not_a_view"), [load(t), load(a), const(tname),
                                                      const(aname), const(line)])
            return fwd + [call], rev
        op = getattr(s, "srcgrad_op", None)
        if op is not None and op.kind in ("append", "insert", "pop"):
            return self.list_change(s, op)
        if op is not None and op.kind == "setitem" and op.args["x"].id in self.an.kind:
            return self.container_setitem(s, op)
        if op is not None and op.kind == "setitem":
            x, index = op.args["x"].id, op.args["index"]
            save = SaveItem(x, copy_tree(index))
            rev = []
            if x in self.an.active:
                rev = [Comment(self.comment(s)),
                       SetItemAdjoint(x, copy_tree(index), copy_tree(op.args["v"]))]
            restore = RestoreItem(x, copy_tree(index), save.key)
            # a view of x read later by the reverse sweep needs the old values back too
            restore.aliases = frozenset(self.an.share.get(x, ()))
            rev.append(restore)
            return [save, s], rev
        if op is not None and op.kind == "call" and getattr(op.rule, "joint", False):
            return self.joint_call(s, carried)
        if isinstance(s, gast.Assign) and self.split_site(s, carried):
            return self.split_call(s)
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
        if is_final_break(s):
            return [s], []
        if isinstance(s, gast.If):
            fb, rb = self.block(s.body, carried)
            fo, ro = self.block(s.orelse, carried)
            fwd = gast.copy_location(gast.If(test=s.test, body=fb, orelse=fo), s)
            if not has_code(rb) and not has_code(ro):
                return [fwd], []
            rtest = copy_tree(s.test)
            rif = gast.copy_location(gast.If(test=rtest, body=rb, orelse=ro), s)
            # the names certainly defined when it runs (a branch may define a name the
            # other does not: materialise zeroes only adjoints whose primal is defined)
            rif.srcgrad_defined = self.defined_before().get(id(s), frozenset()) | \
                assigned_on_every_path([s])
            return [fwd], [rif]
        if isinstance(s, (gast.For, gast.While)):
            return self.loop(s)
        return [s], []

    def split_site(self, s, carried):
        """Whether ``s`` is an active recursive call that goes through the
        callee's split form (:attr:`splits_recursion`)."""
        op = getattr(s, "srcgrad_op", None)
        t = s.targets[0]
        return op is not None and op.kind == "call" and \
            getattr(op.rule, "recursive", None) is not None and self.splits_recursion and \
            isinstance(t, gast.Name) and t.id in self.an.active and \
            not (carried and t.id in carried) and \
            all(isinstance(op.args.get(p), (gast.Name, gast.Constant))
                for p in op.rule.signature.parameters)

    def joint_call(self, s, carried):
        """``y = helper(a, b)`` of a helper with an adjoint function of its
        own (``frontend/inline/joint.py``) stays as it is, a call of the
        helper's primal form; its adjoint is ``d_y_args = vjp_helper(a, b,
        d_y)`` (``Driver.joint_form``, made now), which computes the primal
        again from the arguments the reverse sweep reads (the tape keeps
        them, as for any primitive), and the adjoint of ``a`` is
        ``d_y_args[0]``.  A site that cannot take it (an inactive or
        loop-carried result, a container) has the helper inlined."""
        op = s.srcgrad_op
        fun, params = op.rule.recursive, list(op.rule.signature.parameters)
        t = s.targets[0] if isinstance(s, gast.Assign) else None
        args = [op.args.get(p) for p in params]
        kind = self.an.kind
        why = None
        if not self.splits_recursion:
            why = "complex values"
        elif not (isinstance(t, gast.Name) and t.id in self.an.active):
            why = "a call whose result is not differentiated"
        elif carried and t.id in carried:
            why = "a loop-carried result"
        elif not all(isinstance(a, (gast.Name, gast.Constant)) for a in args):
            why = "an argument that is not a name"
        elif any(isinstance(a, gast.Name) and a.id in kind for a in args) or \
                kind.get(t.id, "tuple") != "tuple":
            why = "a container or object argument or result"
        else:       # what its vjp reads again must be as the call saw it
            reads = self.an.driver.joint_globals(fun)
            # (arrays written in place, and any list, dict or object it reads as one)
            changed = [n for n in sorted(self.an.written_arrays | self.an.mutated |
                                         set(self.an.kind))
                       if id(self.an.resolve_name(n)) in reads]
            if changed:
                why = f"it reads {changed[0]}, which this function changes"
        if why is not None:
            # (a site of its own unless the whole function is complex)
            sites = getattr(self.an.parsed, "srcgrad_sites", {})
            site = sites.get(t.id, sites.get(self.user_of.get(t.id))) \
                if isinstance(t, gast.Name) and self.splits_recursion else None
            raise JointFallback(fun, why, site)
        active = [i for i, a in enumerate(args)
                  if isinstance(a, gast.Name) and a.id in self.an.active]
        vjp = self.an.driver.joint_form(fun, tuple(params[i] for i in active))
        primal = self.an.driver.joint_form(fun, None)
        # the call stays as it is, of the helper's primal form (the same name)
        self.inj.objects[s.value.func.id] = primal
        self.inj.by_id[id(primal)] = s.value.func.id
        # the vjp takes the parameters with a default by keyword (ir/signature.py)
        given = inspect.signature(fun).parameters
        optional = {p for p in params if given[p].default is not given[p].empty}
        s.srcgrad_vjp = (self.inj.name_for(vjp, vjp.__name__),
                         [a for p, a in zip(params, args) if p not in optional],
                         [(p, a) for p, a in zip(params, args) if p in optional])
        s.srcgrad_split = (None, [(args[i].id, k) for k, i in enumerate(active)])
        s.srcgrad_direct = self.namer.fresh("d_" + t.id + "_args")
        return [s], [Comment(self.comment(s)), self.adjoint(s)]

    def split_call(self, s):
        """``y = f(a, b)`` (recursive) as ``y_split = split_call(f, (0,), (a, b))``,
        ``y = y_split[0]``, ``y_back = y_split[1]``; the adjoint of ``a`` is
        ``pulled(y_back, d_y)[0]`` (the callee's reverse sweep, run once)."""
        op = s.srcgrad_op
        y = s.targets[0].id
        args = [op.args[p] for p in op.rule.signature.parameters]
        active = [i for i, a in enumerate(args)
                  if isinstance(a, gast.Name) and a.id in self.an.active]
        fun = op.rule.recursive
        call = gast.Call(func=load(self.inj.name_for(self.an.driver.recursive_split,
                                                     "split_call")),
                         args=[load(self.inj.name_for(fun, fun.__name__)),
                               gast.Tuple(elts=[const(i) for i in active], ctx=gast.Load()),
                               gast.Tuple(elts=[copy_tree(a) for a in args], ctx=gast.Load())],
                         keywords=[])
        pair, back = self.namer.fresh(y + "_split"), self.namer.fresh(y + "_back")
        fwd = [gast.copy_location(assign(pair, call), s),
               assign(y, gast.Subscript(value=load(pair), slice=const(0), ctx=gast.Load())),
               assign(back, gast.Subscript(value=load(pair), slice=const(1), ctx=gast.Load()))]
        s.srcgrad_split = (back, [(args[i].id, k) for k, i in enumerate(active)])
        return fwd, [Comment(self.comment(s)), self.adjoint(s)]

    def defined_before(self):
        """For each statement of the function (by id), the names certainly
        assigned before it runs (``analysis.aliasing.defined_before``)."""
        if getattr(self, "_defined", None) is None:
            a = self.fn.args
            params = {x.id for x in a.posonlyargs + a.args + a.kwonlyargs}
            self._defined = defined_before(self.fn.body, params)
        return self._defined

    def block(self, stmts, carried):
        fwd, rev = self.sweeps(stmts, carried)
        if carried is not None:
            # every per-iteration name assigned in this block's subtree: a
            # name merged from branches (or left by an inner loop) may be read
            # by the reverse of this block before the inner block is reversed
            names = list(dict.fromkeys(n for st in walk_stmts(fwd) if isinstance(st, gast.Assign)
                                       for n in stores(st) if n not in carried))
            snap = Snapshot(names)
            if fwd and isinstance(fwd[-1], gast.If) and is_final_break(fwd[-1]):
                fwd.insert(len(fwd) - 1, snap)
            else:
                fwd.append(snap)
            rev.insert(0, snap)
        return fwd, rev

    def loop(self, s):
        has_break = any(is_final_break(x) for x in s.body[-1:])
        fb, rb = self.block(s.body, getattr(s, "srcgrad_carried", set()))
        pre = []
        if isinstance(s, gast.For) and not has_break:
            fwd = gast.copy_location(gast.For(target=s.target, iter=s.iter, body=fb, orelse=[],
                                              type_comment=None), s)
            riter = gast.Call(func=load("reversed"), args=[copy_tree(s.iter)], keywords=[])
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
                sliced = gast.Subscript(value=copy_tree(s.iter),
                                        slice=gast.Slice(lower=None, upper=load(count), step=None),
                                        ctx=gast.Load())
                riter = gast.Call(func=load("reversed"), args=[sliced], keywords=[])
                rtarget = store(s.target.id)
            else:
                fwd = gast.copy_location(gast.While(test=s.test, body=fb, orelse=[]), s)
                riter = gast.Call(func=load("range"), args=[load(count)], keywords=[])
                rtarget = store(self.namer.fresh("_"))
        if not has_code(rb):
            return pre + [fwd], []
        rev = gast.copy_location(gast.For(target=rtarget, iter=riter, body=rb, orelse=[],
                                          type_comment=None), s)
        # the names certainly defined when it runs (a name only some iterations
        # define may be unbound: materialise zeroes its adjoint from another)
        rev.srcgrad_defined = self.defined_before().get(id(s), frozenset()) | \
            assigned_on_every_path([s])
        # which forward loop this reverses (``optimise/eager_reverse.py``)
        fwd.srcgrad_pair = rev.srcgrad_pair = next(_PAIRS)
        return pre + [fwd], [rev]

    def comment(self, s):
        return self.parsed.describe(getattr(s, "lineno", None))
