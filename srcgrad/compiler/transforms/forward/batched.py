"""Batched forward mode (``srcgrad.jacobian``, ``srcgrad.hessian``): the
tangents of ``K`` directions in one pass, on a last axis of every tangent
(docs/modes.md, "Batched directions").

:class:`BatchedForward` is :class:`~srcgrad.compiler.transforms.forward.tangents.Forward`
with its hooks changed: how a contribution is made from a rule, zeros,
indices of tangents, broadcasting, and the result.

>>> import numpy as np
>>> from srcgrad.compiler.pipeline import Driver, forward_transform
>>> def f(x):
...     return np.sum(x * x)
>>> df = forward_transform(f, ("x",), Driver(), batched=True)
>>> print(df.srcgrad_source.rstrip())
def jvp_batched_f(x, d_x):
    if check_argument(x, 'x'):
        return jvp_batched_f_complex(x, d_x)
    n_dir = n_directions(d_x)
    out_1 = x * x
    d_out_1 = d_x * bx(x) + d_x * bx(x)
    # line 2: return np.sum(x * x)
    out = np.sum(out_1)
    d_out = b_sum(d_out_1, None, False)
    return (out, like_value(b_out(d_out, out, n_dir), out))
"""

import math

import gast
import numpy as np

from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.fold import fold
from srcgrad.compiler.ir.names import array_arguments, as_arrays, assign, const, load, read_as_array
from srcgrad.compiler.transforms.forward.tangents import Forward
from srcgrad.rules.registry import tangent_template
from srcgrad.rules.tangent_rules import batched_template
from srcgrad.compiler.ir.walk import walk as walk_tree
from srcgrad.compiler.ir.copying import deepcopy as copy_tree


#: functions an elementwise tangent template may call and stay elementwise
#: when its primal operands get a trailing axis (besides ufuncs and math)
_ELEMENTWISE_CALLS = ("where", "abs", "float", "round", "max", "min", "bool", "int")


def _elementwise_template(tmpl):
    """Whether the tangent template ``tmpl`` is built of elementwise
    operations only (arithmetic, comparisons, ufuncs, ``np.where``, ``math``),
    so that it is right for batched tangents once its primal operands are
    given a trailing axis."""

    def resolve(node):
        if isinstance(node, gast.Name):
            return tmpl.globals.get(node.id, _MISSING)
        if isinstance(node, gast.Attribute):
            base = resolve(node.value)
            return _MISSING if base is _MISSING else getattr(base, node.attr, _MISSING)
        return _MISSING

    ok_nodes = (gast.Expression, gast.BinOp, gast.UnaryOp, gast.Compare, gast.BoolOp, gast.IfExp,
                gast.Name, gast.Constant, gast.Load, gast.operator, gast.unaryop, gast.cmpop,
                gast.boolop, gast.Call, gast.Attribute)
    for node in walk_tree(tmpl.expr):
        if not isinstance(node, ok_nodes):
            return False
        if isinstance(node, gast.Call):
            if node.keywords:
                return False
            fun = resolve(node.func)
            if not (isinstance(fun, np.ufunc) or fun is np.where
                    or getattr(fun, "__module__", None) == math.__name__
                    or getattr(fun, "__name__", None) in _ELEMENTWISE_CALLS
                    and getattr(fun, "__module__", None) == "builtins"):
                return False
        elif isinstance(node, gast.Attribute):
            obj = resolve(node)
            if obj is _MISSING:
                return False
    return True


_MISSING = object()


class BatchedForward(Forward):
    """Forward mode for a batch of ``K`` directions in one pass: every
    tangent has its primal's shape plus a last axis of size ``K``
    (``n_dir``, read from the first tangent argument).

    * Elementwise and scalar rules use their ordinary tangent template with
      each primal operand given a trailing axis (``bx(x)``: ``x[..., None]``
      for an array; scalars broadcast as they are).
    * Rules with a batched template (``rules/tangent_rules.py``: reductions,
      products, reshapes, ...) use it.
    * Every other rule falls back to ``per_direction(lambda t_k: <ordinary
      tangent in t_k>, d_x, n_dir)``: one direction at a time, stacked.
    * Indexing reads and writes the tangent with the primal's index (it
      addresses the leading axes), with an explicit trailing ``:`` after
      ``...``; zeros are ``bzeros(x, n_dir)``.
    """

    batched = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.K = self.namer.fresh("n_dir")
        self.tk = self.namer.fresh("t_k")
        # the shape facts take comparisons (values without derivative) for
        # scalars; an operand that may be an array is always given its axis
        guessed = {s.targets[0].id for s in walk_stmts(self.fn.body)
                   if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                   and getattr(getattr(s, "srcgrad_op", None), "kind", None) == "inactive"}
        self.certainly_scalar = set(self.scalar) - guessed

    def k(self):
        return load(self.K)

    def is_scalar(self, node):
        if isinstance(node, gast.Name):
            return node.id in self.certainly_scalar
        return super().is_scalar(node)

    def expand(self, node):
        if isinstance(node, gast.Name) and node.id not in self.certainly_scalar:
            return gast.Call(func=self.rt("bx"), args=[node], keywords=[])
        return node

    def batched_template(self, op, pname):
        return batched_template(op.rule, pname)

    def contribution(self, tmpl, op, pname, arg, ans):
        t = load(self.d(arg.id))
        b = self.batched_template(op, pname)
        name_for = self.inj.name_for
        # a list or tuple NumPy reads as an array: so are its batched tangent (the
        # directions stay the last axis) and the primal in the templates
        listed = array_arguments(op, self.an.kind)
        if pname in listed:
            t = read_as_array(t, name_for)
        given = as_arrays(op, self.an.kind, name_for)
        if b is not None:
            return fold(b.instantiate(op.rule, given, {"t": t, "ans": load(ans), "K": self.k()},
                                      name_for))
        if op.rule.kind in ("elementwise", "scalar") and _elementwise_template(tmpl):
            args = {p: a if isinstance(a, (tuple, dict)) else
                    gast.Call(func=self.rt("bx"), args=[a], keywords=[]) if p in listed else
                    self.expand(a) for p, a in given.items()}
            return fold(tmpl.instantiate(op.rule, args, {"t": t, "ans": self.expand(load(ans))},
                                         name_for))
        body = fold(tmpl.instantiate(op.rule, given, {"t": load(self.tk), "ans": load(ans)},
                                     name_for))
        params = gast.arguments(args=[gast.Name(id=self.tk, ctx=gast.Param(), annotation=None,
                                                type_comment=None)],
                                posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                                kwarg=None, defaults=[])
        return gast.Call(func=self.rt("per_direction"),
                         args=[gast.Lambda(args=params, body=body), t, self.k()], keywords=[])

    def uses_ans(self, op):
        if op.kind != "call":
            return False
        for pname in op.rule.adjoints:
            if self.active(op.args.get(pname)):
                tmpl = self.batched_template(op, pname) or tangent_template(op.rule, pname)
                if tmpl is not None and tmpl.uses_ans:
                    return True
        return False

    def broadcast_like(self, expr, ans):
        return gast.Call(func=self.rt("b_broadcast_like"), args=[expr, load(ans), self.k()],
                         keywords=[])

    def tangent_index(self, index):
        index = copy_tree(index)
        elts = index.elts if isinstance(index, gast.Tuple) else [index]
        if any(isinstance(e, gast.Constant) and e.value is Ellipsis for e in elts):
            full = gast.Slice(lower=None, upper=None, step=None)
            return gast.Tuple(elts=list(elts) + [full], ctx=gast.Load())
        if isinstance(index, gast.Name) and index.id not in self.certainly_scalar:
            return gast.Call(func=self.rt("bindex"), args=[index], keywords=[])
        return index

    def zero_of(self, node):
        return gast.Call(func=self.rt("bzeros"), args=[copy_tree(node), self.k()],
                         keywords=[])

    def tangent(self, s, ans):
        expr = super().tangent(s, ans)
        op = s.srcgrad_op
        if op.kind == "subscript" and expr is not None and \
                op.args["x"].id in getattr(self.an, "written_arrays", ()) and \
                op.args["x"].id not in self.an.kind:
            # x[i] of a 1-d x is a copy, but the tangent's x_t[i] a view
            return gast.Call(func=self.rt("b_item"), args=[expr, load(ans)], keywords=[])
        return expr

    def tape_zero(self, value):
        return self.zero_of(value)

    def zeros(self, y, value=None):
        if isinstance(value, gast.List) and not value.elts:
            return gast.List(elts=[], ctx=gast.Load())   # a tape: its tangent tape
        if isinstance(value, gast.Constant) and value.value is None:
            return const(None)
        return self.zero_of(load(y))

    def attr_tangent(self, x, op, ans):
        return gast.Call(func=self.rt("b_attr"), args=[load(self.d(x.id)), const(op.extra),
                                                       load(ans), self.k()], keywords=[])

    def run(self):
        fn = super().run()
        first = self.d(self.wrt[0])
        count = assign(self.K, gast.Call(func=self.rt("n_directions"), args=[load(first)],
                                         keywords=[]))
        ret = fn.body[-1]
        result = fn.srcgrad_result
        if self.with_value:
            ret.value.elts[1] = gast.Call(func=self.rt("b_out"),
                                          args=[ret.value.elts[1], load(result), self.k()],
                                          keywords=[])
        else:
            ret.value = gast.Call(func=self.rt("b_out"), args=[ret.value, load(result), self.k()],
                                  keywords=[])
        fn.body.insert(0, count)
        return fn
