"""The adjoint of one assignment, and how contributions accumulate.

``adjoint`` makes the ``Adjoint`` placeholder of ``y = op(...)`` from the
rule templates of its primitive; ``emit_adjoint`` writes it as code once
``materialise`` knows which adjoints hold a value: the first contribution
assigns (``d_x = ...``), later ones add (``d_x = d_x + ...``, or ``d_x +=
...`` on an array the generated code owns), a zero adjoint contributes
nothing.  An adjoint may be *lazy*: a value that only broadcasts to its
primal's shape (the adjoint of ``a`` in ``np.sum(a)``), expanded where it
must have that shape.

>>> import numpy as np
>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def f(x):
...     a = x * 2.0
...     return a * x + np.sin(a)
>>> df = reverse_transform(f, ("x",), Driver(), with_value=False)
>>> print(df.srcgrad_source.split("\\n\\n\\n")[0].rstrip())
def d_f(x):
    if type(x) is not float and type(x) is not float64:
        return d_f_generic(x)
    a = x * 2.0
    d_out = 1.0
    # line 3: return a * x + np.sin(a)
    d_a = d_out * np.cos(a)
    d_a = d_a + x
    d_x = a
    # line 2: a = x * 2.0
    d_x = d_x + d_a * 2.0
    return d_x
"""


import collections

import gast
import numpy as np

from srcgrad import runtime
from srcgrad.compiler.analysis.shapes import VECTOR_OF, fits_result
from srcgrad.compiler.ir.fold import fold
from srcgrad.compiler.ir.walk import name_nodes
from srcgrad.compiler.ir.names import array_arguments, as_arrays, assign, const, load, store
from srcgrad.compiler.transforms.reverse.nodes import index_expr, rename_loads
from srcgrad.compiler.transforms.reverse.placeholders import DEF_OWNED, DEF_SHARED, Adjoint
from srcgrad.rules.registry import _Default
from srcgrad.compiler.ir.copying import deepcopy as copy_tree


class Adjoints:
    """Adjoints of assignments and their accumulation (a part of :class:`Reverse`)."""

    def uses_ans(self, s):
        op = s.srcgrad_op
        return op.kind == "call" and any(t.uses_ans for t in self.templates(s).values())

    def templates(self, s):
        """The adjoint templates of call ``s``: its rule's, or those reusing a
        result the function computed before (:mod:`srcgrad.compiler.analysis.reuse`)."""
        op = s.srcgrad_op
        reused = self.an.reused.get(s.targets[0].id) if isinstance(s.targets[0], gast.Name) \
            else None
        out = op.rule.adjoints
        if op.rule.ranked:
            out = {**out, **self.ranked(op)}
        return out if reused is None else {**out, **reused[1]}

    def ranked(self, op):
        """The templates of ``op``'s rule for the ranks its arguments certainly
        have (:func:`srcgrad.rules.registry.defranks`), or ``{}``."""
        names = list(op.rule.signature.parameters)
        for ranks, templates in op.rule.ranked.items():
            args = [op.args.get(p) for p in names[:len(ranks)]]
            if all(isinstance(a, gast.Name) and a.id not in self.an.kind and
                   self.an.ranks.get(a.id) == r for a, r in zip(args, ranks)):
                return templates
        return {}

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
            indexed.append((op.args["x"].id, ("item", copy_tree(op.args["index"])), g))
        elif op.kind == "subscript":
            indexed.append((op.args["x"].id, copy_tree(op.args["index"]), g))
        elif op.kind == "attr":
            indexed.append((op.args["x"].id, ("attr", const(op.extra)), g))
        elif op.kind == "pack_dict":
            for (i, e), key in zip(op.args.items(), op.extra):
                if isinstance(e, gast.Name) and e.id in self.an.active:
                    part = gast.Subscript(value=load(self.d(y)), slice=copy_tree(key),
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
                    if y in self.an.mutated and e.id not in self.an.scalar and \
                            e.id not in self.an.kind:
                        # an element overwritten later has the zero 0.0 for adjoint,
                        # which only broadcasts to the element's shape
                        made_lazy.add(e.id)
        elif op.kind == "call" and getattr(s, "srcgrad_split", None):
            back, parts = s.srcgrad_split       # a recursive call through its split form
            # (a helper's vjp, inline/joint.py: called once, before: d_y_args)
            direct = getattr(s, "srcgrad_direct", None)
            for name, k in parts:
                pulled = load(direct) if direct else \
                    gast.Call(func=self.rt("pulled"), args=[load(back), g], keywords=[])
                contribs.append((name, gast.Subscript(value=pulled, slice=const(k),
                                                      ctx=gast.Load())))
            passes = False
        elif op.kind == "call":
            lazy = self.lazy_reduction(op, y)
            listed = array_arguments(op, self.an.kind)
            reused = self.an.reused.get(y)
            pieces = self.concatenated_pieces(op, y)
            for pname, tmpl in self.templates(s).items():
                arg = op.args.get(pname)
                if not isinstance(arg, gast.Name) or arg.id not in self.an.active:
                    continue
                if lazy is not None and pname == "a":
                    contribs.append((arg.id, lazy))
                    continue
                if pieces is not None and pname == "arrays":
                    contribs.append((arg.id, pieces))
                    continue
                expr = self.instantiate(tmpl, op, y, ans or y, reused and reused[0])
                if op.rule.kind == "elementwise" and not self.an.same_shape(arg.id, y) and \
                        not fits_result(self.an, s, arg.id):
                    expr = gast.Call(func=self.rt("unbroadcast"), args=[expr, self.shape_of(arg.id)],
                                     keywords=[])
                    passes = False
                if VECTOR_OF.get(op.fun) == pname and arg.id in self.an.number_lists:
                    expr = g            # np.array([a, b]) of numbers: the list's adjoint is g
                    passes = False
                if pname in listed:     # NumPy read the list as an array: one adjoint per element
                    expr = gast.Call(func=self.rt("array_dx"), args=[expr, load(arg.id)],
                                     keywords=[])
                    passes = False
                contribs.append((arg.id, expr))
            if lazy is not None:
                made_lazy = {op.args["a"].id}
            elif op.rule.kind != "elementwise":
                passes = False
        adj = Adjoint(s, y, contribs, indexed)
        if op.kind == "call" and getattr(s, "srcgrad_direct", None):
            adj.direct = (s.srcgrad_vjp, s.srcgrad_direct)
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

    def concatenated_pieces(self, op, y):
        """The adjoint of ``t`` in ``y = np.concatenate(t, axis=k)``, where
        ``t = (a, b)`` is a tuple of two or three arrays of a known rank and
        ``k`` a constant: a tuple of slices of ``g`` (``(g[:, :t[0].shape[1]],
        g[:, t[0].shape[1]:])``), what ``concatenate_dx(g, t, k)`` returns
        without a call (a recursion over minors runs it once per node); None
        elsewhere (the rule's template applies)."""
        t, axis = op.args.get("arrays"), op.args.get("axis")
        if op.fun is not np.concatenate or not isinstance(t, gast.Name) or \
                t.id in self.an.mutated or self.an.complex & {t.id, y}:
            return None     # (a complex adjoint's real part is taken of an array, not a tuple)
        axis = 0 if isinstance(axis, _Default) or axis is None else \
            axis.value if isinstance(axis, gast.Constant) and type(axis.value) is int else None
        self.certainly_array(t.id)          # (makes self._defs)
        defs = self._defs.get(t.id, [])
        if axis is None or len(defs) != 1 or not isinstance(defs[0].value, gast.Tuple):
            return None
        if not hasattr(self, "_loads"):
            self._loads = collections.Counter(n.id for n in name_nodes(self.fn)
                                              if isinstance(n.ctx, gast.Load))
        if self._loads[t.id] != 1:
            return None     # (a tuple of adjoints would add as a tuple: concatenated)
        elts = defs[0].value.elts
        ranks = {self.an.ranks.get(e.id) if isinstance(e, gast.Name) else None for e in elts}
        rank = ranks.pop() if len(ranks) == 1 else None
        if not 2 <= len(elts) <= 3 or not isinstance(rank, int) or not -rank <= axis < rank or \
                not all(self.certainly_array(e.id) for e in elts):
            return None
        axis %= rank

        def size(k):                        # t[k].shape[axis]
            part = gast.Subscript(value=load(t.id), slice=const(k), ctx=gast.Load())
            shape = gast.Attribute(value=part, attr="shape", ctx=gast.Load())
            return gast.Subscript(value=shape, slice=const(axis), ctx=gast.Load())

        bounds = [None]
        for k in range(len(elts) - 1):
            bounds.append(size(k) if bounds[-1] is None else
                          gast.BinOp(left=copy_tree(bounds[-1]), op=gast.Add(), right=size(k)))
        bounds.append(None)
        lead = [gast.Slice(lower=None, upper=None, step=None) for _ in range(axis)]
        parts = []
        for lo, hi in zip(bounds, bounds[1:]):
            piece = gast.Slice(lower=copy_tree(lo), upper=copy_tree(hi), step=None)
            index = gast.Tuple(elts=lead + [piece], ctx=gast.Load()) if lead else piece
            parts.append(gast.Subscript(value=load(self.d(y)), slice=index, ctx=gast.Load()))
        out = gast.Tuple(elts=parts, ctx=gast.Load())
        out.srcgrad_pieces = True
        return out

    def instantiate(self, tmpl, op, y, ans, other=None):
        specials = {"g": load(self.d(y)), "ans": load(ans)}
        if other:
            specials["other"] = load(other)
        expr = fold(tmpl.instantiate(op.rule, as_arrays(op, self.an.kind, self.inj.name_for),
                                     specials,
                                     self.inj.name_for, lambda n: self.shape_of(n.id)))
        return untranspose(expr, self.an.transposes) if self.an.transposes else expr

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
        direct = getattr(a, "direct", None)
        if direct is not None:      # d_args = vjp_helper(a, b, d_y): a helper's adjoint
            (vjp, args, keywords), d_args = direct
            passed = self.passed_in(out, state, d_args)
            code.append(assign(d_args, gast.Call(
                func=load(vjp), args=[copy_tree(a) for a in args] + [load(dy)] + [
                    load(self.d(passed[k])) if k in passed else const(None)
                    for k in range(max(passed, default=-1) + 1)],
                keywords=[gast.keyword(arg=p, value=copy_tree(a)) for p, a in keywords])))
            for k, var in passed.items():     # (it added into the adjoint given)
                code.append(assign(self.d(var), out.pop(next(
                    i for i, (v, _) in enumerate(out) if v == var))[1]))

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
                expr = copy_tree(expr)
                rename_loads(expr, dy, result)
                code.extend(self.accumulate_index(var, index, expr, state, a.target))
            if later:
                later = [(var, rename_loads(copy_tree(expr), dy, result))
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

    def passed_in(self, out, state, args):
        """Of the contributions ``out`` of a helper's reverse sweep
        (``(var, args[k])``), those whose adjoint it can add into in place
        (``optimise/accumulators.py``), by position ``k``: an array this code
        owns, and the argument's only position."""
        counts = collections.Counter(var for var, _ in out)
        return {expr.slice.value: var for var, expr in out
                if isinstance(expr, gast.Subscript) and isinstance(expr.value, gast.Name) and
                expr.value.id == args and isinstance(expr.slice, gast.Constant) and
                counts[var] == 1 and state.get(self.d(var)) == DEF_OWNED and
                var not in self.an.scalar and self.d(var) not in self.lazy and
                var not in self.an.complex and not self.complex_now}

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
            return expr.id not in self.an.scalar and expr.id not in self.primal_by_adjoint \
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

    #: whether the adjoint being written reads complex values (materialise sets it)
    complex_now = False

    def real_part(self, var, expr):
        """``expr``, a contribution to the adjoint of ``var``: its real part
        when it may be complex and ``var`` is real (docs/complex.md)."""
        if not self.complex_now or var in self.an.complex:
            return expr
        real = gast.Attribute(value=load(self.inj.name_for(np, "np")), attr="real",
                              ctx=gast.Load())
        return gast.Call(func=real, args=[expr], keywords=[])

    def accumulate(self, var, expr, state, lazy=False):
        """Add ``expr`` to the adjoint of ``var``; ``lazy``: ``expr`` may only
        broadcast to ``var``'s shape (the sum is then lazy if both are)."""
        pieces = getattr(expr, "srcgrad_pieces", False)     # (concatenated_pieces)
        expr = self.real_part(var, expr)
        dv = self.d(var)
        lazy = lazy and var not in self.an.scalar
        if dv in state and pieces:
            # (never reached: the tuple is read once) a tuple of adjoints adds
            # element by element as Adjoints, never as tuples (concatenated)
            expr = gast.Call(func=self.rt("Adjoints"), args=[expr], keywords=[])
        if dv in state:
            if state[dv] == DEF_OWNED and var not in self.an.scalar and dv not in self.lazy \
                    and var not in self.an.complex:     # (a complex sum may need a new dtype)
                return [gast.AugAssign(target=store(dv), op=gast.Add(), value=expr)]
            value = gast.BinOp(left=load(dv), op=gast.Add(), right=expr)
            state[dv] = DEF_OWNED
            if not lazy:
                self.lazy.discard(dv)
        else:
            value = expr
            state[dv] = DEF_SHARED if pieces else \
                DEF_OWNED if _fresh(expr) or self.fresh_call(expr) else DEF_SHARED
            if lazy:
                self.lazy.add(dv)
        return [assign(dv, value)]

    def accumulate_index(self, var, index, expr, state, target):
        """``adjoint(var)[index] += expr``, in place on an adjoint array the
        generated code owns: plain indexing for basic indices (integers,
        slices), ``add_at`` (which accumulates repeated indices) otherwise."""
        expr = self.real_part(var, expr)
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
            key = index_expr(index[1])
            if index[0] == "item" and self.an.list_items.get(var) == 0 and self.int_key(index[1]):
                # an item of a list of numbers: rebound (element adjoints may be shared)
                item = gast.Subscript(value=load(dv), slice=key, ctx=gast.Load())
                target = gast.Subscript(value=load(dv), slice=copy_tree(key), ctx=gast.Store())
                code.append(gast.Assign(targets=[target], type_comment=None,
                                        value=gast.BinOp(left=item, op=gast.Add(), right=expr)))
                return code
            code.append(assign(dv, gast.Call(func=self.rt(helper),
                                             args=[load(dv), load(var), key, expr], keywords=[])))
            return code
        if self.basic_index(index) and (var not in self.an.complex or var in self.an.kind):
            target = gast.Subscript(value=load(dv), slice=index, ctx=gast.Store())
            code.append(gast.AugAssign(target=target, op=gast.Add(), value=expr))
        else:
            code.append(assign(dv, gast.Call(func=self.rt("add_at"),
                                             args=[load(dv), load(var), index_expr(index), expr],
                                             keywords=[])))
        return code

    def int_key(self, key):
        """Whether ``key`` is certainly an integer."""
        return isinstance(key, gast.Constant) and type(key.value) is int or \
            isinstance(key, gast.Name) and key.id in getattr(self.an, "ints", ())

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

    def fresh_call(self, expr):
        """A call of a runtime helper that makes a new adjoint container."""
        if not (isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name)):
            return False
        return self.inj.objects.get(expr.func.id) in _FRESH_HELPERS


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
                  runtime.as_adjoint, runtime.set_field_dx}


def _fresh(expr):
    """Whether ``expr`` certainly makes a new object (so the adjoint owns it)."""
    return isinstance(expr, (gast.BinOp, gast.UnaryOp, gast.Constant))


def untranspose(expr, transposes):
    """``expr`` with ``y.T`` read as ``z`` where ``y = z.T`` (``transposes``,
    :func:`srcgrad.compiler.analysis.reuse.transposes`): ``d_P_6 @ K``, not
    ``d_P_6 @ P_5.T``."""
    if isinstance(expr, gast.Attribute) and expr.attr == "T" and \
            isinstance(expr.value, gast.Name) and expr.value.id in transposes:
        return load(transposes[expr.value.id])
    for field, value in gast.iter_fields(expr):
        if isinstance(value, gast.AST):
            setattr(expr, field, untranspose(value, transposes))
        elif isinstance(value, list):
            setattr(expr, field, [untranspose(v, transposes) if isinstance(v, gast.AST) else v
                                  for v in value])
    return expr
