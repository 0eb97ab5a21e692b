"""Forward mode (``jvp``): the tangent of each active assignment after it.

One pass, no tape: the primal code is kept as it is (control flow
included), and after each active assignment ``y = op(args)`` comes its
tangent statement ``d_y = <tangent>``, the sum of the tangent templates of
the arguments that carry a tangent.  A loop-carried overwrite puts the
tangent first (it reads the old value); lists, dicts, records and the tapes
of generated gradients get tangents of the same structure.  The batched
variant (:mod:`.batched`) changes the hooks at the end of :class:`Forward`.

>>> import numpy as np
>>> from srcgrad.compiler.pipeline import Driver, forward_transform
>>> def f(x):
...     a = x * 2.0
...     return a * x + np.sin(a)
>>> df = forward_transform(f, ("x",), Driver())
>>> print(df.srcgrad_source.rstrip())
def jvp_f(x, d_x):
    if check_argument(x, 'x'):
        return jvp_f_complex(x, d_x)
    a = x * 2.0
    d_a = d_x * 2.0
    # line 3: return a * x + np.sin(a)
    out_1 = a * x
    d_out_1 = d_a * x + d_x * a
    out_2 = np.sin(a)
    d_out_2 = d_a * np.cos(a)
    out = out_1 + out_2
    d_out = d_out_1 + d_out_2
    return (out, like_value(d_out, out))
"""


import gast

from srcgrad import runtime
from srcgrad.compiler.analysis import IDENTITY_HELPERS, VIEW_FUNCTIONS, Op
from srcgrad.compiler.frontend.generated import is_generated
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.fold import fold
from srcgrad.compiler.ir.names import (array_arguments, as_arrays, assign, comment_node, const,
                                       element_check, load, read_as_array)
from srcgrad.compiler.ir.signature import with_extra_parameters
from srcgrad.rules.registry import _Default, tangent_template
from srcgrad.runtime import forward as runtime_forward
from srcgrad.compiler.ir.walk import name_nodes
from srcgrad.compiler.ir.copying import deepcopy as copy_tree


#: the tape operations of generated gradients, which :meth:`Forward.tape_op` handles
_TAPE_OPS = (runtime_forward.tape_push, runtime_forward.tape_pop)


class Forward:
    """The tangent function of the analysed SSA function ``fn`` (``run``
    once): the primal code with a tangent statement after each active
    assignment, and the tangents of ``wrt`` as extra parameters."""

    #: tangent names: ``d_x``; ``t_d_x`` in forward mode over a generated gradient
    prefix = "d_"
    #: return ``(value, tangent)``, or the tangent alone (``hvp``)
    with_value = True

    def __init__(self, parsed, fn, analysis, namer, injector, wrt, user_of):
        self.parsed = parsed
        self.fn = fn
        self.an = analysis
        self.namer = namer
        self.inj = injector
        self.wrt = list(wrt)
        self.user_of = user_of
        self.tan_names = {}
        self.scalar = analysis.forward_scalar

    # -- names --------------------------------------------------------------
    def d(self, name):
        """The tangent of ``name`` (``d_x``)."""
        if name not in self.tan_names:
            self.tan_names[name] = self.namer.fresh(self.prefix + name)
        return self.tan_names[name]

    def rt(self, helper):
        return load(self.inj.name_for(getattr(runtime_forward, helper), helper))

    def active(self, node):
        return isinstance(node, gast.Name) and node.id in self.an.active

    def same_shape(self, a, b):
        """Whether ``a`` and ``b`` certainly have the same shape, by the
        forward facts only."""
        if a == b:
            return True
        if a in self.scalar and b in self.scalar:
            return True
        return self.an._find(a) == self.an._find(b)

    def is_scalar(self, node):
        if isinstance(node, gast.Constant):
            return isinstance(node.value, (int, float, bool)) or node.value is None
        if isinstance(node, _Default):
            return True
        return isinstance(node, gast.Name) and node.id in self.scalar

    def result_shaped(self, arg, op, y, tmpl):
        """Whether the tangent contribution of ``arg`` to the elementwise
        result ``y`` certainly has the shape of ``y``: its template reads
        ``ans``, or every other argument is a scalar, of the shape of ``arg``,
        or read by the (elementwise) template, which broadcasts with it."""
        if tmpl.uses_ans or self.same_shape(arg.id, y):
            return True
        for pname, other in op.args.items():
            if other is arg or pname in tmpl.params or self.is_scalar(other):
                continue
            if not (isinstance(other, gast.Name) and self.same_shape(arg.id, other.id)):
                return False
        return True

    # -- statements -----------------------------------------------------------
    def block(self, stmts):
        out = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s):
        # A view read after a write into its array needs no check here: the
        # tangent of a view is the same view of the tangent, written in step
        # with the primal, so it changes exactly as the primal does.
        if hasattr(s, "srcgrad_view_check"):
            del s.srcgrad_view_check
        # names sharing memory through subscripts only need no check either;
        # views made by functions (reshape ...) may not be mirrored exactly
        element = getattr(s, "srcgrad_element_check", None)
        if element:
            del s.srcgrad_element_check
            helper = load(self.inj.name_for(runtime.element_unshared, "element_unshared"))
            return [element_check(element, helper)] + self.stmt(s)
        checks = [c for c in getattr(s, "srcgrad_alias_checks", ()) if c[5]]
        if hasattr(s, "srcgrad_alias_checks"):
            del s.srcgrad_alias_checks
        if checks:
            helper = load(self.inj.name_for(runtime.not_a_view, "not_a_view"))
            return [   # before the statement: v = v + e rebinds v
                gast.Expr(value=gast.Call(func=helper, args=[load(x), load(y), const(ux),
                                                            const(uy), const(line)], keywords=[]))
                for x, y, ux, uy, line, _ in checks] + self.stmt(s)
        op = getattr(s, "srcgrad_op", None)
        if op is not None and op.kind == "call" and op.fun in _TAPE_OPS:
            return self.tape_op(s, op)
        if op is not None and op.kind in ("append", "insert", "pop"):
            return self.list_change(s, op)     # containers (srcgrad/comprehensions.py)
        if op is not None and op.kind == "setitem":
            # x[index] = v: the tangent of x gets the tangent of v there (a view
            # of another array's tangent is written through, as the primal is)
            x, v = op.args["x"].id, op.args["v"]
            if x not in self.an.active:
                return [s]
            # (an inactive value's zero has its shape: an element of a list or
            # dict is read back whole, and 0.0 in np.dot(A, 0.0) is A's shape)
            value = load(self.d(v.id)) if self.active(v) else const(0.0) \
                if self.is_scalar(v) and not self.batched else self.zero_of(v)
            target = gast.Subscript(value=load(self.d(x)), slice=self.tangent_index(op.args["index"]),
                                    ctx=gast.Store())
            return [self.comment(s), s, gast.Assign(targets=[target], value=value,
                                                    type_comment=None)]
        if isinstance(s, gast.Assign):
            t = s.targets[0]
            if not (isinstance(t, gast.Name) and t.id in self.an.active):
                return [s]
            if getattr(s, "srcgrad_phi", False):
                return self.assignment(s)
            return [self.comment(s)] + self.assignment(s)
        if isinstance(s, gast.If):
            s.body = self.block(s.body)
            s.orelse = self.block(s.orelse)
            return [s]
        if isinstance(s, (gast.For, gast.While)):
            s.body = self.block(s.body)
            if isinstance(s, gast.For) and s.target.id in self.an.active:
                # the header binds a new integer each iteration (normalise
                # leaves only 'for i in range(...)'): its tangent is zero there
                # even when the body later makes the variable active
                s.body.insert(0, assign(self.d(s.target.id), self.zeros(s.target.id, const(0))))
            return [s]
        return [s]

    def tape_op(self, s, op):
        """The tape of a generated gradient (see :mod:`srcgrad.generated`):
        ``tape = tape_push(tape, v)`` prints as ``tape.append(v)`` and
        ``x = tape_pop(tape)`` as ``x = tape.pop()``; an active tape has a
        tangent tape beside it, pushed and popped in step with it (a zero for
        a value without tangent, a pop for a value nobody differentiates)."""
        y = s.targets[0].id
        tape = op.args["tape"].id
        active = tape in self.an.active
        out = []

        def method(obj, name, args):
            return gast.Call(func=gast.Attribute(value=load(obj), attr=name, ctx=gast.Load()),
                             args=args, keywords=[])

        def kept(stmt):                   # never removed as dead code: it moves the tape
            stmt.srcgrad_op = Op("unknown")
            return gast.copy_location(stmt, s)

        if op.fun is runtime_forward.tape_push:
            value = op.args["value"]
            out.append(gast.copy_location(gast.Expr(value=method(tape, "append", [value])), s))
            if y != tape:
                out.append(assign(y, load(tape)))
            if active:
                dv = load(self.d(value.id)) if self.active(value) else self.tape_zero(value)
                out.append(gast.Expr(value=method(self.d(tape), "append", [dv])))
                if y != tape:
                    out.append(assign(self.d(y), load(self.d(tape))))
            return out
        out.append(kept(assign(y, method(tape, "pop", []))))
        if active:
            if y in self.an.active:
                out.append(kept(assign(self.d(y), method(self.d(tape), "pop", []))))
            else:
                out.append(gast.Expr(value=method(self.d(tape), "pop", [])))
        return out

    def list_change(self, s, op):
        """``ys.append(v)``, ``ys.insert(i, v)``, ``ys.pop(i)``: the same change
        to the tangent of ``ys`` (a list of tangents)."""
        x, v = op.args["x"].id, op.args.get("v")
        if x not in self.an.active:
            return [s]
        if op.kind == "pop":
            index = op.args["index"]
            args = [] if isinstance(index, gast.Constant) and index.value is None else [index]
        else:
            dv = load(self.d(v.id)) if self.active(v) else const(0.0) \
                if isinstance(v, gast.Constant) and not self.batched else self.zero_of(v)
            args = [dv] if op.kind == "append" else [copy_tree(op.args["index"]), dv]
        call = gast.Call(func=gast.Attribute(value=load(self.d(x)), attr=op.kind, ctx=gast.Load()),
                         args=args, keywords=[])
        return [self.comment(s), s, gast.Expr(value=call)]

    def comment(self, s):
        lineno = getattr(s, "lineno", None)
        line = self.parsed.line(lineno).strip()
        if line.startswith(("def ", "for ", "while ")):
            return comment_node("")   # made by the normaliser, not the user's line
        return comment_node(self.parsed.describe(lineno))

    def assignment(self, s):
        """The primal assignment ``s`` of an active name and its tangent."""
        y = s.targets[0].id
        dy = self.d(y)
        op = s.srcgrad_op
        operands = self.operand_names(s)
        if y not in operands:
            expr = self.owned(s, self.tangent(s, ans=y))
            return [s, assign(dy, expr if expr is not None else self.zeros(y, s.value))]
        # a loop-carried overwrite: the tangent reads the old value
        if self.uses_ans(op):
            new = self.namer.fresh(y + "_new")
            compute = gast.copy_location(assign(new, s.value), s)
            compute.srcgrad_op = op
            expr = self.owned(s, self.tangent(s, ans=new))
            return [compute, assign(dy, expr if expr is not None else self.zeros(new)),
                    gast.copy_location(assign(y, load(new)), s)]
        expr = self.owned(s, self.tangent(s, ans=y))
        if expr is None:
            return [s, assign(dy, self.zeros(y))]
        return [assign(dy, expr), s]

    def owned(self, s, expr):
        """The tangent ``expr`` of ``s``'s new array, copied if the array is
        written in place (or shares memory with one that is) while ``expr``
        is another value's tangent as it is (``a = x + 0.0``: ``d_a = d_x``):
        a tangent shares memory exactly where its primal does, so that writes
        reach exactly the tangents whose primals they reach."""
        y = s.targets[0].id
        op = s.srcgrad_op
        written = getattr(self.an, "written_arrays", ())
        # the new value, or an operand whose tangent it may reuse, is written
        # in place later (p = x - 0.5: d_p = d_x; x[0] = 4 must not change d_p)
        if expr is None or not (y in written or self.operand_names(s) & set(written)) or \
                y in self.scalar or op.kind != "call":
            return expr
        if op.fun in VIEW_FUNCTIONS or op.fun in IDENTITY_HELPERS:
            return expr                   # may be a view: its tangent is the same view
        if isinstance(expr, (gast.Name, gast.Subscript, gast.Attribute)) or \
                isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name) and \
                expr.func.id.endswith("broadcast_like"):
            # (broadcast_like(d_x, a) is d_x itself when the shapes agree;
            # a list or dict of tangents is copied as a list or dict; the
            # tangent of a complex array takes its dtype, so that a complex
            # value can be written into it)
            args = [expr, load(y)] if y in getattr(self.an, "complex", ()) else [expr]
            return gast.Call(func=self.rt("copy_tangent"), args=args, keywords=[])
        return expr

    def operand_names(self, s):
        return {n.id for n in name_nodes(s.value)}

    def uses_ans(self, op):
        if op.kind != "call":
            return False
        for pname in op.rule.adjoints:
            if self.active(op.args.get(pname)):
                tmpl = tangent_template(op.rule, pname)
                if tmpl is not None and tmpl.uses_ans:
                    return True
        return False

    def zeros(self, y, value=None):
        if isinstance(value, gast.List) and not value.elts:
            return gast.List(elts=[], ctx=gast.Load())   # a tape: its tangent tape
        if isinstance(value, gast.Constant):
            if value.value is None:
                return const(None)  # out = None: no number, no tangent
            if isinstance(value.value, (int, float)):
                return const(0.0)   # the value itself is a Python number here
        if y in self.scalar:
            return const(0.0)
        return gast.Call(func=self.rt("zeros_like"), args=[load(y)], keywords=[])

    def tangent(self, s, ans):
        """The tangent expression of the value ``s`` computes, or None when
        it is certainly zero."""
        op = s.srcgrad_op
        y = s.targets[0].id
        if op.kind == "copy":
            x = op.args["x"]
            return load(self.d(x.id)) if self.active(x) else None
        if op.kind == "subscript":
            x = op.args["x"]
            if not self.active(x):
                return None
            return gast.Subscript(value=load(self.d(x.id)), slice=self.tangent_index(op.args["index"]),
                                  ctx=gast.Load())
        if op.kind == "attr":             # p.w: that field of p's tangent
            x = op.args["x"]
            if not self.active(x):
                return None
            return self.attr_tangent(x, op, ans)
        if op.kind == "pack" and isinstance(s.value, gast.Call):   # Pair(a, b): a Pair
            if not any(self.active(e) for e in op.args.values()):
                return None
            elts = [load(self.d(e.id)) if self.active(e) else self.zero_of(e)
                    for e in op.args.values()]
            return gast.Call(func=copy_tree(s.value.func), args=elts, keywords=[])
        if op.kind in ("pack", "pack_dict") and (op.kind == "pack_dict" or isinstance(
                s.value, gast.List) and y in getattr(self.an, "mutated", ())):
            # [a, b] changed in place later, {k: a}: a list (dict) of tangents
            if not any(self.active(e) for e in op.args.values()):
                return None
            elts = [load(self.d(e.id)) if self.active(e) else self.zero_of(e)
                    for e in op.args.values()]
            if op.kind == "pack_dict":
                kind = load(self.inj.name_for(runtime.AdjointDict, "AdjointDict"))
                value = gast.Dict(keys=[copy_tree(k) for k in op.extra], values=elts)
            else:
                kind = load(self.inj.name_for(runtime.Adjoints, "Adjoints"))
                value = gast.List(elts=elts, ctx=gast.Load())
            return gast.Call(func=kind, args=[value], keywords=[])
        if op.kind == "pack":             # (a, b): the tuple of their tangents
            if not any(self.active(e) for e in op.args.values()):
                return None
            elts = [load(self.d(e.id)) if self.active(e) else self.zero_of(e)
                    for e in op.args.values()]
            several = load(self.inj.name_for(runtime_forward.Several, "Several"))
            return gast.Call(func=several, args=[gast.Tuple(elts=elts, ctx=gast.Load())],
                             keywords=[])
        if op.kind != "call":
            return None
        self.check_recursion(s, op)
        contribs, shaped = [], False
        for pname in op.rule.adjoints:
            arg = op.args.get(pname)
            if not self.active(arg):
                continue
            tmpl = tangent_template(op.rule, pname)
            if tmpl is None:
                raise self.parsed.error(
                    s, f"no forward-mode (tangent) rule for {op.display} ({op.rule.name}) with "
                       f"respect to its argument {pname!r}", construct=op.display,
                    hint=f"declare one: srcgrad.defjvp({op.display}, "
                         f"{pname}=\"<tangent of the result, in t = the tangent of {pname}>\")")
            contribs.append(self.contribution(tmpl, op, pname, arg, ans))
            shaped = shaped or self.result_shaped(arg, op, y, tmpl)
        if not contribs:
            return None
        expr = contribs[0]
        for c in contribs[1:]:
            if isinstance(c, gast.UnaryOp) and isinstance(c.op, gast.USub):
                expr = gast.BinOp(left=expr, op=gast.Sub(), right=c.operand)
            else:
                expr = gast.BinOp(left=expr, op=gast.Add(), right=c)
        if op.rule.kind == "elementwise" and not shaped:
            expr = self.broadcast_like(expr, ans)
        return expr

    def check_recursion(self, s, op):
        """A recursive call's tangent calls the callee's ``jvp``, which runs
        it again beside the call giving the value: refused when the callee
        may not give the same result twice (it draws random numbers ...)."""
        fun = getattr(op.rule, "recursive", None)
        if fun is None or is_generated(fun):      # (a generated vjp: its function is asked)
            return
        problem = op.rule.recursive_driver.recursion_problem(fun)
        if problem:
            raise self.parsed.error(
                s, f"the derivative of the recursive call {op.display} runs {op.display} "
                   f"again, and {problem}", construct="recursive call",
                hint="draw the random numbers (or do what changes) outside the recursive "
                     "function and pass them in, or use srcgrad.grad, which runs each call once")

    def instantiate(self, tmpl, op, t, ans):
        return fold(tmpl.instantiate(op.rule, as_arrays(op, self.an.kind, self.inj.name_for),
                                     {"t": t, "ans": ans}, self.inj.name_for))

    # -- the hooks batched mode (BatchedForward) changes ------------------------
    batched = False

    def contribution(self, tmpl, op, pname, arg, ans):
        """The tangent contribution of the active argument ``arg`` (parameter
        ``pname``, tangent template ``tmpl``) to the result ``ans``."""
        t = load(self.d(arg.id))
        if pname in array_arguments(op, self.an.kind):      # the tangent of a list, as an array
            t = read_as_array(t, self.inj.name_for)
        return self.instantiate(tmpl, op, t, load(ans))

    def broadcast_like(self, expr, ans):
        return gast.Call(func=self.rt("broadcast_like"), args=[expr, load(ans)], keywords=[])

    def tangent_index(self, index):
        """The index of a tangent, from the primal's ``index``."""
        return copy_tree(index)

    def zero_of(self, node):
        """The zero tangent of the value ``node``."""
        return gast.Call(func=self.rt("zeros_like"), args=[copy_tree(node)], keywords=[])

    def tape_zero(self, value):
        """The tangent pushed with an inactive ``value`` (zeros of its shape:
        what is popped may reach a product that contracts it)."""
        return const(0.0) if self.is_scalar(value) else self.zero_of(value)

    def attr_tangent(self, x, op, ans):
        """``attr_tangent(d_p, 'w')``; with ``p`` too when ``p.w`` may not be a
        number: an attribute without a tangent gets zeros of its shape."""
        helper = load(self.inj.name_for(runtime.attr_tangent, "attr_tangent"))
        args = [load(self.d(x.id)), const(op.extra)]
        if ans not in self.scalar:
            args.append(load(x.id))
        return gast.Call(func=helper, args=args, keywords=[])

    # -- driver ---------------------------------------------------------------
    def activate_tapes(self):
        """A tape of a generated gradient is one list under several SSA names
        (``tape_3 = tape_push(tape, v)``): if any of them carries tangents,
        all do, so that the tangent tape is made with the tape and pushed and
        popped in step with it."""
        links = []
        for s in walk_stmts(self.fn.body):
            op = getattr(s, "srcgrad_op", None)
            if op is not None and op.kind == "call" and op.fun is runtime_forward.tape_push and \
                    isinstance(s, gast.Assign) and isinstance(op.args.get("tape"), gast.Name):
                links.append((op.args["tape"].id, s.targets[0].id))
        group = {}
        for a, b in links:
            ga, gb = group.get(a, {a}), group.get(b, {b})
            merged = ga | gb
            for n in merged:
                group[n] = merged
        for a, _ in links:
            if group[a] & self.an.active:
                self.an.active |= group[a]

    def run(self):
        body = self.fn.body
        result = body[-1].value.id
        self.activate_tapes()
        out = self.block(body[:-1])
        if out and getattr(out[0], "srcgrad_comment", None) is not None:
            out.pop(0)              # a leading string would print as a docstring
        # a parameter not differentiated that becomes active (an element of it is
        # written with a varied value) starts with a zero tangent
        params = [a.id for a in self.fn.args.posonlyargs + self.fn.args.args
                  + self.fn.args.kwonlyargs]
        out = [assign(self.d(p), self.zeros(p)) for p in params
               if p in self.an.active and p not in self.wrt] + out
        if result in self.an.active:
            tangent_out = load(self.d(result))
        else:
            tangent_out = self.zeros(result)
        if self.with_value:
            ret = gast.Return(value=gast.Tuple(elts=[load(result), tangent_out], ctx=gast.Load()))
        else:
            ret = gast.Return(value=tangent_out)
        args = with_extra_parameters(self.fn.args, [self.d(p) for p in self.wrt], self.parsed.fun)
        for arg in args.args + args.posonlyargs + args.kwonlyargs:
            arg.annotation = None
        fn = gast.FunctionDef(name=self.fn.name, args=args, body=out + [ret], decorator_list=[],
                              returns=None, type_comment=None)
        fn.srcgrad_result = result
        return fn
