"""Operations whose rule depends on their arguments being containers:
``ys.append(v)`` and the other method statements on a local value,
``enumerate``/``zip``/``reversed``/``sorted``/``list`` of a list, ``max`` of
one, ``+`` of two lists, a local dict's ``get``/``values``/``items``.  Their
rules are made here (not registered: ``max(a, b)`` keeps its own).

>>> from srcgrad.compiler.ir.printer import function
>>> s = function("ys.insert(0, v)").body[0]
>>> op = method_stmt(s)
>>> op.kind, sorted(op.args), op.display
('insert', ['index', 'v', 'x'], '.insert')
>>> rule = container_rule("zip2")
>>> rule.name, list(rule.signature.parameters)
('container zip2', ['x0', 'x1'])
"""

import builtins
import operator

import gast

from srcgrad import runtime
from srcgrad.compiler.analysis.ops import Op
from srcgrad.compiler.analysis.syntax import dotted, positional
from srcgrad.compiler.ir.names import const
from srcgrad.rules.registry import TANGENT, Rule, Template
from srcgrad.rules.tables import SEQ_FUNCTIONS


def method_stmt(s):
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
    return Op("unknown", args={"x": x, **positional(call)},
              display=f"{dotted(call.func)}(...) (which may change {x.id} in place)")


def dict_method(x, attr, v, kwargs, s, display):
    """``d.get(k, default)``, ``d.values()``, ``d.items()``, ``d.keys()``
    of a local dict."""
    if kwargs or any(isinstance(a, gast.Starred) for a in v.args):
        return None
    if attr == "keys" and not v.args:
        return Op("inactive")
    if attr == "get" and 1 <= len(v.args) <= 2:
        default = v.args[1] if len(v.args) == 2 else const(None)
        return Op("call", rule=container_rule("get"), fun=dict.get,
                  args={"x": x, "key": v.args[0], "default": default}, display=display)
    if attr in ("values", "items") and not v.args:
        return Op("call", rule=container_rule(attr), fun=getattr(dict, attr),
                  args={"x": x}, display=display)
    return None


def replace_call(fun, args, display):
    """``replace_dataclass(x, n0, v0, ...)`` / ``replace_namedtuple(...)``
    (what the normaliser makes of ``dataclasses.replace`` and ``_replace``)."""
    if not (fun is runtime.replace_dataclass or fun is runtime.replace_namedtuple) or \
            len(args) % 2 != 1 or any(isinstance(a, gast.Starred) for a in args):
        return None
    n = len(args) // 2
    bound = {"x": args[0]}
    for i in range(n):
        bound[f"n{i}"], bound[f"v{i}"] = args[1 + 2 * i], args[2 + 2 * i]
    return Op("call", rule=container_rule(f"replace{n}"), fun=fun, args=bound, display=display)


def rule_op(rule, fun, args, kwargs, display):
    try:
        bound = rule.bind(args, kwargs)
    except TypeError:
        return None
    return Op("call", rule=rule, fun=fun, args=bound, display=display)


def container_call(an, fun, args, kwargs):
    """Calls whose rule depends on their arguments being containers."""
    try:
        hashable = fun in SEQ_FUNCTIONS or fun is operator.add or fun is operator.mul
    except TypeError:
        return None
    if not hashable:
        return None
    if any(isinstance(a, gast.Starred) for a in args) or None in kwargs:
        return None
    iterators = getattr(an, "iterators", {})

    def named(a, kinds):
        return isinstance(a, gast.Name) and iterators.get(a.id) in kinds

    if fun is builtins.enumerate and 1 <= len(args) + len(kwargs) <= 2 and \
            set(kwargs) <= {"iterable", "start"}:
        return rule_op(container_rule("enumerate"), fun, args, kwargs, "enumerate")
    if fun is builtins.zip and args and set(kwargs) <= {"strict"}:
        return Op("call", rule=container_rule(f"zip{len(args)}"), fun=fun,
                  args={f"x{i}": a for i, a in enumerate(args)}, display="zip")
    if fun is builtins.reversed and len(args) == 1 and not kwargs:
        if isinstance(args[0], gast.Name) and an.kind.get(args[0].id) == "dict":
            return Op("inactive")           # a dict's keys carry no derivative
        return Op("call", rule=container_rule("reversed"), fun=fun,
                  args={"seq": args[0]}, display="reversed")
    if fun is builtins.sorted and len(args) == 1 and isinstance(args[0], gast.Name) and \
            (an.kind.get(args[0].id) == "dict" or iterators.get(args[0].id) == "keys"):
        return Op("inactive")               # a dict's keys carry no derivative
    if fun is builtins.sorted and set(kwargs) <= {"key", "reverse"}:
        op = rule_op(container_rule("sorted"), fun, args, kwargs, "sorted")
        if op is not None:
            return op
    if fun is builtins.sorted:
        return Op("unknown", args={**{str(i): a for i, a in enumerate(args)},
                                   **{f"{k}=": a for k, a in kwargs.items()}},
                  display="sorted", extra=(
            "this call of sorted is not differentiated",
            "sort indices instead: order = np.argsort(x), then use x[order]"))
    if fun is builtins.sum and len(args) == 1 and not kwargs and named(args[0], ("view",)):
        return Op("call", rule=container_rule("sum_view"), fun=fun,
                  args={"iterable": args[0]}, display="sum")
    if kwargs:
        return None
    if fun in (builtins.max, builtins.min) and len(args) > 2:
        return Op("unknown", args={str(i): a for i, a in enumerate(args)},
                  display=fun.__name__, extra=(
            f"{fun.__name__} of more than two values is not differentiated",
            f"pass them in a list: {fun.__name__}([a, b, c])"))
    if fun in (builtins.max, builtins.min) and len(args) == 1:
        return Op("call", rule=container_rule("extreme"), fun=fun,
                  args={"iterable": args[0]}, display=fun.__name__)
    if fun in (builtins.list, builtins.tuple) and len(args) == 1 and \
            isinstance(args[0], gast.Name) and an.kind.get(args[0].id) == "dict":
        return Op("inactive")           # a dict's keys carry no derivative
    if fun in (builtins.list, builtins.tuple) and len(args) == 1 and \
            named(args[0], ("keys",)):
        return Op("inactive")               # a dict's keys carry no derivative
    if fun in (builtins.list, builtins.tuple) and len(args) == 1 and \
            named(args[0], ("iterator", "view")):
        return Op("call", rule=container_rule("iter_list"), fun=fun,
                  args={"iterable": args[0]}, display=fun.__name__)
    if fun in (builtins.list, builtins.tuple) and len(args) == 1:
        return Op("call", rule=container_rule("list"), fun=fun,
                  args={"iterable": args[0]}, display=fun.__name__)
    adjoint_lists = getattr(an.kind, "adjoint_lists", ())
    if fun is operator.add and len(args) == 2 and any(
            isinstance(a, gast.Name) and a.id in adjoint_lists for a in args):
        return None         # lists of adjoints (generated code) add element by element
    if fun is operator.add and len(args) == 2 and any(
            isinstance(a, gast.Name) and an.kind.get(a.id) in ("list", "tuple")
            for a in args) or fun is operator.add and len(args) == 2 and any(
            isinstance(a, (gast.List, gast.Tuple)) for a in args):
        return Op("call", rule=container_rule("concat"), fun=fun,
                  args={"x": args[0], "y": args[1]}, display="+")
    if fun is operator.mul and len(args) == 2 and not any(
            isinstance(a, gast.Name) and a.id in adjoint_lists for a in args):
        # [x] * n, n * (x, y): a repetition (refused when it runs if n is no int)
        seq = [isinstance(a, (gast.List, gast.Tuple)) or
               isinstance(a, gast.Name) and an.kind.get(a.id) in ("list", "tuple") for a in args]
        if any(seq):
            x, n = args if seq[0] else args[::-1]
            return Op("call", rule=container_rule("repeat"), fun=fun,
                      args={"x": x, "n": n}, display="*")
    return None


_CONTAINER_RULES = {}


def container_rule(which):
    """Rules of operations whose derivative depends on their arguments being
    containers (made here, not registered: ``max(a, b)`` keeps its own)."""
    if which not in _CONTAINER_RULES:
        ns = vars(runtime)
        spec = {
            "copy": ("x", ["g"], {"x": "shallow_copy(t)"}),
            # Several(x) of a tuple x (tangents in generated code): its elements as they are
            "several": ("x", ["g"], {"x": "t"}),
            "extreme": ("iterable", ["seq_extreme_dx(g, iterable, ans)"],
                        {"iterable": "seq_extreme_tangent(t, iterable, ans)"}),
            "list": ("iterable", ["list_dx(g, iterable)"],
                     {"iterable": "list_tangent(t, iterable)"}),
            "concat": ("x, y", ["concat_dx(g, x, y, 0)", "concat_dx(g, x, y, 1)"],
                       {"x": "concat_tangent(t, x, y, 0)", "y": "concat_tangent(t, x, y, 1)"}),
            # x * n (n * x) of a list or tuple x and an int n: no derivative in n
            "repeat": ("x, n", ["seq_repeat_dx(g, x, n)", "seq_repeat_n_dx(g, x, n)"],
                       {"x": "seq_repeat_tangent(t, x, n)", "n": "seq_repeat_n_dx(t, x, n)"}),
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
        if spec is None and which.startswith("replace"):
            # dataclasses.replace(x, n0=v0, ...) / x._replace(...): x, n0, v0, n1, v1 ...
            n = int(which[len("replace"):])
            names = "(" + "".join(f"n{i}, " for i in range(n)) + ")"
            params = "".join(f", n{i}, v{i}" for i in range(n))
            adjoints = [f"replace_dx(g, x, {names})"]
            for i in range(n):
                adjoints += [None, f"field_dx(g, x, n{i}, v{i})"]
            tangents = {"x": f"replace_dx(t, ans, {names})",
                        **{f"v{i}": f"field_tangent(t, ans, n{i})" for i in range(n)}}
            spec = ("x" + params, adjoints, tangents)
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
        if which not in ("extreme", "sorted"):      # (an order: not for complex values)
            rule.complex = "holomorphic"            # moving values around: docs/complex.md
        _CONTAINER_RULES[which] = rule
    return _CONTAINER_RULES[which]
