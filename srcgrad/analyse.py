"""Stage 4 — analyses on the SSA form.

* **Resolution**: every operation is tied to the primitive it calls
  (``a * b`` to ``operator.mul``, ``np.sin(x)`` to ``numpy.sin``, ``x.sum()``
  to ``numpy.sum``) and to that primitive's rule; names are resolved as Python
  would resolve them in the function: closure, module globals, builtins.
* **Activity**: a value is *varied* if it depends differentiably on an
  argument we differentiate with respect to, *useful* if the result depends
  differentiably on it, and *active* if both.  Only active values get
  adjoints; inactive operations are kept in the forward sweep only.
* **Shapes**: which values are certainly scalars, and which certainly have
  the same shape as others, so that adjoints are reduced (``unbroadcast``)
  only where broadcasting may really have happened.
"""

import builtins
import operator
from dataclasses import dataclass, field

import gast
import numpy as np

from .dataflow import walk_stmts
from .rules import lookup
from .rules.registry import _Default

BINOPS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.Mod: operator.mod,
    gast.FloorDiv: operator.floordiv, gast.MatMult: operator.matmul,
    gast.BitAnd: operator.and_, gast.BitOr: operator.or_, gast.BitXor: operator.xor,
    gast.LShift: operator.lshift, gast.RShift: operator.rshift,
}
UNARYOPS = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
            gast.Invert: operator.invert}

#: ndarray methods that mean the NumPy function of the same name, with the
#: array as first argument
ARRAY_METHODS = {name: getattr(np, name) for name in (
    "sum", "mean", "prod", "max", "min", "dot", "reshape", "transpose", "ravel", "clip",
    "cumsum", "cumprod", "var", "std", "squeeze", "swapaxes", "repeat", "trace", "diagonal",
    "round", "argmax", "argmin", "argsort", "all", "any", "nonzero", "conj")}
ARRAY_METHODS["copy"] = np.copy
ARRAY_METHODS["flatten"] = np.ravel
#: attributes of arrays that carry no derivative
INACTIVE_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"}
#: attributes of arrays that are functions of the array
ARRAY_ATTRIBUTES = {"T": np.transpose, "real": np.real}

_MISSING = object()

#: NumPy functions whose result may share memory with their first argument
VIEW_FUNCTIONS = {np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis, np.squeeze,
                  np.expand_dims, np.broadcast_to, np.diagonal, np.asarray, np.real, np.flip,
                  np.atleast_1d, np.atleast_2d, np.atleast_3d, np.ndarray.reshape,
                  np.ndarray.transpose}


@dataclass
class Op:
    """What one assignment computes, as far as differentiation is concerned."""
    kind: str                 # call | copy | const | subscript | inactive | unknown
    rule: object = None       # the primitive's Rule, for kind == "call"
    fun: object = None        # the primitive
    args: dict = field(default_factory=dict)   # parameter -> atom node or _Default
    display: str = ""         # how the user wrote the callee, for messages

    def __deepcopy__(self, memo):
        import copy
        return Op(self.kind, self.rule, self.fun, copy.deepcopy(self.args, memo), self.display)

    def diff_operands(self):
        """Names flowing differentiably into the result."""
        if self.kind == "setitem":
            return [self.args["v"].id] if isinstance(self.args["v"], gast.Name) else []
        if self.kind == "copy" or self.kind == "subscript":
            return [self.args["x"].id] if isinstance(self.args["x"], gast.Name) else []
        if self.kind == "call" and self.rule is not None:
            return [a.id for p, a in self.args.items()
                    if p in self.rule.adjoints and isinstance(a, gast.Name)]
        if self.kind in ("unknown", "pack"):
            return [a.id for a in self.args.values() if isinstance(a, gast.Name)]
        return []


def defined_name(s):
    """The variable an assignment gives a new value: its target name, or the
    array an element assignment writes into."""
    t = s.targets[0]
    if isinstance(t, gast.Name):
        return t.id
    if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
        return t.value.id
    return None


def iter_assigns(stmts):
    """Every assignment in ``stmts``, at any depth, in program order."""
    return (s for s in walk_stmts(stmts) if isinstance(s, gast.Assign))


class Analysis:
    def __init__(self, parsed, fn, wrt, locals_):
        self.parsed = parsed
        self.fn = fn
        self.wrt = list(wrt)
        self.locals = set(locals_)
        self.ops = {}
        self.varied = set()
        self.useful = set()
        self.active = set()
        self.scalar = set()
        self.shape_of = {}        # name -> representative name of its shape class
        self.result = fn.body[-1].value.id

    # -- resolution ----------------------------------------------------------
    def resolve_name(self, name):
        if name in self.locals:
            return _MISSING
        cell = self.parsed.closure.get(name)
        if cell is not None:
            try:
                return cell.cell_contents
            except ValueError:
                return _MISSING
        g = self.parsed.globals
        if name in g:
            return g[name]
        return getattr(builtins, name, _MISSING)

    def resolve(self, node):
        """The object an expression (a name or attribute chain) refers to at
        transformation time, or ``_MISSING``."""
        if isinstance(node, gast.Name):
            return self.resolve_name(node.id)
        if isinstance(node, gast.Attribute):
            base = self.resolve(node.value)
            if base is _MISSING:
                return _MISSING
            return getattr(base, node.attr, _MISSING)
        return _MISSING

    def op_of(self, s):
        v = s.value
        t = s.targets[0]
        if isinstance(t, gast.Subscript):
            if isinstance(t.value, gast.Name):
                return Op("setitem", args={"x": t.value, "index": t.slice, "v": v})
            return Op("unknown", args={"0": v}, display="an assignment into an element of "
                      "an expression (write to a local array instead)")
        if isinstance(v, gast.Name):
            return Op("copy", args={"x": v})
        if isinstance(v, gast.Constant):
            return Op("const")
        if isinstance(v, gast.BinOp):
            fun = BINOPS[type(v.op)]
            return self.call_op(fun, [v.left, v.right], {}, s, _op_symbol(v.op))
        if isinstance(v, gast.UnaryOp):
            fun = UNARYOPS[type(v.op)]
            return self.call_op(fun, [v.operand], {}, s, _op_symbol(v.op))
        if isinstance(v, gast.Call):
            return self.call(v, s)
        if isinstance(v, gast.Subscript):
            return Op("subscript", args={"x": v.value, "index": v.slice})
        if isinstance(v, gast.Attribute):
            return self.attribute(v, s)
        if isinstance(v, (gast.Compare, gast.BoolOp, gast.JoinedStr)):
            return Op("inactive")
        if isinstance(v, (gast.Tuple, gast.List)) and not any(
                isinstance(e, gast.Starred) for e in v.elts):
            return Op("pack", args={str(i): e for i, e in enumerate(v.elts)})
        if isinstance(v, (gast.Tuple, gast.List, gast.Dict, gast.Set)):
            return Op("unknown", args={str(i): e for i, e in enumerate(_children(v))},
                      display=f"a {type(v).__name__.lower()} literal")
        return Op("unknown", args={}, display=type(v).__name__)

    def call(self, v, s):
        f = v.func
        kwargs = {k.arg: k.value for k in v.keywords}
        display = _dotted(f)
        if isinstance(f, gast.Attribute) and _root_is_local(f, self.locals):
            # a method call on a local value: x.sum(axis=0)
            method = getattr(np.ndarray, f.attr, None)
            if isinstance(f.value, gast.Name) and method is not None and lookup(method):
                # a rule for the ndarray method itself (its own signature)
                return self.call_op(method, [f.value] + list(v.args), kwargs, s, display)
            if isinstance(f.value, gast.Name) and f.attr in ARRAY_METHODS:
                fun = ARRAY_METHODS[f.attr]
                return self.call_op(fun, [f.value] + list(v.args), kwargs, s, display)
            return Op("unknown", args=_positional(v), display=display)
        fun = self.resolve(f)
        if fun is _MISSING:
            return Op("unknown", args=_positional(v), display=display)
        return self.call_op(fun, list(v.args), kwargs, s, display)

    def call_op(self, fun, args, kwargs, s, display):
        rule = lookup(fun)
        if rule is None:
            return Op("unknown", fun=fun, args={str(i): a for i, a in enumerate(args)},
                      display=display)
        try:
            bound = rule.bind(args, kwargs)
        except TypeError as e:
            raise self.parsed.error(s, f"the call of {display} does not match the signature "
                                       f"srcgrad knows for it ({rule.signature}): {e}",
                                    hint="pass the arguments as the function documents them")
        return Op("call", rule=rule, fun=fun, args=bound, display=display)

    def attribute(self, v, s):
        if _root_is_local(v, self.locals):
            if v.attr in INACTIVE_ATTRIBUTES:
                return Op("inactive")
            if v.attr in ARRAY_ATTRIBUTES and isinstance(v.value, gast.Name):
                return self.call_op(ARRAY_ATTRIBUTES[v.attr], [v.value], {}, s, "." + v.attr)
            return Op("unknown", args={"0": v.value}, display=f".{v.attr}")
        return Op("const")      # a module or global attribute: np.pi

    # -- dataflow ---------------------------------------------------------------
    def run(self):
        assigns = list(iter_assigns(self.fn.body))
        for s in assigns:
            self.ops[id(s)] = s.srcgrad_op = self.op_of(s)
        self._varied(assigns)
        self._useful(assigns)
        self.active = self.varied & self.useful
        self._check(assigns)
        self._shapes(assigns)
        return self

    def _varied(self, assigns):
        varied = set(self.wrt)
        changed = True
        while changed:
            changed = False
            for s in assigns:
                name = defined_name(s)
                if name is None or name in varied:
                    continue
                op = s.srcgrad_op
                if op.kind == "call" and op.rule is not None and not op.rule.differentiable:
                    continue
                if any(n in varied for n in op.diff_operands()):
                    varied.add(name)
                    changed = True
        self.varied = varied

    def _useful(self, assigns):
        useful = {self.result}
        changed = True
        while changed:
            changed = False
            for s in reversed(assigns):
                name = defined_name(s)
                if name is None or name not in useful:
                    continue
                for n in s.srcgrad_op.diff_operands():
                    if n not in useful:
                        useful.add(n)
                        changed = True
        self.useful = useful

    def _check(self, assigns):
        for s in assigns:
            name = defined_name(s)
            op = s.srcgrad_op
            if op.kind == "unknown" and (name is None and any(
                    isinstance(a, gast.Name) and a.id in self.varied for a in op.args.values())
                    or name in self.active):
                raise self._no_rule(s, op)
        self._check_aliasing(assigns)

    def _check_aliasing(self, assigns):
        """In-place writes are differentiated exactly when no other variable
        shares the written array's memory; refuse the cases where one may."""
        written = {s.srcgrad_op.args["x"].id for s in assigns if s.srcgrad_op.kind == "setitem"}
        if not written:
            return
        user = getattr(self, "user_of", {})
        views = {}
        for s in assigns:
            op, t = s.srcgrad_op, s.targets[0]
            if not isinstance(t, gast.Name):
                continue
            if op.kind == "copy" and isinstance(op.args["x"], gast.Name) and \
                    not getattr(s, "srcgrad_phi", False):
                a, b = op.args["x"].id, t.id
                if (a in written or b in written) and user.get(a, a) != user.get(b, b):
                    raise self.parsed.error(
                        s, f"'{user.get(b, b)}' and '{user.get(a, a)}' name the same array, "
                           f"which is written in place", construct="aliased in-place write",
                        hint=f"make an independent array: {user.get(b, b)} = "
                             f"{user.get(a, a)}.copy()")
            first = next((a for a in op.args.values() if isinstance(a, gast.Name)), None)
            if first is not None and (
                    op.kind == "subscript" or op.kind == "call" and op.fun in VIEW_FUNCTIONS):
                if first.id in written:       # a view of a written array
                    views.setdefault(first.id, {})[t.id] = s
                if t.id in written:           # a written array that is a view
                    views.setdefault(t.id, {})[first.id] = s

        def visit(s, live):
            op = getattr(s, "srcgrad_op", None)
            if op is None or op.kind != "setitem":
                return
            x = op.args["x"].id
            for v, where in views.get(x, {}).items():
                if v in live and where.srcgrad_op.kind == "subscript":
                    # a[i] is a copy or a view depending on a's rank: check when it runs
                    t, a = where.targets[0].id, where.srcgrad_op.args["x"].id
                    where.srcgrad_view_check = (t, a, user.get(t, t), user.get(a, a), s.lineno)
                elif v in live:
                    raise self.parsed.error(
                        where, f"'{user.get(v, v)}' and '{user.get(x, x)}' may share memory (one "
                               f"may be a view of the other); '{user.get(x, x)}' is written in "
                               f"place (line {s.lineno}) while '{user.get(v, v)}' is still used",
                        construct="view of an array written in place",
                        hint="take a copy where the view is made, e.g. row = a[i].copy()")

        from .dataflow import live_before
        live_before(self.fn.body, set(), visit)

    def _no_rule(self, s, op):
        fun = op.fun
        if fun is not None and callable(fun):
            name = getattr(fun, "__qualname__", None) or op.display
            if hasattr(fun, "__code__"):
                return self.parsed.error(
                    s, f"calls to Python functions ({name}) are not differentiated yet",
                    construct="call", hint=f"register a rule with srcgrad.defvjp({op.display}, ...) "
                    f"or mark it with srcgrad.nondifferentiable({op.display})")
            return self.parsed.error(
                s, f"no derivative rule for {op.display} ({name})", construct="call",
                hint=f"register one: srcgrad.defvjp({op.display}, \"x\", \"g * <derivative of "
                     f"{op.display} at x>\"), or wrap the argument in srcgrad.stop_gradient(...)")
        what = op.display if not _is_generated(op.display) else "this call"
        return self.parsed.error(
            s, f"cannot differentiate {what}: srcgrad cannot tell at transformation time "
               f"which function it calls", construct=what,
            hint="call functions by a global or module name (np.sin, math.exp, my_function), "
                 "or wrap the value in srcgrad.stop_gradient(...) if it needs no derivative")

    def assuming_scalar(self, params):
        """A copy of this analysis whose shape facts assume ``params`` are
        scalars (for the specialised version of the gradient)."""
        import copy
        other = copy.copy(self)
        other._shapes(list(iter_assigns(self.fn.body)), set(params))
        return other

    def scalar_candidates(self):
        """Parameters that flow into active operations and are used only as
        operands of elementwise or scalar operations (so they may well be
        Python floats); the gradient is specialised for them being floats."""
        params = {a.id for a in self.fn.args.args + self.fn.args.kwonlyargs
                  + self.fn.args.posonlyargs}
        used, excluded = set(), set()
        for s in iter_assigns(self.fn.body):
            op = s.srcgrad_op
            elementwise = op.kind == "copy" or op.kind == "call" and \
                op.rule.kind in ("elementwise", "scalar") or \
                op.kind == "inactive" and isinstance(s.value, (gast.Compare, gast.BoolOp))
            t = s.targets[0]
            for n in gast.walk(s.value):
                if isinstance(n, gast.Name) and n.id in params:
                    if not elementwise:
                        excluded.add(n.id)
                    elif isinstance(t, gast.Name) and t.id in self.active:
                        used.add(n.id)
        for loop in _loops(self.fn.body):
            for n in gast.walk(loop.iter if isinstance(loop, gast.For) else loop.test):
                if isinstance(n, gast.Name):
                    excluded.add(n.id)
        # an array indexed or written anywhere was not computed from floats
        for s in iter_assigns(self.fn.body):
            op = s.srcgrad_op
            if op.kind in ("subscript", "setitem") and isinstance(op.args["x"], gast.Name):
                excluded.update(self.shape_chain(op.args["x"].id))
        return (used - excluded - self.forward_scalar) & params

    def _shapes(self, assigns, assumed=()):
        """Shape facts.  ``scalar``: names that are certainly scalars (every
        definition makes a scalar: a greatest fixpoint, so loop-carried
        scalars stay scalars).  Same-shape classes are only formed from names
        with a single definition."""
        params = self.fn.args.args + self.fn.args.kwonlyargs + self.fn.args.posonlyargs
        assumed = set(assumed)
        for a in params:
            ann = a.annotation
            if isinstance(ann, gast.Name) and ann.id in ("float", "int", "bool"):
                assumed.add(a.id)
        defs = {}
        for s in assigns:
            t = s.targets[0]
            if isinstance(t, gast.Name):
                defs.setdefault(t.id, []).append(s)
        loop_targets = {loop.target.id for loop in _loops(self.fn.body)
                        if isinstance(loop, gast.For)}
        parent = {}

        def find(n):
            while parent.get(n, n) != n:
                n = parent[n]
            return n

        def union(a, b):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[rb] = ra

        scalar = assumed | loop_targets | set(defs)
        shape_parent = {}

        def is_scalar(node):
            if isinstance(node, gast.Constant):
                return isinstance(node.value, (int, float, bool)) or node.value is None
            if isinstance(node, _Default):
                return True
            return isinstance(node, gast.Name) and node.id in scalar

        def makes_scalar(s):
            op, v = s.srcgrad_op, s.value
            if op.kind == "const":
                value = v.value if isinstance(v, gast.Constant) else self.resolve(v)
                return isinstance(value, (int, float, bool))
            if op.kind == "inactive":
                return isinstance(v, (gast.Compare, gast.BoolOp)) or \
                    isinstance(v, gast.UnaryOp) and isinstance(v.op, gast.Not)
            if op.kind == "copy":
                return is_scalar(op.args["x"])
            if op.kind == "call":
                kind = op.rule.kind
                if kind == "scalar" or op.fun in (len, int, float, bool, round):
                    return True
                if kind == "elementwise":
                    return all(is_scalar(a) for a in op.args.values())
                if kind == "reduction":     # no axis (None) and no keepdims (False)
                    return all(isinstance(op.args.get(p), _Default) or
                               isinstance(op.args.get(p), gast.Constant) and
                               (op.args[p].value is None or op.args[p].value is False)
                               for p in ("axis", "keepdims") if p in op.args)
            return False

        changed = True
        while changed:
            changed = False
            for name, ss in defs.items():
                if name in scalar and name not in assumed and \
                        not all(makes_scalar(s) for s in ss):
                    scalar.discard(name)
                    changed = True
        for name, ss in defs.items():
            if len(ss) != 1:
                continue
            op = ss[0].srcgrad_op
            if op.kind == "copy" and isinstance(op.args["x"], gast.Name):
                union(op.args["x"].id, name)
                if len(defs.get(op.args["x"].id, ())) <= 1:
                    shape_parent[name] = op.args["x"].id
            elif op.kind == "call" and op.rule.kind == "elementwise":
                arrays = [a for a in op.args.values() if not is_scalar(a)]
                if arrays and all(isinstance(a, gast.Name) for a in arrays) and \
                        len({find(a.id) for a in arrays}) == 1:
                    union(arrays[0].id, name)
                    if len(defs.get(arrays[0].id, ())) <= 1:   # one value: one shape
                        shape_parent[name] = arrays[0].id
        self.forward_scalar = set(scalar)
        # Backward: grad checks at run time that the result is a scalar, and
        # an elementwise operation with a scalar result has scalar operands.
        if getattr(self, "scalar_result", True):
            scalar.add(self.result)
        changed = True
        while changed:
            changed = False
            for s in reversed(assigns):
                t = s.targets[0]
                if not isinstance(t, gast.Name) or t.id not in scalar:
                    continue
                op = s.srcgrad_op
                if op.kind == "copy" or op.kind == "call" and op.rule.kind == "elementwise":
                    for a in op.args.values():
                        if isinstance(a, gast.Name) and a.id not in scalar:
                            scalar.add(a.id)
                            changed = True
        self.scalar = scalar
        self._find = find
        self.shape_parent = shape_parent

    def shape_chain(self, name):
        """``name`` and the values it was computed from elementwise, which
        certainly have its shape (earliest last)."""
        chain = [name]
        while chain[-1] in self.shape_parent and len(chain) < 50:
            chain.append(self.shape_parent[chain[-1]])
        return chain

    def same_shape(self, a, b):
        """Whether names ``a`` and ``b`` certainly have the same shape."""
        if a == b:
            return True
        if a in self.scalar and b in self.scalar:
            return True
        return self._find(a) == self._find(b)


def _is_generated(display):
    import re
    return bool(re.fullmatch(r"[A-Za-z_]+_\d+(\..*)?", display))


def _loops(stmts):
    return (s for s in walk_stmts(stmts) if isinstance(s, (gast.For, gast.While)))


def _children(v):
    if isinstance(v, gast.Dict):
        return list(v.values)
    return list(v.elts)


def _positional(call):
    return {str(i): a for i, a in enumerate(list(call.args) + [k.value for k in call.keywords])}


def _root_is_local(node, locals_):
    while isinstance(node, gast.Attribute):
        node = node.value
    return not isinstance(node, gast.Name) or node.id in locals_


def _dotted(node):
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        return _dotted(node.value) + "." + node.attr
    return "<expression>"


def _op_symbol(op):
    return {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**",
            gast.Mod: "%", gast.FloorDiv: "//", gast.MatMult: "@", gast.USub: "unary -",
            gast.UAdd: "unary +", gast.Not: "not", gast.Invert: "~"}.get(type(op), type(op).__name__)


def analyse(parsed, fn, wrt, locals_, user_of=None, scalar_result=True):
    a = Analysis(parsed, fn, wrt, locals_)
    a.user_of = user_of or {}
    a.scalar_result = scalar_result
    return a.run()
