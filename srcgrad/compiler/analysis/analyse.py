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
import copy
import inspect
import operator
from dataclasses import dataclass, field

import gast
import numpy as np

from srcgrad.compiler.ir.dataflow import connected, walk_stmts
from srcgrad.compiler.analysis.callees import recursive_rule
from srcgrad.compiler.frontend import primitive_library
from srcgrad.compiler.frontend import MISSING
from srcgrad import runtime
from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.rules import lookup
from srcgrad.rules.registry import TANGENT, Rule, Template, _Default
from srcgrad.rules.checks import refusal as rule_refusal
from srcgrad.compiler.ir.dataflow import live_before
from srcgrad.compiler.frontend import VIEW_NAMES
from srcgrad.compiler.ir.dataflow import walk_stmts as _walk

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

_MISSING = MISSING

#: NumPy functions whose result may share memory with their first argument
VIEW_FUNCTIONS = {np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis, np.squeeze,
                  np.expand_dims, np.broadcast_to, np.diagonal, np.asarray, np.real, np.flip,
                  np.atleast_1d, np.atleast_2d, np.atleast_3d, np.ndarray.reshape,
                  np.ndarray.transpose}
VIEW_FUNCTIONS |= {f for f in (getattr(np, n, None) for n in (
    "asanyarray", "ascontiguousarray", "asfortranarray", "fliplr", "flipud", "rot90", "imag",
    "matrix_transpose", "permute_dims")) if f is not None}
VIEW_FUNCTIONS |= {getattr(np.ndarray, n) for n in ("ravel", "squeeze", "swapaxes", "view")}


@dataclass
class Op:
    """What one assignment computes, as far as differentiation is concerned."""
    kind: str                 # call | copy | const | subscript | inactive | unknown
    rule: object = None       # the primitive's Rule, for kind == "call"
    fun: object = None        # the primitive
    args: dict = field(default_factory=dict)   # parameter -> atom node or _Default
    display: str = ""         # how the user wrote the callee, for messages
    extra: object = None      # attribute name (attr), keys (pack_dict)

    def __deepcopy__(self, memo):
        import copy
        return Op(self.kind, self.rule, self.fun, copy.deepcopy(self.args, memo), self.display,
                  copy.deepcopy(self.extra, memo))

    def diff_operands(self):
        """Names flowing differentiably into the result."""
        if self.kind in ("setitem", "append", "insert"):
            return [self.args["v"].id] if isinstance(self.args["v"], gast.Name) else []
        if self.kind in ("copy", "subscript", "attr"):
            return [self.args["x"].id] if isinstance(self.args["x"], gast.Name) else []
        if self.kind == "call" and self.rule is not None:
            return [a.id for p, a in self.args.items()
                    if p in self.rule.adjoints and isinstance(a, gast.Name)]
        if self.kind in ("unknown", "pack", "pack_dict"):
            # every argument of an operation srcgrad does not understand
            # (positional, keyword, starred, the object of a method) may
            # flow into its result
            return [n for a in self.args.values() for n in operand_names(a)]
        return []


def operand_names(node):
    """The variables an argument (an atom, a starred or keyword argument, a
    tuple of ``*args``, a dict of ``**kwargs``, any expression) reads."""
    if isinstance(node, gast.Name):
        return [node.id]
    if isinstance(node, _Default) or node is None:
        return []
    if isinstance(node, (tuple, list)):
        return [n for e in node for n in operand_names(e)]
    if isinstance(node, dict):
        return [n for e in node.values() for n in operand_names(e)]
    if isinstance(node, gast.AST):
        return [n.id for n in gast.walk(node) if isinstance(n, gast.Name) and
                isinstance(n.ctx, gast.Load)]
    return []


def defined_name(s):
    """The variable an assignment gives a new value: its target name, or the
    array an element assignment writes into (the list a mutating method
    call ``ys.append(v)`` changes)."""
    if isinstance(s, gast.Expr):
        return s.value.func.value.id
    t = s.targets[0]
    if isinstance(t, gast.Name):
        return t.id
    if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
        return t.value.id
    return None


def iter_assigns(stmts):
    """Every assignment in ``stmts``, at any depth, in program order."""
    return (s for s in walk_stmts(stmts) if isinstance(s, gast.Assign))


def is_method_stmt(s):
    """``name.method(...)`` as a statement (``ys.append(v)``): it may change
    ``name`` in place."""
    return isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and \
        isinstance(s.value.func, gast.Attribute) and isinstance(s.value.func.value, gast.Name)


def iter_ops(stmts, locals_=None):
    """Every assignment and every method call statement on a local value,
    at any depth, in program order."""
    return (s for s in walk_stmts(stmts) if isinstance(s, gast.Assign) or
            is_method_stmt(s) and (locals_ is None or s.value.func.value.id in locals_))


class Analysis:
    def __init__(self, parsed, fn, wrt, locals_, driver=None):
        self.parsed = parsed
        self.fn = fn
        self.driver = driver     # pipeline.Driver: rules of recursive calls
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
        return self.parsed.resolve_global(name)

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
        if isinstance(s, gast.Expr):
            return self.method_stmt(s)
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
            glob = isinstance(v.value, gast.Name) and v.value.id in self.global_values or \
                not _root_is_local(v.value, self.locals)
            if glob and any(isinstance(n, gast.Name) for n in gast.walk(v.slice)):
                return self.global_subscript(v, s)
            return Op("subscript", args={"x": v.value, "index": v.slice})
        if isinstance(v, gast.Attribute):
            return self.attribute(v, s)
        if isinstance(v, (gast.Compare, gast.BoolOp, gast.JoinedStr)):
            return Op("inactive")
        if isinstance(v, (gast.Tuple, gast.List)) and not any(
                isinstance(e, gast.Starred) for e in v.elts):
            return Op("pack", args={str(i): e for i, e in enumerate(v.elts)})
        if isinstance(v, gast.Dict) and all(k is not None for k in v.keys):
            return Op("pack_dict", args={str(i): e for i, e in enumerate(v.values)},
                      extra=list(v.keys))
        if isinstance(v, (gast.Tuple, gast.List, gast.Dict, gast.Set)):
            return Op("unknown", args={str(i): e for i, e in enumerate(_children(v))},
                      display=f"a {type(v).__name__.lower()} literal")
        # any other expression: whatever it reads may flow into it
        return Op("unknown", args={"expr": v}, display=type(v).__name__)

    def call(self, v, s):
        f = v.func
        kwargs = {k.arg: k.value for k in v.keywords}
        display = _dotted(f)
        if isinstance(f, gast.Attribute) and _root_is_local(f, self.locals):
            # a method call on a local value: x.sum(axis=0)
            if isinstance(f.value, gast.Name) and f.value.id in self.kind and \
                    f.attr == "copy" and not v.args and not kwargs:
                return Op("call", rule=_container_rule("copy"), fun=runtime.shallow_copy,
                          args={"x": f.value}, display=display)
            if isinstance(f.value, gast.Name) and f.attr in CONTAINER_METHODS:
                return Op("unknown", args={"x": f.value, **_positional(v)},
                          display=f"{display}(...) inside an expression (call it as a "
                                  f"statement of its own)")
            method = getattr(np.ndarray, f.attr, None)
            if isinstance(f.value, gast.Name) and method is not None and lookup(method):
                # a rule for the ndarray method itself (its own signature)
                return self.call_op(method, [f.value] + list(v.args), kwargs, s, display)
            if isinstance(f.value, gast.Name) and f.attr in ARRAY_METHODS:
                fun = ARRAY_METHODS[f.attr]
                return self.call_op(fun, [f.value] + list(v.args), kwargs, s, display)
            if isinstance(f.value, gast.Name) and f.attr in DICT_METHODS and \
                    self.kind.get(f.value.id) not in ("list", "tuple"):
                special = self.dict_method(f.value, f.attr, v, kwargs, s, display)
                if special is not None:
                    return special
            # the object whose method it is flows into the result too
            return Op("unknown", args={"self": f.value, **_positional(v)}, display=display)
        fun = self.resolve(f)
        if isinstance(getattr(fun, "__self__", None), (dict, list)) and \
                getattr(fun, "__name__", None) == "copy" and not v.args:
            return Op("inactive")        # a copy of a global container: a constant
        if fun is _MISSING:
            # a local callable (a closure, a partial) may hold differentiated values
            return Op("unknown", args={"callee": f, **_positional(v)}, display=display)
        if fun is builtins.dict and len(v.args) == 1 and not v.keywords and \
                isinstance(v.args[0], gast.Name) and self.kind.get(v.args[0].id) == "dict":
            return Op("call", rule=_container_rule("copy"), fun=runtime.shallow_copy,
                      args={"x": v.args[0]}, display=display)     # dict(d): a copy
        if fun is builtins.dict and not v.args and all(k.arg is not None for k in v.keywords):
            # dict(a=x, b=y): a dict literal
            return Op("pack_dict", args={str(i): k.value for i, k in enumerate(v.keywords)},
                      extra=[const(k.arg) for k in v.keywords], display=display)
        if isinstance(fun, type) and issubclass(fun, tuple) and hasattr(fun, "_fields") and \
                lookup(fun) is None:
            # a named tuple made here: its fields, in order, like a tuple literal
            fields = list(fun._fields)
            values = dict(zip(fields, v.args))
            values.update(kwargs)
            if set(values) <= set(fields) and len(v.args) <= len(fields):
                defaults = getattr(fun, "_field_defaults", {})
                if all(f in values or f in defaults for f in fields):
                    return Op("pack", args={str(i): values.get(f, const(defaults.get(f)))
                                            for i, f in enumerate(fields)}, display=display)
        if _plain_dataclass(fun) and lookup(fun) is None:
            # a dataclass made here, whose fields are its __init__ arguments:
            # like a dict literal of its fields (adjoint and tangent by name)
            import dataclasses
            fields = [f for f in dataclasses.fields(fun) if f.init]
            try:
                bound = inspect.signature(fun).bind(*v.args, **kwargs).arguments
            except TypeError as e:
                raise self.parsed.error(s, f"the call of {display} does not match its fields: "
                                           f"{e}", hint="pass each field once") from None
            given = [f.name for f in fields if f.name in bound]
            return Op("pack_dict", args={str(i): bound[n] for i, n in enumerate(given)},
                      extra=[const(n) for n in given], display=display)
        return self.call_op(fun, list(v.args), kwargs, s, display)

    def global_subscript(self, v, s):
        """``G[index]`` of a global object with variables in the index:
        ``np.r_[a, b]`` and ``np.c_[a, b]`` are concatenations; any other
        carries its index's values (an error if they are differentiated)."""
        obj = self.global_values[v.value.id] if isinstance(v.value, gast.Name) and \
            v.value.id in self.global_values else self.resolve(v.value)
        items = v.slice.elts if isinstance(v.slice, gast.Tuple) else [v.slice]
        display = f"{_dotted(v.value)}[...]"
        kind = "r" if obj is getattr(np, "r_", None) else "c" if obj is getattr(np, "c_", None) \
            else None
        if kind is not None and all(
                isinstance(e, gast.Name) or isinstance(e, gast.Constant) and
                type(e.value) in (int, float) for e in items):
            n = len(items)
            return Op("call", rule=_container_rule(f"index_concat{n}"), fun=obj,
                      args={"kind": const(kind), **{f"x{i}": e for i, e in enumerate(items)}},
                      display=display)
        if kind is not None:
            return Op("unknown", args={"index": v.slice}, display=display, extra=(
                f"{display} with slices or directives is not differentiated",
                "use np.concatenate([a, b]) or np.column_stack([a, b])"))
        return Op("unknown", args={"index": v.slice}, display=display, extra=(
            f"indexing the global object {_dotted(v.value)} with a differentiated value is not "
            f"supported", "index a local array, or register a rule for a function doing it"))

    def rule_op(self, rule, fun, args, kwargs, display):
        try:
            bound = rule.bind(args, kwargs)
        except TypeError:
            return None
        return Op("call", rule=rule, fun=fun, args=bound, display=display)

    def dict_method(self, x, attr, v, kwargs, s, display):
        """``d.get(k, default)``, ``d.values()``, ``d.items()``, ``d.keys()``
        of a local dict."""
        if kwargs or any(isinstance(a, gast.Starred) for a in v.args):
            return None
        if attr == "keys" and not v.args:
            return Op("inactive")
        if attr == "get" and 1 <= len(v.args) <= 2:
            default = v.args[1] if len(v.args) == 2 else const(None)
            return Op("call", rule=_container_rule("get"), fun=dict.get,
                      args={"x": x, "key": v.args[0], "default": default}, display=display)
        if attr in ("values", "items") and not v.args:
            return Op("call", rule=_container_rule(attr), fun=getattr(dict, attr),
                      args={"x": x}, display=display)
        return None

    def call_op(self, fun, args, kwargs, s, display):
        special = self.container_call(fun, args, kwargs)
        if special is not None:
            return special
        rule = lookup(fun)
        if rule is None and inspect.isfunction(fun) and not primitive_library(fun):
            rule = recursive_rule(fun, self.driver)       # a recursive call of the user's (inline.py)
        if rule is None:
            # every argument, positional or keyword, may flow into the result
            return Op("unknown", fun=fun, args={**{str(i): a for i, a in enumerate(args)},
                                                **{f"{k}=": a for k, a in kwargs.items()}},
                      display=display)
        if None in kwargs or any(isinstance(a, gast.Starred) for a in args):
            # f(*xs) / f(**kw): which parameter gets which value is known only at run time
            return Op("unknown", fun=fun, args={**{str(i): a for i, a in enumerate(args)},
                                                **{f"{k}=": a for k, a in kwargs.items()}},
                      display=display, extra=(
                f"{display} is called with *args or **kwargs, so srcgrad cannot tell which "
                f"parameter gets which value", "pass the arguments one by one"))
        try:
            bound = rule.bind(args, kwargs)
        except TypeError as e:
            # not understood: an error as soon as a differentiated value takes part
            op = Op("unknown", fun=fun, args={**{str(i): a for i, a in enumerate(args)},
                                              **{f"{k}=": a for k, a in kwargs.items()}},
                    display=display, extra=(
                f"the call of {display} does not match the signature srcgrad knows for it "
                f"({rule.signature}): {e}", "pass the arguments as the function documents them"))
            op.strict = True
            return op
        return Op("call", rule=rule, fun=fun, args=bound, display=display)

    def attribute(self, v, s):
        if _root_is_local(v, self.locals):
            if v.attr in INACTIVE_ATTRIBUTES:
                return Op("inactive")
            if v.attr in ARRAY_ATTRIBUTES and isinstance(v.value, gast.Name):
                return self.call_op(ARRAY_ATTRIBUTES[v.attr], [v.value], {}, s, "." + v.attr)
            if v.attr in ("imag", "flat", "mT", "base"):
                return Op("unknown", args={"0": v.value}, display=f".{v.attr}", extra=(
                    f"the array attribute .{v.attr} is not differentiated",
                    "use np.ravel(x) for x.flat; differentiated values are real"))
            if isinstance(v.value, gast.Name):     # params.w, self.w: a field of a record
                return Op("attr", args={"x": v.value}, extra=v.attr, display=f".{v.attr}")
            return Op("unknown", args={"0": v.value}, display=f".{v.attr}")
        return Op("const")      # a module or global attribute: np.pi

    # -- dataflow ---------------------------------------------------------------
    def run(self):
        self.kind = container_kinds(self.fn, self.locals, self.resolve)
        _ViewReads(self).run()
        ops = list(iter_ops(self.fn.body, self.locals))
        self.iterators = {}       # name -> "iterator" (enumerate, zip, reversed) or "view"
        self.global_values = {}   # name -> the global object it was assigned (t = np.r_)
        defs = {}
        for s in ops:
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                defs[s.targets[0].id] = defs.get(s.targets[0].id, 0) + 1
        for s in ops:
            self.ops[id(s)] = s.srcgrad_op = op = self.op_of(s)
            if op.kind == "const" and isinstance(s.value, (gast.Name, gast.Attribute)) and \
                    defs.get(s.targets[0].id) == 1:
                obj = self.resolve(s.value)
                if obj is not _MISSING:
                    self.global_values[s.targets[0].id] = obj
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                made = _ITERATOR_RULES.get(getattr(op.rule, "name", None)) \
                    if op.kind == "call" else None
                if made is None and op.kind == "copy" and isinstance(op.args["x"], gast.Name):
                    made = self.iterators.get(op.args["x"].id)
                if made is not None:
                    self.iterators[s.targets[0].id] = made
        # call statements of functions (not methods of local values): f(x, out=y)
        self.call_stmts = [s for s in walk_stmts(self.fn.body) if isinstance(s, gast.Expr) and
                           isinstance(s.value, gast.Call) and id(s) not in self.ops]
        # lists and dicts changed in place (their adjoints are changed in step)
        self.mutated = {s.srcgrad_op.args["x"].id for s in ops
                        if s.srcgrad_op.kind in ("append", "insert", "pop") or
                        s.srcgrad_op.kind == "setitem" and s.srcgrad_op.args["x"].id in self.kind}
        self._varied(ops)
        self._useful(ops)
        self.active = self.varied & self.useful
        self._check(ops)
        self._shapes([s for s in ops if isinstance(s, gast.Assign)])
        return self

    # -- containers -------------------------------------------------------------
    def method_stmt(self, s):
        """``ys.append(v)``, ``ys.insert(i, v)``, ``ys.pop(i)`` as statements
        change ``ys`` in place; any other method call statement on a local
        value may too (an error if a derivative would flow through it)."""
        call = s.value
        x, method = call.func.value, call.func.attr
        args = list(call.args)
        if not call.keywords:
            if method == "append" and len(args) == 1:
                return Op("append", args={"x": x, "v": args[0]}, display=".append")
            if method == "insert" and len(args) == 2:
                return Op("insert", args={"x": x, "index": args[0], "v": args[1]},
                          display=".insert")
            if method == "pop" and len(args) <= 1:
                return Op("pop", args={"x": x, "index": args[0] if args else const(None)},
                          display=".pop")
        return Op("unknown", args={"x": x, **_positional(call)},
                  display=f"{_dotted(call.func)}(...) (which may change {x.id} in place)")

    def container_call(self, fun, args, kwargs):
        """Calls whose rule depends on their arguments being containers."""
        try:
            hashable = fun in _SEQ_FUNCTIONS or fun is operator.add
        except TypeError:
            return None
        if not hashable:
            return None
        if any(isinstance(a, gast.Starred) for a in args) or None in kwargs:
            return None
        iterators = getattr(self, "iterators", {})

        def named(a, kinds):
            return isinstance(a, gast.Name) and iterators.get(a.id) in kinds

        if fun is builtins.enumerate and 1 <= len(args) + len(kwargs) <= 2 and \
                set(kwargs) <= {"iterable", "start"}:
            return self.rule_op(_container_rule("enumerate"), fun, args, kwargs, "enumerate")
        if fun is builtins.zip and args and set(kwargs) <= {"strict"}:
            return Op("call", rule=_container_rule(f"zip{len(args)}"), fun=fun,
                      args={f"x{i}": a for i, a in enumerate(args)}, display="zip")
        if fun is builtins.reversed and len(args) == 1 and not kwargs:
            if isinstance(args[0], gast.Name) and self.kind.get(args[0].id) == "dict":
                return Op("inactive")           # a dict's keys carry no derivative
            return Op("call", rule=_container_rule("reversed"), fun=fun,
                      args={"seq": args[0]}, display="reversed")
        if fun is builtins.sorted and len(args) == 1 and isinstance(args[0], gast.Name) and \
                (self.kind.get(args[0].id) == "dict" or iterators.get(args[0].id) == "keys"):
            return Op("inactive")               # a dict's keys carry no derivative
        if fun is builtins.sorted and set(kwargs) <= {"key", "reverse"}:
            op = self.rule_op(_container_rule("sorted"), fun, args, kwargs, "sorted")
            if op is not None:
                return op
        if fun is builtins.sorted:
            return Op("unknown", args={**{str(i): a for i, a in enumerate(args)},
                                       **{f"{k}=": a for k, a in kwargs.items()}},
                      display="sorted", extra=(
                "this call of sorted is not differentiated",
                "sort indices instead: order = np.argsort(x), then use x[order]"))
        if fun is builtins.sum and len(args) == 1 and not kwargs and named(args[0], ("view",)):
            return Op("call", rule=_container_rule("sum_view"), fun=fun,
                      args={"iterable": args[0]}, display="sum")
        if kwargs:
            return None
        if fun in (builtins.max, builtins.min) and len(args) > 2:
            return Op("unknown", args={str(i): a for i, a in enumerate(args)},
                      display=fun.__name__, extra=(
                f"{fun.__name__} of more than two values is not differentiated",
                f"pass them in a list: {fun.__name__}([a, b, c])"))
        if fun in (builtins.max, builtins.min) and len(args) == 1:
            return Op("call", rule=_container_rule("extreme"), fun=fun,
                      args={"iterable": args[0]}, display=fun.__name__)
        if fun in (builtins.list, builtins.tuple) and len(args) == 1 and \
                isinstance(args[0], gast.Name) and self.kind.get(args[0].id) == "dict":
            return Op("inactive")           # a dict's keys carry no derivative
        if fun in (builtins.list, builtins.tuple) and len(args) == 1 and \
                named(args[0], ("keys",)):
            return Op("inactive")               # a dict's keys carry no derivative
        if fun in (builtins.list, builtins.tuple) and len(args) == 1 and \
                named(args[0], ("iterator", "view")):
            return Op("call", rule=_container_rule("iter_list"), fun=fun,
                      args={"iterable": args[0]}, display=fun.__name__)
        if fun in (builtins.list, builtins.tuple) and len(args) == 1:
            return Op("call", rule=_container_rule("list"), fun=fun,
                      args={"iterable": args[0]}, display=fun.__name__)
        if fun is operator.add and len(args) == 2 and any(
                isinstance(a, gast.Name) and self.kind.get(a.id) in ("list", "tuple")
                for a in args) or fun is operator.add and len(args) == 2 and any(
                isinstance(a, (gast.List, gast.Tuple)) for a in args):
            return Op("call", rule=_container_rule("concat"), fun=fun,
                      args={"x": args[0], "y": args[1]}, display="+")
        return None

    def _varied(self, assigns, seed=()):
        varied = set(self.wrt) | set(seed)
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

    def _useful(self, assigns, seed=()):
        useful = {self.result} | set(seed)
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
        values = {}             # names assigned once, to their value (``w = (3,)``)
        for s in assigns:
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                n = s.targets[0].id
                values[n] = None if n in values else s.value
        for s in assigns:
            name = defined_name(s)
            op = s.srcgrad_op
            if op.kind == "unknown" and (name is None and any(
                    n in self.varied for n in op.diff_operands()) or name in self.active):
                raise self._no_rule(s, op)
            if getattr(op, "strict", False) and any(n in self.varied for n in op.diff_operands()):
                raise self._no_rule(s, op)
            if op.kind == "unknown" and isinstance(s, gast.Expr) and any(
                    n in self.varied for k, a in op.args.items() if k != "x"
                    for n in operand_names(a)):
                # obj.method(x): the method may change x in place (rng.shuffle(x))
                raise self.parsed.error(
                    s, f"{_dotted(s.value.func)}(...) is called with a differentiated argument "
                       f"as a statement of its own; srcgrad cannot tell whether it changes that "
                       f"argument in place", construct="call statement",
                    hint="assign its result instead (y = f(x)), or pass "
                         "srcgrad.stop_gradient(x) if no derivative flows through it")
            self._check_out(s, op)
            self._check_iterator_use(s, op)
            self._check_params(s, op, name)
            if op.kind == "call" and name in self.useful and any(
                    isinstance(a, gast.Name) and a.id in self.varied for a in op.args.values()):
                problem = rule_refusal(op.rule, op.args, values, self.varied)
                if problem is not None:
                    raise self.parsed.error(s, problem[0], construct=op.display, hint=problem[1])
        for s in self.call_stmts:
            self._check_call_stmt(s)
        # `_ = f(a)`: a call whose result nobody reads runs for what it does to its arguments
        read = {n.id for n in gast.walk(self.fn) if isinstance(n, gast.Name) and
                isinstance(n.ctx, gast.Load)}
        for s in assigns:
            if isinstance(s, gast.Assign) and isinstance(s.value, gast.Call) and \
                    s.srcgrad_op.kind == "unknown" and isinstance(s.targets[0], gast.Name) and \
                    s.targets[0].id not in read:
                self._check_call_stmt(s)
        self._check_aliasing(assigns)

    def _check_params(self, s, op, name):
        """Arguments a rule has no derivative for although the result depends
        on them (``np.var``'s ``ddof``), and options it does not cover
        (``np.linspace(..., retstep=True)``)."""
        if op.kind != "call" or op.rule is None:
            return
        try:
            limits = _PARAM_LIMITS.get(op.fun)
        except TypeError:
            return
        if not limits:
            return
        fn = op.display or op.rule.name
        for pname, allowed in limits.items():
            arg = op.args.get(pname)
            if arg is None or isinstance(arg, _Default):
                continue
            if isinstance(allowed, tuple) and len(allowed) == 2 and \
                    all(isinstance(a, str) for a in allowed):       # (message, hint)
                if any(n in self.varied for n in operand_names(arg)) and name in self.useful:
                    raise self.parsed.error(s, allowed[0], construct=fn, hint=allowed[1])
                continue
            if allowed is None:       # no derivative with respect to it: refuse a varied one
                bad = [n for n in operand_names(arg) if n in self.varied]
                what = "/".join(k for k, v in arg.items() if set(operand_names(v)) & set(bad)) \
                    if isinstance(arg, dict) else pname
                if bad and name in self.useful:
                    raise self.parsed.error(
                        s, f"srcgrad has no derivative of {fn} with respect to its argument "
                           f"{what!r}, which depends on a differentiated value",
                        construct=fn, hint=f"pass a constant {pname}, or wrap it in "
                                           f"srcgrad.stop_gradient(...) if no derivative flows "
                                           f"through it")
            elif name in self.active and not (isinstance(arg, gast.Constant) and
                                              any(arg.value is a or arg.value == a and
                                                  type(arg.value) is type(a) for a in allowed)):
                raise self.parsed.error(
                    s, f"srcgrad differentiates {fn} only with {pname}="
                       f"{' or '.join(map(repr, allowed))}", construct=f"{fn}({pname}=...)",
                    hint=f"leave {pname} at its default, or register your own rule with "
                         f"srcgrad.defvjp")

    def _check_out(self, s, op):
        """``f(x, out=y)`` writes into ``y``: refused when a differentiated
        value is involved (srcgrad does not follow writes through ``out=``)."""
        call = s.value
        if not isinstance(call, gast.Call):
            return
        out = [k.value for k in call.keywords if k.arg == "out"]
        if op is not None and op.kind == "call" and "out" in op.args:
            out.append(op.args["out"])
        out = [o for o in out if not isinstance(o, _Default) and
               not (isinstance(o, gast.Constant) and o.value is None)]
        if not out:
            return
        involved = set(operand_names(call)) - {n.id for n in gast.walk(call.func)
                                               if isinstance(n, gast.Name)}
        if isinstance(call.func, gast.Attribute) and _root_is_local(call.func, self.locals):
            involved |= set(operand_names(call.func))
        if involved & self.varied:
            fn = _dotted(call.func)
            args = ", ".join([_source(a) for a in call.args] +
                             [f"{k.arg}={_source(k.value)}" for k in call.keywords
                              if k.arg != "out"])
            target = _source(out[0])
            raise self.parsed.error(
                s, f"{fn}(..., out={target}) writes its result into {target}; srcgrad does not "
                   f"differentiate writes through out=", construct="out= argument",
                hint=f"write {target} = {fn}({args})")

    def _check_iterator_use(self, s, op):
        """An iterator (``enumerate``, ``zip``, ``reversed``) is consumed by the
        primal: its derivative is known only to ``list``/``tuple``, the other
        iterators, and ``for`` loops."""
        if not self.iterators or op.kind in ("copy",) or not isinstance(s, gast.Assign):
            return
        if op.kind == "call" and op.rule is not None and \
                op.rule.name.split(" ")[-1].rstrip("0123456789") in _ITERATOR_CONSUMERS:
            return
        for n in op.diff_operands():
            if self.iterators.get(n) == "iterator" and n in self.active:
                raise self.parsed.error(
                    s, f"the iterator '{getattr(self, 'user_of', {}).get(n, n)}' (made by "
                       f"enumerate, zip or reversed) is used by {op.display or op.kind}; srcgrad "
                       f"differentiates iterators only through list(...), tuple(...) and for "
                       f"loops", construct="iterator",
                    hint="make a list first: items = list(zip(x, y))")

    def _check_call_stmt(self, s):
        """``f(x)`` as a statement of its own: a function without a rule may
        change its arguments in place (``np.copyto``, ``np.add.at``,
        ``random.shuffle``)."""
        call = s.value
        self._check_out(s, None)
        local = _root_is_local(call.func, self.locals)
        involved = set(operand_names(call)) if local else \
            set(operand_names(call)) - {n.id for n in gast.walk(call.func)
                                        if isinstance(n, gast.Name)}
        if not involved & self.varied:
            return
        fun = _MISSING if local else self.resolve(call.func)
        rule = lookup(fun) if fun is not _MISSING else None
        if rule is not None and not any(isinstance(a, gast.Starred) for a in call.args) and \
                all(k.arg is not None for k in call.keywords):
            try:
                rule.bind(list(call.args), {k.arg: k.value for k in call.keywords})
                return  # a primitive with a rule: pure apart from out= (checked above)
            except TypeError:
                pass    # outside its signature (np.multiply(x, k, out)): not understood
        elif fun is not _MISSING and rule is None and inspect.isfunction(fun) and \
                not primitive_library(fun):
            return      # a recursive call of the user's
        fn = _dotted(call.func)
        user = getattr(self, "user_of", {})
        params = {a.id for a in self.fn.args.args + self.fn.args.kwonlyargs
                  + self.fn.args.posonlyargs}
        names = sorted({user.get(n, n) for n in involved & self.varied if n in params})
        what = f" ({', '.join(map(repr, names))})" if names else ""
        how = "is called as a statement of its own" if isinstance(s, gast.Expr) else \
            "is called and its result is never used"
        raise self.parsed.error(
            s, f"{fn}(...) {how} with differentiated arguments{what}; srcgrad has no rule for "
               f"it and cannot tell whether it changes them in place", construct="call statement",
            hint=f"assign its result instead (y = {fn}(...)), register a rule with "
                 f"srcgrad.defvjp({fn}, ...), or pass srcgrad.stop_gradient(x) if no "
                 f"derivative flows through it")

    def _check_aliasing(self, assigns):
        """In-place writes are differentiated exactly when no other variable
        shares the written array's memory; refuse the cases where one may."""
        self.share, self.share_made_by_calls = _sharing(assigns)
        self.written_arrays = set()     # arrays written in place, and what may share them
        self._check_out_arguments()
        self._check_augmented(assigns)
        written = {s.srcgrad_op.args["x"].id for s in assigns
                   if s.srcgrad_op.kind in ("setitem", "append", "insert", "pop")}
        if not written:
            return
        for x in written:
            if x not in self.kind:
                self.written_arrays |= self.share.get(x, {x})
        # a field read out of a record (v = rec.w) is the record's own value:
        # writing into it changes the record, which the analysis does not follow
        for s in assigns:
            op = s.srcgrad_op
            if isinstance(s, gast.Assign) and op.kind == "attr" and \
                    isinstance(s.targets[0], gast.Name):
                t = s.targets[0].id
                hit = sorted(x for x in written if t in self.share.get(x, {x}))
                if hit:
                    user = getattr(self, "user_of", {})
                    rec, w = op.args["x"].id, user.get(hit[0], hit[0])
                    what = "is" if w == user.get(t, t) else f"shares memory with '{w}', which is"
                    raise self.parsed.error(
                        s, f"'{user.get(t, t)}' is the field .{op.extra} of "
                           f"'{user.get(rec, rec)}' itself and {what} written in place",
                        construct="in-place write into a record's field",
                        hint=f"take a copy: {user.get(t, t)} = "
                             f"np.copy({user.get(rec, rec)}.{op.extra})")
        self._check_read_out_of_containers(assigns)
        self._share_activity(assigns, written - set(self.kind))
        self._check_containers(assigns, written)
        # writing into a list or dict changes no element: only arrays have views
        arrays = {x for x in written if x not in self.kind}
        user = getattr(self, "user_of", {})
        params = {a.id for a in self.fn.args.args + self.fn.args.kwonlyargs
                  + self.fn.args.posonlyargs}
        views = {}
        copies = {}

        def aliased(s, a, b):
            return self.parsed.error(
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
                if (a in written or b in written) and user.get(a, a) != user.get(b, b):
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
            if id(s) in copies and copies[id(s)][0] in live:
                raise aliased(s, *copies[id(s)])
            op = getattr(s, "srcgrad_op", None)
            if op is None or op.kind != "setitem":
                return
            x = op.args["x"].id
            for v, where in views.get(x, {}).items():
                if v in reread or x in reread:    # guarded by whether it is a view
                    continue
                if v in live and where.srcgrad_op.kind == "subscript":
                    # a[i] is a copy or a view depending on a's rank: check when it runs
                    t, a = where.targets[0].id, where.srcgrad_op.args["x"].id
                    where.srcgrad_view_check = (t, a, user.get(t, t), user.get(a, a),
                                                 self.parsed.where(s.lineno))
                elif v in live and where.srcgrad_op.kind == "attr":
                    raise self.parsed.error(
                        s, f"an element of the field .{where.srcgrad_op.extra} of "
                           f"'{user.get(v, v)}' is written in place while '{user.get(v, v)}' is "
                           f"still used; srcgrad does not differentiate writes into an "
                           f"object's fields", construct="element assignment to an attribute",
                        hint=f"copy the field into a local array (a = {user.get(v, v)}."
                             f"{where.srcgrad_op.extra}.copy()), write into that, and build a "
                             f"new object from it")
                elif v in live:
                    raise self.parsed.error(
                        where, f"'{user.get(v, v)}' and '{user.get(x, x)}' may share memory (one "
                               f"may be a view of the other); '{user.get(x, x)}' is written in "
                               f"place (line {s.lineno}) while '{user.get(v, v)}' is still used",
                        construct="view of an array written in place",
                        hint="take a copy where the view is made, e.g. row = a[i].copy()")
            # names sharing x's memory less directly (b = a[1:]; c = a[:3]; b[0] = ...
            # changes c): checked when the code runs, where both certainly exist
            group = self.share.get(x, {x})
            for v in sorted(group - {x} - set(views.get(x, {})) - set(self.kind) - reread
                            if x not in reread else ()):
                if v not in live:
                    continue
                if v not in defined.get(id(s), ()):
                    raise self.parsed.error(
                        s, f"'{user.get(v, v)}' may share memory with '{user.get(x, x)}', which "
                           f"is written in place here while '{user.get(v, v)}' is still used",
                        construct="view of an array written in place",
                        hint=f"take a copy where the view is made: {user.get(v, v)} = ....copy()")
                s.srcgrad_alias_checks = getattr(s, "srcgrad_alias_checks", []) + [
                    (v, x, user.get(v, v), user.get(x, x), s.lineno,
                     bool(group & self.share_made_by_calls))]

        defined = _defined_before(self.fn.body, params)
        reread = getattr(self, "reread", set())
        live_before(self.fn.body, set(), visit)

    def _check_read_out_of_containers(self, assigns):
        """An array read out of a list, tuple, dict or object (``r = lst[0]``,
        ``w = p.w``) and then written into changes the container's element
        too, unseen: refused."""
        user = getattr(self, "user_of", {})
        for s in assigns:
            if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
                continue
            op, t = s.srcgrad_op, s.targets[0].id
            src = op.args.get("x") if op.kind in ("subscript", "attr") else None
            if not (isinstance(src, gast.Name) and src.id in self.kind) or t in self.kind:
                continue
            if t in self.written_arrays:
                ut, us = user.get(t, t), user.get(src.id, src.id)
                raise self.parsed.error(
                    s, f"'{ut}' is read out of '{us}' and then changed in place; the change "
                       f"would reach '{us}' unseen", construct="in-place change of an element",
                    hint=f"change a copy: {ut} = ....copy()")

    def _share_activity(self, assigns, written):
        """A write into ``v = u[1:]`` changes ``u`` too: a derivative written
        into an array reaches every name that may share its memory, and an
        array written into is useful if one of them is."""
        seed_v, seed_u = set(), set()
        while True:
            more_v, more_u = set(), set()
            for x in written:
                group = self.share.get(x, {x})
                if x in self.varied and group - self.varied:
                    more_v |= group - self.varied
                if group & self.useful and x not in self.useful:
                    more_u.add(x)
            if not more_v and not more_u:
                break
            seed_v |= more_v
            seed_u |= more_u
            self._varied(assigns, seed_v)
            self._useful(assigns, seed_u)
        if not seed_v and not seed_u:
            return
        self.active = self.varied & self.useful
        for s in assigns:
            if s.srcgrad_op.kind == "unknown" and defined_name(s) in self.active:
                raise self._no_rule(s, s.srcgrad_op)

    def _check_out_arguments(self):
        """``f(..., out=o)`` writes into ``o`` in place, which the analyses do
        not follow: refused when a derivative could flow through it; so are
        NumPy functions called for their effect (``np.add.at(a, i, v)``,
        ``np.copyto(a, b)``, ``np.put`` ...), which change an argument."""
        user = getattr(self, "user_of", {})
        order = list(walk_stmts(self.fn.body))
        in_loop = {id(b) for w in order if isinstance(w, (gast.For, gast.While))
                   for b in walk_stmts(w.body)}

        def read_before(s, targets):
            # a value of ``targets`` the reverse sweep may read (a use before
            # ``s``, or anywhere when ``s`` repeats in a loop) is overwritten
            if not targets & self.useful:
                return False
            for w in order:
                if w is s:
                    if id(s) not in in_loop:
                        return False
                    continue
                if isinstance(w, gast.Assign) and \
                        targets & {n.id for n in gast.walk(w.value) if isinstance(n, gast.Name)}:
                    return True
            return False

        for s in order:
            if not isinstance(s, (gast.Assign, gast.Expr)):
                continue
            if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and \
                    _numpy_writer(self.resolve(s.value.func)):
                call = s.value
                names = {n.id for a in list(call.args[1:]) + [k.value for k in call.keywords]
                         for n in gast.walk(a) if isinstance(n, gast.Name)}
                target = {n.id for n in gast.walk(call.args[0]) if isinstance(n, gast.Name)} \
                    if call.args else set()
                # a derivative flows into the changed array, or one it had is lost
                if names & self.varied or target & self.varied & self.useful or \
                        read_before(s, target):
                    shown = _dotted(call.func)
                    first = call.args[0] if call.args else None
                    changed = user.get(first.id, first.id) if isinstance(first, gast.Name) \
                        else "its argument"
                    raise self.parsed.error(
                        s, f"'{shown}(...)' is called for its effect: it changes '{changed}' in "
                           f"place, which srcgrad does not follow",
                        construct="NumPy function changing an array in place",
                        hint=f"write the change as an assignment, e.g. {changed}[i] = "
                             f"{changed}[i] + v, or {changed} = ... with the new value")
            for call in gast.walk(s.value):
                if not isinstance(call, gast.Call):
                    continue
                out = next((k.value for k in call.keywords if k.arg == "out"), None)
                if out is None or isinstance(out, gast.Constant) and out.value is None:
                    continue
                names = {n.id for a in list(call.args) + [k.value for k in call.keywords
                                                          if k.arg != "out"]
                         for n in gast.walk(a) if isinstance(n, gast.Name)}
                target = {n.id for n in gast.walk(out) if isinstance(n, gast.Name)}
                # a derivative flows into the written array, or one it had is lost
                if names & self.varied or target & self.varied & self.useful or \
                        read_before(s, target):
                    shown = user.get(out.id, out.id) if isinstance(out, gast.Name) else "out"
                    raise self.parsed.error(
                        s, f"'{_dotted(call.func)}(..., out={shown})' writes its result into "
                           f"'{shown}' in place, which srcgrad does not follow",
                        construct="out= argument",
                        hint=f"assign the result instead: {shown} = {_dotted(call.func)}(...)")

    def _check_augmented(self, assigns=()):
        """``v += e`` on a name is ``v = v + e`` after normalising, which is
        what Python does unless ``v``'s array is shared with another variable
        still in use (a view ``v = u[1:]``, ``u`` itself, a second name): then
        Python changes both.  Such sharing is checked when the code runs
        (``not_a_view``): an error, not a silently different derivative."""
        user = getattr(self, "user_of", {})

        def visit(s, live):
            v = getattr(s, "value", None)
            if not (isinstance(s, gast.Assign) and getattr(v, "srcgrad_inplace", False)
                    and isinstance(v, gast.BinOp) and isinstance(v.left, gast.Name)):
                return
            x, t = v.left.id, s.targets[0].id
            if x in self.kind:
                return
            checks = []
            # containers the array was put into (p = P(b=x); x *= 2 changes p.b)
            group = self.share.get(x, {x})
            for c in sorted({c for n in group for c in packed_into.get(n, ())} - {x, t}):
                if c in live:
                    checks.append((x, c, user.get(x, x), user.get(c, c), s.lineno))
            for y in sorted(self.share.get(x, set()) - {x, t}):
                if y in live and y not in defined.get(id(s), ()):
                    raise self.parsed.error(
                        s, f"'{user.get(x, x)}' may share memory with '{user.get(y, y)}', and "
                           f"'{user.get(x, x)} {_op_symbol(v.op)}= ...' changes it in place",
                        construct="augmented assignment to a shared array",
                        hint=f"take a copy where '{user.get(x, x)}' is made: ....copy()")
                if y in live:
                    checks.append((x, y, user.get(x, x), user.get(y, y),
                                   self.parsed.where(s.lineno)))
            if checks:
                s.srcgrad_alias_checks = [c + (True,) for c in checks]

        packed_into = {}        # name -> the containers holding its value, at any depth
        for s in assigns:
            op = getattr(s, "srcgrad_op", None)
            if op is None or not isinstance(s, gast.Assign) or \
                    not isinstance(s.targets[0], gast.Name):
                continue
            if op.kind in ("pack", "pack_dict") or op.kind == "call" and \
                    getattr(op.rule, "name", None) in ("list", "concat"):
                for n in op.diff_operands():
                    packed_into.setdefault(n, set()).add(s.targets[0].id)
        changed = True
        while changed:
            changed = False
            for n, cs in packed_into.items():
                more = {d for c in cs for d in packed_into.get(c, ())} - cs
                if more:
                    cs |= more
                    changed = True
        params = {a.id for a in self.fn.args.args + self.fn.args.kwonlyargs
                  + self.fn.args.posonlyargs}
        defined = _defined_before(self.fn.body, params)
        live_before(self.fn.body, set(), visit)

    def _check_containers(self, assigns, mutated):
        """A list or dict changed in place must not be an element of another
        container or of an argument (the change would reach it unseen)."""
        user = getattr(self, "user_of", {})
        changed_by_method = {s.srcgrad_op.args["x"].id for s in assigns
                             if isinstance(s, gast.Expr) and s.srcgrad_op.kind != "unknown"}
        for s in assigns:
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and \
                    s.targets[0].id in mutated and s.srcgrad_op.kind in ("subscript", "attr") \
                    and (s.targets[0].id in self.kind or s.targets[0].id in changed_by_method):
                ux = user.get(s.targets[0].id, s.targets[0].id)
                raise self.parsed.error(
                    s, f"'{ux}' is read out of another container and then changed in "
                       f"place; the change would reach that container unseen",
                    construct="in-place change of a nested container",
                    hint=f"change a copy: {ux} = list({ux}) or {ux} = dict({ux})")

        def stores(op):
            if op.kind in ("append", "insert") or op.kind == "setitem" and \
                    op.args["x"].id in self.kind:
                return [op.args["v"]]
            if op.kind in ("pack", "pack_dict"):
                return list(op.args.values())
            return []

        # names that may hold the same object: copies (b = x; b[0] = ...
        # changes the x stored before)
        names = connected([(s.targets[0].id, s.srcgrad_op.args["x"].id) for s in assigns
                           if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                           and s.srcgrad_op.kind == "copy"
                           and isinstance(s.srcgrad_op.args["x"], gast.Name)
                           and not getattr(s, "srcgrad_phi", False)])

        def group(x):
            return names.get(x, {x})

        def walk(stmts, stored):
            for s in stmts:
                if isinstance(s, (gast.For, gast.While)):
                    for _ in range(2):
                        walk(s.body, stored)
                    continue
                if isinstance(s, gast.If):
                    a, b = set(stored), set(stored)
                    walk(s.body, a)
                    walk(s.orelse, b)
                    stored |= a | b
                    continue
                op = getattr(s, "srcgrad_op", None)
                if op is None:
                    continue
                if op.kind in ("setitem", "append", "insert", "pop") and \
                        group(op.args["x"].id) & stored:
                    ux = user.get(op.args["x"].id, op.args["x"].id)
                    raise self.parsed.error(
                        s, f"'{ux}' is changed in place after it (or a name sharing its memory) was put into another "
                           f"container, which the change would reach unseen",
                        construct="in-place change of a stored container",
                        hint=f"put a copy into the other container: list({ux}), dict({ux})")
                for v in stores(op):
                    if isinstance(v, gast.Name) and group(v.id) & mutated:
                        stored.add(v.id)
                if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                    stored.discard(s.targets[0].id)

        walk(self.fn.body, set())

    def _no_rule(self, s, op):
        fun = op.fun
        if isinstance(op.extra, tuple) and len(op.extra) == 2:       # (message, hint)
            return self.parsed.error(s, op.extra[0], construct=op.display, hint=op.extra[1])
        if inspect.isclass(fun) and getattr(fun, "__module__", None) != "builtins":
            return self.parsed.error(
                s, f"making a {fun.__qualname__} object from differentiated values is not "
                   f"supported: srcgrad knows how the fields of named tuples and of dataclasses "
                   f"without __post_init__ relate to their arguments, not those of other classes",
                construct="object construction",
                hint="pass the values in a dict, a tuple or a plain dataclass, or register a "
                     f"rule: srcgrad.defvjp({op.display}, ...)")
        if inspect.ismethod(fun) and not inspect.isclass(fun.__self__):
            # a method of a library object: scipy.stats.t.logpdf
            return self.parsed.error(
                s, f"no derivative rule for {op.display}, the method {fun.__name__} of a "
                   f"{type(fun.__self__).__name__} object (srcgrad does not differentiate "
                   f"library code)", construct="call",
                hint=f"register one: srcgrad.defvjp({op.display}, \"<its parameters>\", "
                     f"\"<adjoint of each>\"), or wrap the argument in srcgrad.stop_gradient(...)")
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
                 "so srcgrad can inline them or use their rule (srcgrad.defvjp registers one, "
                 "srcgrad.nondifferentiable marks a function without derivative); or wrap the "
                 "value in srcgrad.stop_gradient(...) if it needs no derivative")

    def assuming_scalar(self, params):
        """A copy of this analysis whose shape facts assume ``params`` are
        scalars (for the specialised version of the gradient)."""
        import copy
        other = copy.copy(self)
        other._shapes(list(iter_assigns(self.fn.body)), set(params))
        other.floats = other._floats(set(params))
        return other

    def _floats(self, params):
        """Names that certainly hold floats (or float arrays: never ints) when
        ``params`` are floats: constants, arithmetic with a float operand,
        divisions, differentiable elementwise functions of floats (a least
        fixpoint over every definition)."""
        defs = {}
        for s in iter_assigns(self.fn.body):
            if isinstance(s.targets[0], gast.Name):
                defs.setdefault(s.targets[0].id, []).append(s)
        floats = set(params)

        def is_float(node):
            return isinstance(node, gast.Constant) and isinstance(node.value, float) or \
                isinstance(node, gast.Name) and node.id in floats

        def makes_float(s):
            v, op = s.value, s.srcgrad_op
            if isinstance(v, (gast.Constant, gast.Name)):
                return is_float(v)
            if isinstance(v, gast.BinOp) and isinstance(v.op, gast.Div):
                return True
            if isinstance(v, gast.BinOp) and isinstance(v.op, (gast.Add, gast.Sub, gast.Mult)):
                return is_float(v.left) or is_float(v.right)
            if isinstance(v, gast.UnaryOp) and isinstance(v.op, (gast.USub, gast.UAdd)):
                return is_float(v.operand)
            if op.kind == "call" and op.rule is not None and op.rule.differentiable and \
                    op.rule.kind in ("elementwise", "scalar") and isinstance(v, gast.Call):
                return any(is_float(a) for a in op.args.values()) and all(
                    is_float(a) or isinstance(a, _Default) for a in op.args.values())
            return False

        changed = True
        while changed:
            changed = False
            for name, ss in defs.items():
                if name not in floats and all(makes_float(s) for s in ss):
                    floats.add(name)
                    changed = True
        return floats

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

        def bool_scalar(v):
            """Whether the (unflattened) test expression ``v`` is certainly a
            scalar: ``not``, ``in`` and ``is`` give bools, an elementwise
            comparison only of scalars, ``and``/``or`` one of their operands."""
            if isinstance(v, gast.UnaryOp) and isinstance(v.op, gast.Not):
                return True
            if isinstance(v, gast.Compare):
                if all(isinstance(o, (gast.In, gast.NotIn, gast.Is, gast.IsNot)) for o in v.ops):
                    return True
                return all(bool_scalar(e) for e in [v.left] + list(v.comparators))
            if isinstance(v, gast.BoolOp):
                return all(bool_scalar(e) for e in v.values)
            return is_scalar(v)

        def makes_scalar(s):
            op, v = s.srcgrad_op, s.value
            if getattr(s, "srcgrad_unbound", False):
                return True      # the placeholder of a name first assigned in a loop (ssa)
            if op.kind == "const":
                value = v.value if isinstance(v, gast.Constant) else self.resolve(v)
                return isinstance(value, (int, float, bool))
            if op.kind == "inactive":
                # a comparison of arrays is an array (``np.array(...) > 0``)
                return bool_scalar(v)
            if op.kind == "copy":
                return is_scalar(op.args["x"])
            if op.kind == "call":
                kind = op.rule.kind
                if kind == "scalar" or op.fun in (len, int, float, bool, round):
                    return True
                if kind == "elementwise":
                    return all(is_scalar(a) for a in op.args.values())
                if kind == "reduction":     # no axis (None) and no keepdims (False)
                    if not isinstance(op.args.get("returned", _Default(False)), _Default):
                        return False        # np.average(..., returned=True): a pair
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
        # Reads of one array value with indices that select the same shape
        # (``x[1:]`` and ``x[:-1]``, ``x[i]`` and ``x[0]``) have one shape.
        in_loops = {n for loop in _loops(self.fn.body) for st in walk_stmts(loop.body)
                    if isinstance(st, gast.Assign) for t in st.targets
                    for n in _stored(t)}
        first_of = {}
        for name, ss in defs.items():
            op = ss[0].srcgrad_op
            if len(ss) != 1 or op.kind != "subscript" or not isinstance(op.args["x"], gast.Name):
                continue
            base = op.args["x"].id
            if len(defs.get(base, ())) > 1 or base in in_loops or base in self.kind:
                continue
            key = _index_shape_key(op.args["index"], loop_targets)
            if key is None:
                continue
            rep = first_of.setdefault((base, key), name)
            if rep != name:     # (not a shape parent: ``rep`` may not have run)
                union(rep, name)
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


class _ViewReads:
    """A view ``v = a[index]`` read after a write into ``a``'s memory reads
    the new values.  Where ``v``, ``a`` and the names in ``index`` are each
    assigned once, in the function's top level (so they keep their values to
    the end), every later read of ``v`` reads ``a[index]`` again at that
    point -- when ``v`` really is a view (``flag = is_view(v, a)``, found
    when the code runs; a list's slice is a copy) -- so the write is seen by
    the derivative exactly as by the primal::

        v = u[1:]                          v = u[1:]
        ...                                v_is_view = is_view(v, u)
        s = np.sum(v)            ->        if v_is_view: v_now = u[1:]
                                           else: v_now = v
                                           s = np.sum(v_now)

    ``v += e`` (normalised to ``v_1 = v + e``) on such a view writes into
    ``a`` as Python does: ``a[index] = v + e`` and ``v_1`` is the view again."""

    def __init__(self, an):
        self.an = an
        self.fn = an.fn
        self.taken = {n.id for n in gast.walk(self.fn) if isinstance(n, gast.Name)}
        self.cands = {}           # view name -> (array name, index node, flag name)

    def fresh(self, base):
        k, name = 0, base
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name

    def run(self):
        body = self.fn.body
        params = {a.id for a in self.fn.args.args + self.fn.args.kwonlyargs
                  + self.fn.args.posonlyargs}
        count = {p: 1 for p in params}
        written = set()
        for s in walk_stmts(body):
            if isinstance(s, gast.Assign):
                for t in s.targets:
                    if isinstance(t, gast.Name):
                        count[t.id] = count.get(t.id, 0) + 1
                    elif isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
                        written.add(t.value.id)
            elif isinstance(s, gast.For):
                for n in gast.walk(s.target):
                    if isinstance(n, gast.Name):
                        count[n.id] = count.get(n.id, 0) + 2
        inplace = {s.value.left.id for s in walk_stmts(body) if isinstance(s, gast.Assign)
                   and getattr(s.value, "srcgrad_inplace", False)
                   and isinstance(s.value.left, gast.Name)}
        top = set(params) | {s.targets[0].id for s in body if isinstance(s, gast.Assign)
                             and isinstance(s.targets[0], gast.Name)}
        once = {n for n in top if count.get(n) == 1}
        share = _sharing_syntactic(body)
        for s in body:
            if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                    and isinstance(s.value, gast.Subscript)
                    and isinstance(s.value.value, gast.Name)):
                continue
            v, a, index = s.targets[0].id, s.value.value.id, s.value.slice
            if v not in once or a not in once or a in self.an.kind or v in self.an.kind:
                continue
            if any(isinstance(n, gast.Name) and n.id not in once for n in gast.walk(index)):
                continue
            if not (share.get(a, {a}) & (written | inplace)):
                continue
            if any(isinstance(w, gast.While) and v in _names(w.test) for w in walk_stmts(body)):
                continue
            self.cands[v] = (a, index, None, s)
        # writes must go into a itself, or through views of it that are candidates
        # too (rewritten as writes into a); others are checked as before
        # (and the array is not itself a view read again: v = w[::-1] with w = a[:2])
        updates = [(s.targets[0].id, s.value.left.id) for s in walk_stmts(body)
                   if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                   and getattr(s.value, "srcgrad_inplace", False)
                   and isinstance(s.value.left, gast.Name)]
        # ``t = v op e`` for ``v += e`` on a view ``v`` makes ``t`` a view too
        # (see augmented): a view of ``t`` is a view read again as well
        augmented = {s.targets[0].id: s.value.left.id for s in body
                     if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                     and getattr(s.value, "srcgrad_inplace", False)
                     and isinstance(s.value.left, gast.Name)}
        # names bound to the same array as another: b = a, b = a + e as a += e
        same = {}
        for s in walk_stmts(body):
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                val = s.value
                if isinstance(val, gast.BinOp) and getattr(val, "srcgrad_inplace", False):
                    val = val.left
                if isinstance(val, gast.Name):
                    same.setdefault(s.targets[0].id, set()).add(val.id)

        def same_array(a):
            out, todo = set(), [a]
            while todo:
                n = todo.pop()
                if n not in out:
                    out.add(n)
                    todo.extend(same.get(n, ()))
            return out

        while True:
            # ``v += e`` on a candidate view makes the new ``v`` a view too
            # (``augmented``): a view of that is a view of a view as well
            views = set(self.cands)
            while True:
                more = {t for t, x in updates if x in views} - views
                if not more:
                    break
                views |= more
            drop = {v for v, (a, _, _, _) in self.cands.items()
                    if a in views or augmented.get(a) in views or \
                            same_array(a) & set(self.cands) or
                    share.get(a, {a}) & written - {a} - {w for w, c in self.cands.items()
                                                         if c[0] == a}}
            # ``t = v op e`` (v += e on the view) whose name is bound again later
            # (t = np.cos(t) in a loop): t is then not always the view; the
            # ordinary checks decide (fuzz seed 17968)
            drop |= {v for t, v in updates if v in self.cands and count.get(t, 0) > 1}
            if not drop:
                break
            for v in drop:
                del self.cands[v]
        if not self.cands:
            return
        self.family = {v: share.get(a, {a}) for v, (a, _, _, _) in self.cands.items()}
        self.dirty = set()          # views whose array may have been written since
        self.flags = {}
        self.used = set()
        self.fn.body = self.block(body, top_level=True)
        # reads after a write are guarded by the flag: no view check for these
        self.an.reread = set(self.used)
        unused = {id(self.flags[v]) for v in self.flags if v not in self.used}
        if unused:
            self.fn.body = [s for s in self.fn.body if id(s) not in unused]

    def writes(self, node):
        """The candidate views whose array ``node`` (a statement, at any
        depth) may write into."""
        out = set()
        for s in walk_stmts([node]):
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript) and \
                    isinstance(s.targets[0].value, gast.Name):
                x = s.targets[0].value.id
                out |= {v for v, fam in self.family.items() if x in fam}
            elif isinstance(s, gast.Assign) and getattr(s.value, "srcgrad_inplace", False) and \
                    isinstance(s.value.left, gast.Name) and s.value.left.id in self.family:
                out |= {v for v, fam in self.family.items()
                        if fam & self.family[s.value.left.id]}
        return out

    def rederive(self, v, out, where):
        """Statements reading ``a[index]`` again into a new name (if ``v`` is
        a view), appended to ``out``; the new name."""
        a, index, flag, _ = self.cands[v]
        new = self.fresh(v + "_now")
        self.an.locals.add(new)
        self.an.user_of[new] = self.an.user_of.get(v, v)
        fresh = gast.Assign(targets=[gast.Name(id=new, ctx=gast.Store(), annotation=None,
                                               type_comment=None)],
                            value=gast.Subscript(value=load(a), slice=copy.deepcopy(index),
                                                 ctx=gast.Load()), type_comment=None)
        same = gast.Assign(targets=[gast.Name(id=new, ctx=gast.Store(), annotation=None,
                                              type_comment=None)],
                           value=load(v), type_comment=None)
        same.srcgrad_phi = True
        branch = gast.If(test=load(flag), body=[gast.copy_location(fresh, where)],
                         orelse=[gast.copy_location(same, where)])
        out.append(gast.copy_location(branch, where))
        return new

    def rename(self, node, v, new):
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id == v:
                n.id = new

    def reads(self, node):
        found = [v for v in dict.fromkeys(n.id for n in gast.walk(node)
                                          if isinstance(n, gast.Name)
                                          and isinstance(n.ctx, gast.Load))
                 if v in self.cands and self.cands[v][2] is not None and v in self.dirty]
        self.used |= set(found)
        return found

    def block(self, stmts, top_level=False):
        out = []
        for s in stmts:
            if isinstance(s, (gast.If, gast.For, gast.While)):
                # a loop reads in one iteration what an earlier one wrote
                self.dirty |= self.writes(s)
            if isinstance(s, gast.If):
                for v in self.reads(s.test):
                    self.rename(s.test, v, self.rederive(v, out, s))
                s.body = self.block(s.body)
                s.orelse = self.block(s.orelse)
                out.append(s)
                continue
            if isinstance(s, (gast.For, gast.While)):
                if isinstance(s, gast.For):
                    for v in self.reads(s.iter):
                        self.rename(s.iter, v, self.rederive(v, out, s))
                s.body = self.block(s.body)
                out.append(s)
                continue
            if isinstance(s, gast.Return) and s.value is not None:
                for v in self.reads(s.value):
                    self.rename(s.value, v, self.rederive(v, out, s))
                out.append(s)
                continue
            if not isinstance(s, (gast.Assign, gast.Expr)):
                out.append(s)
                continue
            target = s.targets[0] if isinstance(s, gast.Assign) else None
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) and \
                    target.value.id in self.cands:
                v = target.value.id
                if self.cands[v][2] is None:
                    out.append(s)
                    continue
                for r in self.reads(s.value) + self.reads(target.slice):
                    new = self.rederive(r, out, s)
                    self.rename(s.value, r, new)
                    self.rename(target.slice, r, new)
                self.used.add(v)
                out.append(self.write_through(s, v))
                self.dirty |= self.writes(s)
                continue
            v_aug = None
            if top_level and isinstance(target, gast.Name) and \
                    getattr(s.value, "srcgrad_inplace", False) and \
                    isinstance(s.value.left, gast.Name) and s.value.left.id in self.cands and \
                    self.cands[s.value.left.id][2] is not None:
                v_aug = s.value.left.id
            for v in self.reads(s):
                self.rename(s, v, self.rederive(v, out, s))
            self.dirty |= self.writes(s)
            if v_aug is not None:
                self.used.add(v_aug)
                out.extend(self.augmented(s, v_aug))
                continue
            out.append(s)
            if isinstance(target, gast.Name) and target.id in self.cands and \
                    self.cands[target.id][3] is s:
                a, index, _, _ = self.cands[target.id]
                flag = self.fresh(target.id + "_is_view")
                self.an.locals.add(flag)
                helper = self.helper("is_view", runtime.is_view)
                test = gast.Assign(targets=[gast.Name(id=flag, ctx=gast.Store(), annotation=None,
                                                      type_comment=None)],
                                   value=gast.Call(func=load(helper),
                                                   args=[load(target.id), load(a)], keywords=[]),
                                   type_comment=None)
                out.append(gast.copy_location(test, s))
                self.flags[target.id] = test
                self.cands[target.id] = (a, index, flag, s)
        return out

    def helper(self, name, fun):
        """The name under which generated code calls runtime helper ``fun``."""
        if self.an.parsed.extras.get(name) is not fun:
            name = self.fresh(name)
            self.an.parsed.extras[name] = fun
        return name

    def write_through(self, s, v):
        """``v[i] = e`` on a view ``v = a[index]`` changes ``a``: written as a
        change of a copy of ``a[index]`` put back into ``a``."""
        a, index, flag, _ = self.cands[v]
        view, part = self.fresh(v + "_now"), self.fresh(v + "_part")
        self.an.locals |= {view, part}
        read = assign(view, gast.Subscript(value=load(a), slice=copy.deepcopy(index),
                                           ctx=gast.Load()))
        take = assign(part, gast.Call(func=load(self.helper("own", runtime.own)),
                                      args=[load(view)], keywords=[]))
        change = gast.Assign(targets=[gast.Subscript(value=load(part),
                                                     slice=copy.deepcopy(s.targets[0].slice),
                                                     ctx=gast.Store())],
                             value=copy.deepcopy(s.value), type_comment=None)
        put = gast.Assign(targets=[gast.Subscript(value=load(a), slice=copy.deepcopy(index),
                                                  ctx=gast.Store())],
                          value=load(part), type_comment=None)
        branch = gast.If(test=load(flag), body=[gast.copy_location(x, s) for x in
                                                (read, take, change, put)], orelse=[s])
        return gast.copy_location(branch, s)

    def augmented(self, s, v):
        """``t = v op e`` for ``v += e`` on a view ``v = a[index]``: Python
        changes ``a``; ``t`` is the same view."""
        a, index, flag, _ = self.cands[v]
        t = s.targets[0].id
        tmp = self.fresh(t + "_value")
        self.an.locals.add(tmp)
        del s.value.srcgrad_inplace
        compute = gast.copy_location(assign(tmp, s.value), s)
        write = gast.Assign(targets=[gast.Subscript(value=load(a), slice=copy.deepcopy(index),
                                                    ctx=gast.Store())],
                            value=load(tmp), type_comment=None)
        view = assign(t, gast.Subscript(value=load(a), slice=copy.deepcopy(index),
                                        ctx=gast.Load()))
        plain = assign(t, load(tmp))
        plain.srcgrad_phi = True
        branch = gast.If(test=load(flag), body=[gast.copy_location(write, s),
                                                gast.copy_location(view, s)],
                         orelse=[gast.copy_location(plain, s)])
        self.cands[t] = (a, index, flag, s)
        self.family[t] = self.family[v]
        self.dirty.add(t)
        return [compute, gast.copy_location(branch, s)]


#: NumPy functions that change an argument in place
_NUMPY_WRITERS = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal, np.put_along_axis,
                  np.random.shuffle, np.ndarray.sort, np.ndarray.fill, np.ndarray.put,
                  np.ndarray.partition, np.ndarray.resize}


def _numpy_writer(fun):
    """A NumPy function that changes an argument in place (``np.copyto``,
    ``np.put``, a ufunc's ``at``: ``np.add.at``)."""
    if isinstance(getattr(fun, "__self__", None), np.ufunc) and \
            getattr(fun, "__name__", None) == "at":
        return True
    try:
        return fun in _NUMPY_WRITERS
    except TypeError:
        return False


def _names(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def _syntactic_view_root(value):
    """The name whose array ``value`` may be (or be a view of): through
    subscripts and view attributes and functions (``m.T``, ``m[1:].reshape(2, 2)``,
    ``np.transpose(m)``), or None."""
    while True:
        if isinstance(value, gast.Subscript):
            value = value.value
        elif isinstance(value, gast.BinOp) and getattr(value, "srcgrad_inplace", False):
            value = value.left                            # v += e changes v's array
        elif isinstance(value, gast.Attribute) and value.attr in VIEW_NAMES:
            value = value.value
        elif isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
                value.func.attr in VIEW_NAMES:
            if isinstance(value.func.value, (gast.Name, gast.Subscript)) and \
                    _syntactic_view_root(value.func.value) is not None and \
                    not (isinstance(value.func.value, gast.Name) and
                         value.func.value.id in ("np", "numpy")):
                value = value.func.value                      # m.reshape(...)
            elif value.args:
                value = value.args[0]                         # np.transpose(m)
            else:
                return None
        else:
            return value.id if isinstance(value, gast.Name) else None


def _sharing_syntactic(body):
    """Names connected by copies and subscripts (before the operations are
    resolved)."""
    links = []
    for s in walk_stmts(body):
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            v = _syntactic_view_root(s.value)
            if v is not None:
                links.append((s.targets[0].id, v))
    return connected(links)


#: srcgrad's own helpers that may return their first argument itself
#: (in generated code, which hvp differentiates)
IDENTITY_HELPERS = {runtime.unbroadcast, runtime.fit, runtime.expand}


def _sharing(assigns):
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


def _defined_before(body, params):
    """For each statement (by id), the names certainly assigned before it
    runs (on every path: both branches of an ``if``; a loop's body may not
    run, but within it what the iteration assigned before counts)."""
    out = {}

    def walk(stmts, defined):
        for s in stmts:
            out[id(s)] = frozenset(defined)
            if isinstance(s, gast.Assign):
                defined |= {n.id for t in s.targets for n in gast.walk(t)
                            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
            elif isinstance(s, gast.If):
                a = walk(s.body, set(defined))
                b = walk(s.orelse, set(defined))
                defined |= a & b
            elif isinstance(s, (gast.For, gast.While)):
                inner = set(defined)
                if isinstance(s, gast.For):
                    inner |= {n.id for n in gast.walk(s.target) if isinstance(n, gast.Name)}
                walk(s.body, inner)
        return defined

    walk(body, set(params))
    return out


def _stored(target):
    return [n.id for n in gast.walk(target) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Store)]


def _index_shape_key(index, ints):
    """A key such that two reads ``x[i]``, ``x[j]`` of one array with equal
    keys certainly have the same shape, or None.  ``a:b`` with ``a >= 0``
    and ``b <= 0`` (or omitted) selects ``max(0, n - (a - b))`` of ``n``
    items, so ``x[1:]`` and ``x[:-1]`` agree; any integer (a constant or a
    ``range`` loop variable, ``ints``) removes its axis."""
    def const_int(node):
        return isinstance(node, gast.Constant) and type(node.value) is int

    if isinstance(index, gast.Tuple):
        keys = tuple(_index_shape_key(e, ints) for e in index.elts)
        return None if any(k is None for k in keys) else ("tuple",) + keys
    if const_int(index) or isinstance(index, gast.Name) and index.id in ints:
        return "int"
    if isinstance(index, gast.Constant) and (index.value is None or index.value is Ellipsis):
        return repr(index.value)
    if isinstance(index, gast.Slice):
        parts = (index.lower, index.upper, index.step)
        if not all(p is None or const_int(p) or isinstance(p, gast.UnaryOp) and
                   isinstance(p.op, gast.USub) and const_int(p.operand) for p in parts):
            return None
        lo, up, st = (None if p is None else p.value if const_int(p) else -p.operand.value
                      for p in parts)
        if st is None and (lo is None or lo >= 0) and (up is None or up <= 0):
            return ("shift", (lo or 0) - (up or 0))
        return ("slice", lo, up, st)
    return None


def _plain_dataclass(cls):
    """A dataclass whose instances hold exactly their ``__init__`` arguments
    (no ``__post_init__``, no field computed outside ``__init__``)."""
    import dataclasses
    return isinstance(cls, type) and dataclasses.is_dataclass(cls) and \
        not hasattr(cls, "__post_init__") and \
        all(f.init for f in dataclasses.fields(cls)) and \
        "__init__" not in {k for c in cls.__mro__[:-1] if not dataclasses.is_dataclass(c)
                           for k in vars(c)}


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


def _source(node):
    try:
        return gast.unparse(node) if hasattr(gast, "unparse") else \
            __import__("ast").unparse(gast.gast_to_ast(node))
    except Exception:       # noqa: BLE001 -- only for a message
        return "..."


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


def analyse(parsed, fn, wrt, locals_, user_of=None, driver=None, scalar_result=True):
    a = Analysis(parsed, fn, wrt, locals_, driver)
    a.user_of = user_of or {}
    a.scalar_result = scalar_result
    return a.run()


# ---------------------------------------------------------------------------
# containers: lists, tuples, dicts, records (named tuples, dataclasses, objects)

#: methods that change a list or dict in place; statements calling them on a
#: local value are analysed (``append``, ``insert``, ``pop`` are differentiated)
CONTAINER_METHODS = {"append", "insert", "pop", "extend", "remove", "clear", "sort", "reverse",
                     "update", "setdefault", "popitem", "add", "discard"}
_SEQ_FUNCTIONS = {builtins.max, builtins.min, builtins.list, builtins.tuple, builtins.enumerate,
                  builtins.zip, builtins.reversed, builtins.sorted, builtins.sum}
#: arguments of rules checked by the analysis: None -- the rule has no derivative
#: with respect to it (refused when it is varied); a tuple -- the values the rule
#: covers (refused otherwise when the result is active)
_PARAM_LIMITS = {
    np.var: {"ddof": None, "correction": None},
    np.std: {"ddof": None, "correction": None},
    np.linalg.norm: {"ord": None},
    np.pad: {"kwargs": None},                  # constant_values, end_values
    np.linspace: {"retstep": (False,)},
    # obj.get(key) is differentiated as dict.get: a differentiated key means obj is no dict
    dict.get: {"key": None},
    # np.einsum(A, [0, 1], [1, 0]): the sublist form binds an operand to "subscripts"
    np.einsum: {"subscripts": ("np.einsum's sublist form (operands interleaved with lists of "
                               "axis numbers) is not differentiated",
                               "write the subscripts as a string: np.einsum('ij->ji', A)")},
}
#: rule name of the container rules whose result is an iterator or a dict view
_ITERATOR_RULES = {"container enumerate": "iterator", "container reversed": "iterator",
                   "container values": "view", "container items": "view"}
_ITERATOR_RULES.update({f"container zip{n}": "iterator" for n in range(1, 33)})
#: container rules that may consume an iterator
_ITERATOR_CONSUMERS = {"iter_list", "enumerate", "reversed", "zip"}
#: methods of dicts differentiated (or known to carry no derivative) on a local value
DICT_METHODS = {"get", "keys", "values", "items"}
_CONTAINER_RULES = {}


def _container_rule(which):
    """Rules of operations whose derivative depends on their arguments being
    containers (made here, not registered: ``max(a, b)`` keeps its own)."""
    if which not in _CONTAINER_RULES:
        ns = vars(runtime)
        spec = {
            "copy": ("x", ["g"], {"x": "shallow_copy(t)"}),
            "extreme": ("iterable", ["seq_extreme_dx(g, iterable, ans)"],
                        {"iterable": "seq_extreme_tangent(t, iterable, ans)"}),
            "list": ("iterable", ["list_dx(g, iterable)"],
                     {"iterable": "list_tangent(t, iterable)"}),
            "concat": ("x, y", ["concat_dx(g, x, y, 0)", "concat_dx(g, x, y, 1)"],
                       {"x": "concat_tangent(t, x, y, 0)", "y": "concat_tangent(t, x, y, 1)"}),
            # list(it) of an iterator or a dict view (enumerate, zip, reversed, d.items())
            "iter_list": ("iterable", ["iter_list_dx(g, iterable)"],
                          {"iterable": "iter_list_tangent(t, iterable, ans)"}),
            "enumerate": ("iterable, start=0", ["enumerate_dx(g, iterable)"],
                          {"iterable": "enumerate_tangent(t, iterable)"}),
            "reversed": ("seq", ["reversed_dx(g, seq)"], {"seq": "reversed_tangent(t, seq)"}),
            "sorted": ("iterable, /, *, key=None, reverse=False",
                       ["sorted_dx(g, iterable, key, reverse)"],
                       {"iterable": "sorted_tangent(t, iterable, key, reverse)"}),
            "get": ("x, key, default=None", ["get_dx(g, x, key)", None,
                                             "get_default_dx(g, x, key, default)"],
                    {"x": "get_tangent(t, x, key, ans)",
                     "default": "get_default_tangent(t, x, key, ans)"}),
            "values": ("x", ["values_dx(g, x)"], {"x": "values_tangent(t, x)"}),
            "items": ("x", ["items_dx(g, x)"], {"x": "items_tangent(t, x)"}),
            "sum_view": ("iterable", ["view_sum_dx(g, iterable)"], {"iterable": "sum(t)"}),
        }.get(which)
        if spec is None and which.startswith("index_concat"):
            # np.r_[x0, x1, ...] / np.c_[...] of n items ("kind" is "r" or "c")
            n = int(which[len("index_concat"):])
            names = [f"x{i}" for i in range(n)]
            items = ", ".join(names)
            spec = ("kind, " + items,
                    [None] + [f"index_concat_dx(g, kind, {i}, {items})" for i in range(n)],
                    {p: f"index_concat_tangent(t, kind, {i}, {items})"
                     for i, p in enumerate(names)})
        if spec is None and which.startswith("zip"):
            # zip of n iterables: one parameter each
            n = int(which[3:])
            names = [f"x{i}" for i in range(n)]
            spec = (", ".join(names), [f"zip_dx(g, {i}, {', '.join(names)})" for i in range(n)],
                    {p: f"zip_tangent(t, {i}, {', '.join(names)})" for i, p in enumerate(names)})
        signature, adjoints, tangents = spec
        rule = Rule(runtime.shallow_copy, signature, adjoints, namespace=ns,
                    name=f"container {which}")
        names = list(rule.signature.parameters)
        for pname, text in tangents.items():
            rule.tangents[pname] = Template(text, names + [TANGENT], ns, rule.name)
        _CONTAINER_RULES[which] = rule
    return _CONTAINER_RULES[which]


_KIND_CALLS = {"list": "list", "sorted": "list", "tuple": "tuple", "dict": "dict"}


def _is_zeros_like(v, resolve):
    """``zeros_like(x)``, srcgrad's runtime helper (in generated code)."""
    if resolve is None or not (isinstance(v, gast.Call) and isinstance(v.func, gast.Name)
                               and len(v.args) == 1 and not v.keywords):
        return False
    return resolve(v.func) is runtime.zeros_like


def container_kinds(fn, locals_, resolve=None):
    """Names whose values are (or, for parameters, are used as) containers:
    name -> "list", "tuple", "dict", "record" or "container".

    Local values get the kind of what made them (a list literal, ``list(...)``,
    ``a + b`` of lists, a copy); parameters (and values read out of other
    containers) get one from how they are used: a string key, an attribute
    that is not an array's, a list method, tuple unpacking.  Arithmetic on a
    value or an array attribute says it is an array after all."""
    evidence, arrays = {}, set()
    defs = {}
    for s in _walk(fn.body):
        if is_method_stmt(s) and s.value.func.attr in CONTAINER_METHODS:
            x = s.value.func.value.id
            evidence.setdefault(x, "dict" if s.value.func.attr in ("update", "setdefault",
                                                                   "popitem") else "list")
            continue
        if not isinstance(s, gast.Assign):
            continue
        t, v = s.targets[0], s.value
        if isinstance(t, gast.Name):
            defs.setdefault(t.id, []).append(s)
        for node in [v, t]:
            for n in gast.walk(node):
                if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name):
                    sl = n.slice
                    if isinstance(sl, gast.Constant) and isinstance(sl.value, str):
                        evidence.setdefault(n.value.id, "dict")
                    elif getattr(n, "srcgrad_dict", False):
                        evidence.setdefault(n.value.id, "dict")
                    elif getattr(n, "srcgrad_unpack", False) or getattr(n, "srcgrad_iter", False):
                        evidence.setdefault(n.value.id, "container")
                    elif isinstance(sl, gast.Tuple):
                        arrays.add(n.value.id)
                elif isinstance(n, gast.Attribute) and isinstance(n.value, gast.Name) and \
                        n.value.id in locals_:
                    if n.attr in INACTIVE_ATTRIBUTES or n.attr in ARRAY_ATTRIBUTES or n.attr != "copy" and \
                            n.attr in ARRAY_METHODS:
                        arrays.add(n.value.id)
                    elif n.attr not in ("copy", "get", "keys", "values", "items", "_replace"):
                        evidence.setdefault(n.value.id, "record")
                elif isinstance(n, (gast.BinOp, gast.UnaryOp)):
                    for a in (n.left, n.right) if isinstance(n, gast.BinOp) else (n.operand,):
                        if isinstance(a, gast.Name) and not (
                                isinstance(n, gast.BinOp) and isinstance(n.op, gast.Add)):
                            arrays.add(a.id)
    changed = True          # evidence about a copy is evidence about its source
    while changed:
        changed = False
        for name, ss in defs.items():
            for s in ss:
                v = s.value
                if isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
                        v.func.attr == "copy" and not v.args:
                    v = v.func.value
                if isinstance(v, gast.Name) and name in evidence and v.id not in evidence:
                    evidence[v.id] = evidence[name]
                    changed = True

    def read_out(s):            # a value read out of a container (or a copy of one)
        v = s.value
        return isinstance(v, (gast.Subscript, gast.Attribute, gast.Name)) or \
            isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
            v.func.attr == "copy"

    kind = {}
    for name, k in evidence.items():
        # evidence counts for parameters and values read out of containers,
        # not for what a function returned (a tuple of results, an array)
        if name not in arrays and all(read_out(s) for s in defs.get(name, ())):
            kind[name] = k

    def of(node):
        if isinstance(node, gast.List):
            return "list"
        if isinstance(node, gast.Tuple):
            return "tuple"
        if isinstance(node, gast.Dict):
            return "dict"
        if isinstance(node, gast.Name):
            return kind.get(node.id)
        return None

    changed = True
    while changed:
        changed = False
        for name, ss in defs.items():
            if name in kind:
                continue
            found = None
            for s in ss:
                v = s.value
                k = None
                if isinstance(v, (gast.List, gast.Tuple, gast.Dict, gast.Name)):
                    k = of(v)
                elif isinstance(v, gast.BinOp) and isinstance(v.op, gast.Add):
                    k = of(v.left) if of(v.left) in ("list", "tuple") else of(v.right)
                    k = k if k in ("list", "tuple") else None
                elif isinstance(v, gast.Call) and isinstance(v.func, gast.Name) and \
                        v.func.id in _KIND_CALLS and v.func.id not in locals_:
                    k = _KIND_CALLS[v.func.id]
                elif isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
                        v.func.attr == "copy" and isinstance(v.func.value, gast.Name):
                    k = kind.get(v.func.value.id)
                elif _is_zeros_like(v, resolve):
                    # generated code: the adjoint of a list or tuple is a list
                    # (runtime.Adjoints), of a dict or record a dict
                    k = {"list": "list", "tuple": "list", "dict": "dict",
                         "record": "dict"}.get(of(v.args[0]))
                elif isinstance(v, gast.Subscript) and isinstance(v.slice, gast.Slice) and \
                        isinstance(v.value, gast.Name):
                    k = kind.get(v.value.id) if kind.get(v.value.id) in ("list", "tuple") else None
                if k is not None:
                    found = k
                    break
            if found is not None:
                kind[name] = found
                changed = True
    return kind
