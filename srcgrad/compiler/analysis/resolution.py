"""Resolution: every operation tied to the primitive it calls and to that
primitive's rule (``a * b`` to ``operator.mul``, ``np.sin(x)`` to
``numpy.sin``, ``x.sum()`` to ``numpy.sum``), names resolved as Python
would resolve them in the function: closure, module globals, builtins.
One :class:`~srcgrad.compiler.analysis.ops.Op` per statement, attached as
``s.srcgrad_op``.  A callee that cannot be resolved, or has no rule, is an
``unknown`` operation whose every argument may flow into its result (the
refusals reject it on an active path): never a constant.

>>> from srcgrad.compiler.analysis.show import analysed
>>> an = analysed('''
... def f(x, k):
...     y = np.sin(x) * k
...     z = y.sum()
...     return z + helper(x)''', wrt="k", scalar_result=False)
>>> for s in an.fn.body[:-1]:
...     op = s.srcgrad_op
...     print(s.targets[0].id, op.kind, op.display, sorted(op.args))
y_1 call np.sin ['x']
y call * ['x', 'y']
z call y.sum ['a', 'axis', 'dtype', 'keepdims', 'out']
out_1 unknown helper ['0', 'callee']
out call + ['x', 'y']
"""

import builtins
import dataclasses
import functools
import inspect

import gast
import numpy as np

from srcgrad import runtime
from srcgrad.runtime import forward as runtime_forward
from srcgrad.compiler.analysis.callees import recursive_rule
from srcgrad.compiler.analysis.container_calls import (container_call, container_rule,
                                                       dict_method, method_stmt, replace_call)
from srcgrad.compiler.analysis.ops import Op
from srcgrad.compiler.analysis.syntax import (children, dotted, op_symbol, positional,
                                              root_is_local)
from srcgrad.compiler.frontend import MISSING, primitive_library
from srcgrad.compiler.frontend.inline.joint import parameter_write
from srcgrad.compiler.frontend.parse import parse
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.names import const
from srcgrad.errors import SrcgradError
from srcgrad.rules import lookup
from srcgrad.rules.tables import (ARRAY_ATTRIBUTES, ARRAY_METHODS, BINOPS, CONTAINER_METHODS,
                                  DICT_METHODS, INACTIVE_ATTRIBUTES, ITERATOR_RULES, UNARYOPS)
from srcgrad.compiler.ir.walk import walk as walk_tree


def resolve_ops(an, ops):
    """Attach its :class:`Op` to each statement of ``ops`` (in program
    order: an iterator or a global object assigned to a name is known to
    the statements after it), and list the call statements of functions."""
    an.iterators = {}       # name -> "iterator" (enumerate, zip, reversed) or "view"
    an.global_values = {}   # name -> the global object it was assigned (t = np.r_)
    defs = {}
    for s in ops:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            defs[s.targets[0].id] = defs.get(s.targets[0].id, 0) + 1
    for s in ops:
        an.ops[id(s)] = s.srcgrad_op = op = op_of(an, s)
        if op.kind == "const" and isinstance(s.value, (gast.Name, gast.Attribute)) and \
                defs.get(s.targets[0].id) == 1:
            obj = an.resolve(s.value)
            if obj is not MISSING:
                an.global_values[s.targets[0].id] = obj
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            made = ITERATOR_RULES.get(getattr(op.rule, "name", None)) \
                if op.kind == "call" else None
            if made is None and op.kind == "copy" and isinstance(op.args["x"], gast.Name):
                made = an.iterators.get(op.args["x"].id)
            if made is not None:
                an.iterators[s.targets[0].id] = made
    # call statements of functions (not methods of local values): f(x, out=y)
    an.call_stmts = [s for s in walk_stmts(an.fn.body) if isinstance(s, gast.Expr) and
                     isinstance(s.value, gast.Call) and id(s) not in an.ops]


def op_of(an, s):
    if isinstance(s, gast.Expr):
        return method_stmt(s)
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
        return call_op(an, fun, [v.left, v.right], {}, s, op_symbol(v.op))
    if isinstance(v, gast.UnaryOp):
        fun = UNARYOPS[type(v.op)]
        return call_op(an, fun, [v.operand], {}, s, op_symbol(v.op))
    if isinstance(v, gast.Call):
        return resolve_call(an, v, s)
    if isinstance(v, gast.Subscript):
        glob = isinstance(v.value, gast.Name) and v.value.id in an.global_values or \
            not root_is_local(v.value, an.locals)
        if glob and any(isinstance(n, gast.Name) for n in walk_tree(v.slice)):
            return global_subscript(an, v, s)
        return Op("subscript", args={"x": v.value, "index": v.slice})
    if isinstance(v, gast.Attribute):
        return resolve_attribute(an, v, s)
    if isinstance(v, (gast.Compare, gast.BoolOp, gast.JoinedStr)):
        return Op("inactive")
    if isinstance(v, (gast.Tuple, gast.List)) and not any(
            isinstance(e, gast.Starred) for e in v.elts):
        return Op("pack", args={str(i): e for i, e in enumerate(v.elts)})
    if isinstance(v, gast.Dict) and all(k is not None for k in v.keys):
        return Op("pack_dict", args={str(i): e for i, e in enumerate(v.values)},
                  extra=list(v.keys))
    if isinstance(v, (gast.Tuple, gast.List, gast.Dict, gast.Set)):
        return Op("unknown", args={str(i): e for i, e in enumerate(children(v))},
                  display=f"a {type(v).__name__.lower()} literal")
    # any other expression: whatever it reads may flow into it
    return Op("unknown", args={"expr": v}, display=type(v).__name__)


def resolve_call(an, v, s):
    f = v.func
    kwargs = {k.arg: k.value for k in v.keywords}
    display = dotted(f)
    if isinstance(f, gast.Attribute) and root_is_local(f, an.locals):
        # a method call on a local value: x.sum(axis=0)
        if isinstance(f.value, gast.Name) and f.value.id in an.kind and \
                f.attr == "copy" and not v.args and not kwargs:
            return Op("call", rule=container_rule("copy"), fun=runtime.shallow_copy,
                      args={"x": f.value}, display=display)
        if isinstance(f.value, gast.Name) and f.attr in CONTAINER_METHODS:
            return Op("unknown", args={"x": f.value, **positional(v)},
                      display=f"{display}(...) inside an expression (call it as a "
                              f"statement of its own)")
        method = getattr(np.ndarray, f.attr, None)
        if isinstance(f.value, gast.Name) and method is not None and lookup(method):
            # a rule for the ndarray method itself (its own signature)
            return call_op(an, method, [f.value] + list(v.args), kwargs, s, display)
        if isinstance(f.value, gast.Name) and f.attr in ARRAY_METHODS:
            fun = ARRAY_METHODS[f.attr]
            return call_op(an, fun, [f.value] + list(v.args), kwargs, s, display)
        if isinstance(f.value, gast.Name) and f.attr in DICT_METHODS and \
                an.kind.get(f.value.id) not in ("list", "tuple"):
            special = dict_method(f.value, f.attr, v, kwargs, s, display)
            if special is not None:
                return special
        # the object whose method it is flows into the result too
        return Op("unknown", args={"self": f.value, **positional(v)}, display=display)
    fun = an.resolve(f)
    if isinstance(getattr(fun, "__self__", None), (dict, list)) and \
            getattr(fun, "__name__", None) == "copy" and not v.args:
        return Op("inactive")        # a copy of a global container: a constant
    if fun is MISSING:
        # a local callable (a closure, a partial) may hold differentiated values
        return Op("unknown", args={"callee": f, **positional(v)}, display=display)
    if fun is builtins.dict and len(v.args) == 1 and not v.keywords and \
            isinstance(v.args[0], gast.Name) and an.kind.get(v.args[0].id) == "dict":
        return Op("call", rule=container_rule("copy"), fun=runtime.shallow_copy,
                  args={"x": v.args[0]}, display=display)     # dict(d): a copy
    if fun is builtins.dict and not v.args and all(k.arg is not None for k in v.keywords):
        # dict(a=x, b=y): a dict literal
        return Op("pack_dict", args={str(i): k.value for i, k in enumerate(v.keywords)},
                  extra=[const(k.arg) for k in v.keywords], display=display)
    special = replace_call(fun, list(v.args), display) if not kwargs else None
    if special is not None:
        return special                  # dataclasses.replace, _replace (normalised)
    if fun is runtime_forward.Several and len(v.args) == 1 and not kwargs and \
            isinstance(v.args[0], gast.Name):
        # Several(t): the tuple t as tangents of several results (adds element by element)
        return Op("call", rule=container_rule("several"), fun=fun, args={"x": v.args[0]},
                  display=display)
    if fun is runtime.AdjointDict and len(v.args) == 1 and not kwargs and \
            isinstance(v.args[0], gast.Name) and an.kind.get(v.args[0].id) == "dict":
        # AdjointDict(d) of a dict (runtime helpers): a copy whose missing keys read as 0.0
        return Op("call", rule=container_rule("copy"), fun=runtime.shallow_copy,
                  args={"x": v.args[0]}, display=display)
    if fun is runtime.Adjoints and len(v.args) == 1 and not kwargs and \
            isinstance(v.args[0], gast.Name):
        # Adjoints(xs) (generated code and runtime helpers): a list of the items of xs,
        # whose + adds element by element (container_kinds.adjoint_lists)
        return Op("call", rule=container_rule("list"), fun=fun, args={"iterable": v.args[0]},
                  display=display)
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
    if plain_dataclass(fun) and lookup(fun) is None:
        # a dataclass made here, whose fields are its __init__ arguments:
        # like a dict literal of its fields (adjoint and tangent by name)
        fields = [f for f in dataclasses.fields(fun) if f.init]
        try:
            bound = inspect.signature(fun).bind(*v.args, **kwargs).arguments
        except TypeError as e:
            raise an.parsed.error(s, f"the call of {display} does not match its fields: "
                                     f"{e}", hint="pass each field once") from None
        given = [f.name for f in fields if f.name in bound]
        return Op("pack_dict", args={str(i): bound[n] for i, n in enumerate(given)},
                  extra=[const(n) for n in given], display=display)
    return call_op(an, fun, list(v.args), kwargs, s, display)


def global_subscript(an, v, s):
    """``G[index]`` of a global object with variables in the index:
    ``np.r_[a, b]`` and ``np.c_[a, b]`` are concatenations; any other
    carries its index's values (an error if they are differentiated)."""
    obj = an.global_values[v.value.id] if isinstance(v.value, gast.Name) and \
        v.value.id in an.global_values else an.resolve(v.value)
    items = v.slice.elts if isinstance(v.slice, gast.Tuple) else [v.slice]
    display = f"{dotted(v.value)}[...]"
    kind = "r" if obj is getattr(np, "r_", None) else "c" if obj is getattr(np, "c_", None) \
        else None
    if kind is not None and all(
            isinstance(e, gast.Name) or isinstance(e, gast.Constant) and
            type(e.value) in (int, float) for e in items):
        n = len(items)
        return Op("call", rule=container_rule(f"index_concat{n}"), fun=obj,
                  args={"kind": const(kind), **{f"x{i}": e for i, e in enumerate(items)}},
                  display=display)
    if kind is not None:
        return Op("unknown", args={"index": v.slice}, display=display, extra=(
            f"{display} with slices or directives is not differentiated",
            "use np.concatenate([a, b]) or np.column_stack([a, b])"))
    return Op("unknown", args={"index": v.slice}, display=display, extra=(
        f"indexing the global object {dotted(v.value)} with a differentiated value is not "
        f"supported", "index a local array, or register a rule for a function doing it"))


def changed_parameter(fun):
    """The parameter a function of the user's may change in place (its
    source: ``inline/joint.parameter_write``), or None."""
    try:
        tree = parse(fun).tree
    except (SrcgradError, OSError, TypeError, SyntaxError):
        return None
    params = [a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs]
    found = parameter_write(tree, params)
    return found[0] if found else None


def call_op(an, fun, args, kwargs, s, display):
    special = container_call(an, fun, args, kwargs)
    if special is not None:
        return special
    rule = lookup(fun)
    if rule is None and inspect.isfunction(fun) and not primitive_library(fun):
        rule = recursive_rule(fun, an.driver)       # a recursive call of the user's (inline.py)
        changed = rule is not None and changed_parameter(fun)
        if changed:
            return Op("unknown", fun=fun, args={**{str(i): a for i, a in enumerate(args)},
                                                **{f"{k}=": a for k, a in kwargs.items()}},
                      display=display, extra=(
                f"{display}(...) is a recursive call (not inlined) of a function that may "
                f"change its argument {changed!r} in place, which srcgrad cannot follow "
                f"across the call", f"write {changed} = {changed} + ... (a new value) instead "
                f"of changing it in place in {fun.__name__}"))
        kept = getattr(an.parsed, "srcgrad_kept", {})
        if rule is not None and fun in kept:
            rule.joint = True       # a helper with an adjoint function of its own (joint.py)
            rule.joint_ranks = kept[fun]    # the ranks its element reads suggest
            rule.joint_facts = functools.partial(an.driver.joint_facts, fun)  # its result's
    elif rule is not None and an.driver is not None:
        rule = rule.with_driver(an.driver)          # a rule calling srcgrad (scipy.integrate)
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


def resolve_attribute(an, v, s):
    if root_is_local(v, an.locals):
        if v.attr in INACTIVE_ATTRIBUTES:
            return Op("inactive")
        if v.attr in ARRAY_ATTRIBUTES and isinstance(v.value, gast.Name):
            return call_op(an, ARRAY_ATTRIBUTES[v.attr], [v.value], {}, s, "." + v.attr)
        if v.attr in ("imag", "flat", "mT", "base"):
            return Op("unknown", args={"0": v.value}, display=f".{v.attr}", extra=(
                f"the array attribute .{v.attr} is not differentiated",
                "use np.ravel(x) for x.flat; differentiated values are real"))
        if isinstance(v.value, gast.Name):     # params.w, an.w: a field of a record
            return Op("attr", args={"x": v.value}, extra=v.attr, display=f".{v.attr}")
        return Op("unknown", args={"0": v.value}, display=f".{v.attr}")
    return Op("const")      # a module or global attribute: np.pi


def plain_dataclass(cls):
    """A dataclass whose instances hold exactly their ``__init__`` arguments
    (no ``__post_init__``, no field computed outside ``__init__``)."""
    return isinstance(cls, type) and dataclasses.is_dataclass(cls) and \
        not hasattr(cls, "__post_init__") and \
        all(f.init for f in dataclasses.fields(cls)) and \
        "__init__" not in {k for c in cls.__mro__[:-1] if not dataclasses.is_dataclass(c)
                           for k in vars(c)}
