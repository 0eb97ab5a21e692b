"""Refusals: the one place that turns "not understood on a differentiated
path" into an ``UnsupportedError`` naming the line.  An operation the
resolution could not tie to a rule (``unknown``) is refused when its result
is active; so is a call outside its rule's signature, an argument a rule has
no derivative for, a write through ``out=``, an iterator consumed by the
primal, and a call statement that may change its arguments in place.
Nothing not understood is ever treated as a constant.

>>> from srcgrad.compiler.analysis.show import refusal
>>> print(refusal('''
... def f(x):
...     y = helper(x)
...     return y * 2.0''', wrt="x"))  # doctest: +NORMALIZE_WHITESPACE
<example>:2: cannot differentiate helper: srcgrad cannot tell at transformation time which
function it calls
    y = helper(x)
  hint: call functions by a global or module name (np.sin, math.exp, my_function), so
  srcgrad can inline them or use their rule (srcgrad.defvjp registers one,
  srcgrad.nondifferentiable marks a function without derivative); or wrap the value in
  srcgrad.stop_gradient(...) if it needs no derivative
>>> print(refusal('''
... def f(x, d):
...     return np.var(x, ddof=d)''', wrt="d"))  # doctest: +NORMALIZE_WHITESPACE
<example>:2: srcgrad has no derivative of np.var with respect to its argument 'ddof', which
depends on a differentiated value
    return np.var(x, ddof=d)
  hint: pass a constant ddof, or wrap it in srcgrad.stop_gradient(...) if no derivative
  flows through it
"""

import inspect

import gast
import numpy as np

from srcgrad.compiler.analysis.ops import defined_name, operand_names
from srcgrad.compiler.analysis.syntax import dotted, is_generated, root_is_local, source
from srcgrad.compiler.frontend import MISSING, primitive_library
from srcgrad.compiler.frontend.generated import is_generated as generated_code
from srcgrad.errors import ClassesNeeded
from srcgrad.rules import lookup
from srcgrad.rules.checks import refusal as rule_refusal
from srcgrad.rules.registry import _Default
from srcgrad.rules.tables import ITERATOR_CONSUMERS, PARAM_LIMITS
from srcgrad.compiler.ir.walk import name_nodes


def refuse_unsupported(an, assigns):
    """Refuse what is not understood where a derivative flows through it
    (the in-place writes are checked next, by the aliasing analysis)."""
    values = {}             # names assigned once, to their value (``w = (3,)``)
    for s in assigns:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            n = s.targets[0].id
            values[n] = None if n in values else s.value
    for s in assigns:
        name = defined_name(s)
        op = s.srcgrad_op
        if op.kind == "unknown" and (name is None and any(
                n in an.varied for n in op.diff_operands()) or name in an.active):
            raise classes_needed(an, s, no_rule(an, s, op))
        if getattr(op, "strict", False) and any(n in an.varied for n in op.diff_operands()):
            raise no_rule(an, s, op)
        if op.kind == "unknown" and isinstance(s, gast.Expr) and any(
                n in an.varied for k, a in op.args.items() if k != "x"
                for n in operand_names(a)):
            # obj.method(x): the method may change x in place (rng.shuffle(x))
            raise classes_needed(an, s, an.parsed.error(
                s, f"{dotted(s.value.func)}(...) is called with a differentiated argument "
                   f"as a statement of its own; srcgrad cannot tell whether it changes that "
                   f"argument in place", construct="call statement",
                hint="assign its result instead (y = f(x)), or pass "
                     "srcgrad.stop_gradient(x) if no derivative flows through it"))
        check_out(an, s, op)
        check_iterator_use(an, s, op)
        check_params(an, s, op, name)
        if op.kind == "call" and name in an.useful and any(
                isinstance(a, gast.Name) and a.id in an.varied for a in op.args.values()):
            problem = rule_refusal(op.rule, op.args, values, an.varied)
            if problem is not None:
                raise an.parsed.error(s, problem[0], construct=op.display, hint=problem[1])
    for s in an.call_stmts:
        check_call_stmt(an, s)
    # `_ = f(a)`: a call whose result nobody reads runs for what it does to its arguments
    read = {n.id for n in name_nodes(an.fn) if isinstance(n.ctx, gast.Load)}
    for s in assigns:
        if isinstance(s, gast.Assign) and isinstance(s.value, gast.Call) and \
                s.srcgrad_op.kind == "unknown" and isinstance(s.targets[0], gast.Name) and \
                s.targets[0].id not in read:
            check_call_stmt(an, s)


def classes_needed(an, s, error):
    """``error`` (the refusal of statement ``s``), or a
    :class:`~srcgrad.errors.ClassesNeeded` carrying it when ``s`` calls a
    method of a parameter (``osc.energy(x)``) whose class this version is
    not made for: the API then makes one version per class of that argument
    (``srcgrad.api.classes``).  Methods of arrays, lists and dicts are
    refused as they are."""
    call = getattr(s, "value", None)
    f = getattr(call, "func", None)
    if not (isinstance(call, gast.Call) and isinstance(f, gast.Attribute) and
            isinstance(f.value, gast.Name)) or generated_code(an.parsed.fun):
        return error
    a = an.fn.args
    params = {x.id for x in a.posonlyargs + a.args + a.kwonlyargs}
    p = f.value.id
    known = getattr(an, "classes", {})
    if any(hasattr(t, f.attr) for t in (np.ndarray, list, dict, tuple)):
        return error
    if p in params and p not in known:
        return ClassesNeeded([p], error)
    # an object made here from a class of the user's (b = Body(...)): the
    # front end runs again with its class known (pipeline.front_end)
    local = getattr(an, "user_of", {}).get(p, p)
    if p not in params and local in getattr(an.parsed, "constructed", {}) and local not in known:
        return ClassesNeeded([local], error)
    return error


def check_params(an, s, op, name):
    """Arguments a rule has no derivative for although the result depends
    on them (``np.var``'s ``ddof``), and options it does not cover
    (``np.linspace(..., retstep=True)``)."""
    if op.kind != "call" or op.rule is None:
        return
    check_omitted(an, s, op, name)
    try:
        limits = PARAM_LIMITS.get(op.fun)
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
            if any(n in an.varied for n in operand_names(arg)) and name in an.useful:
                raise an.parsed.error(s, allowed[0], construct=fn, hint=allowed[1])
            continue
        if allowed is None:       # no derivative with respect to it: refuse a varied one
            bad = [n for n in operand_names(arg) if n in an.varied]
            what = "/".join(k for k, v in arg.items() if set(operand_names(v)) & set(bad)) \
                if isinstance(arg, dict) else pname
            if bad and name in an.useful:
                raise an.parsed.error(
                    s, f"srcgrad has no derivative of {fn} with respect to its argument "
                       f"{what!r}, which depends on a differentiated value",
                    construct=fn, hint=f"pass a constant {pname}, or wrap it in "
                                       f"srcgrad.stop_gradient(...) if no derivative flows "
                                       f"through it")
        elif name in an.active and not (isinstance(arg, gast.Constant) and
                                        any(arg.value is a or arg.value == a and
                                            type(arg.value) is type(a) for a in allowed)):
            raise an.parsed.error(
                s, f"srcgrad differentiates {fn} only with {pname}="
                   f"{' or '.join(map(repr, allowed))}", construct=f"{fn}({pname}=...)",
                hint=f"leave {pname} at its default, or register your own rule with "
                     f"srcgrad.defvjp")


def check_omitted(an, s, op, name):
    """A rule declared outside srcgrad (a user's ``defvjp(f, "x, n", "g * n")``)
    that gives no template for a parameter, not even an explicit ``None``:
    a differentiated value reaching it is refused, not given a zero
    derivative (srcgrad's own rules are audited: tests/test_soundness_activity.py)."""
    rule = op.rule
    for pname in getattr(rule, "omitted", ()):
        arg = op.args.get(pname)
        if arg is None or isinstance(arg, _Default):
            continue
        if any(n in an.varied for n in operand_names(arg)) and name in an.useful:
            fn = op.display or rule.name
            raise an.parsed.error(
                s, f"the rule for {fn} gives no derivative for its parameter {pname!r}, which "
                   f"depends on a differentiated value", construct=fn,
                hint=f"give {pname!r} an adjoint template in srcgrad.defvjp, or None "
                     f"explicitly if it has no derivative (an integer, a piecewise constant), "
                     f"or pass srcgrad.stop_gradient(...)")


def check_out(an, s, op):
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
    involved = set(operand_names(call)) - {n.id for n in name_nodes(call.func)}
    if isinstance(call.func, gast.Attribute) and root_is_local(call.func, an.locals):
        involved |= set(operand_names(call.func))
    if involved & an.varied:
        fn = dotted(call.func)
        args = ", ".join([source(a) for a in call.args] +
                         [f"{k.arg}={source(k.value)}" for k in call.keywords
                          if k.arg != "out"])
        target = source(out[0])
        raise an.parsed.error(
            s, f"{fn}(..., out={target}) writes its result into {target}; srcgrad does not "
               f"differentiate writes through out=", construct="out= argument",
            hint=f"write {target} = {fn}({args})")


def check_iterator_use(an, s, op):
    """An iterator (``enumerate``, ``zip``, ``reversed``) is consumed by the
    primal: its derivative is known only to ``list``/``tuple``, the other
    iterators, and ``for`` loops."""
    if not an.iterators or op.kind in ("copy",) or not isinstance(s, gast.Assign):
        return
    if op.kind == "call" and op.rule is not None and \
            op.rule.name.split(" ")[-1].rstrip("0123456789") in ITERATOR_CONSUMERS:
        return
    for n in op.diff_operands():
        if an.iterators.get(n) == "iterator" and n in an.active:
            raise an.parsed.error(
                s, f"the iterator '{getattr(an, 'user_of', {}).get(n, n)}' (made by "
                   f"enumerate, zip or reversed) is used by {op.display or op.kind}; srcgrad "
                   f"differentiates iterators only through list(...), tuple(...) and for "
                   f"loops", construct="iterator",
                hint="make a list first: items = list(zip(x, y))")


def check_call_stmt(an, s):
    """``f(x)`` as a statement of its own: a function without a rule may
    change its arguments in place (``np.copyto``, ``np.add.at``,
    ``random.shuffle``)."""
    call = s.value
    check_out(an, s, None)
    local = root_is_local(call.func, an.locals)
    involved = set(operand_names(call)) if local else \
        set(operand_names(call)) - {n.id for n in name_nodes(call.func)}
    if not involved & an.varied:
        return
    fun = MISSING if local else an.resolve(call.func)
    rule = lookup(fun) if fun is not MISSING else None
    if rule is not None and not any(isinstance(a, gast.Starred) for a in call.args) and \
            all(k.arg is not None for k in call.keywords):
        try:
            rule.bind(list(call.args), {k.arg: k.value for k in call.keywords})
            return  # a primitive with a rule: pure apart from out= (checked above)
        except TypeError:
            pass    # outside its signature (np.multiply(x, k, out)): not understood
    elif fun is not MISSING and rule is None and inspect.isfunction(fun) and \
            not primitive_library(fun):
        return      # a recursive call of the user's
    fn = dotted(call.func)
    user = getattr(an, "user_of", {})
    params = {a.id for a in an.fn.args.args + an.fn.args.kwonlyargs
              + an.fn.args.posonlyargs}
    names = sorted({user.get(n, n) for n in involved & an.varied if n in params})
    what = f" ({', '.join(map(repr, names))})" if names else ""
    how = "is called as a statement of its own" if isinstance(s, gast.Expr) else \
        "is called and its result is never used"
    # (osc.energy(x) of an argument osc: made again with its class known, inlined)
    raise classes_needed(an, s, an.parsed.error(
        s, f"{fn}(...) {how} with differentiated arguments{what}; srcgrad has no rule for "
           f"it and cannot tell whether it changes them in place", construct="call statement",
        hint=f"assign its result instead (y = {fn}(...)), register a rule with "
             f"srcgrad.defvjp({fn}, ...), or pass srcgrad.stop_gradient(x) if no "
             f"derivative flows through it"))


def no_rule(an, s, op):
    """The error for an operation ``op`` (of statement ``s``) that has no
    rule, saying why and what to do."""
    fun = op.fun
    if isinstance(op.extra, tuple) and len(op.extra) == 2:       # (message, hint)
        return an.parsed.error(s, op.extra[0], construct=op.display, hint=op.extra[1])
    if getattr(fun, "srcgrad_refusal", None):            # a helper of srcgrad's own
        return an.parsed.error(s, fun.srcgrad_refusal[0], construct=op.display,
                               hint=fun.srcgrad_refusal[1])
    if inspect.isclass(fun) and getattr(fun, "__module__", None) != "builtins":
        return an.parsed.error(
            s, f"making a {fun.__qualname__} object from differentiated values is not "
               f"supported: srcgrad knows how the fields of named tuples and of dataclasses "
               f"without __post_init__ relate to their arguments, not those of other classes",
            construct="object construction",
            hint="pass the values in a dict, a tuple or a plain dataclass, or register a "
                 f"rule: srcgrad.defvjp({op.display}, ...)")
    if inspect.ismethod(fun) and not inspect.isclass(fun.__self__):
        # a method of a library object: scipy.stats.t.logpdf
        return an.parsed.error(
            s, f"no derivative rule for {op.display}, the method {fun.__name__} of a "
               f"{type(fun.__self__).__name__} object (srcgrad does not differentiate "
               f"library code)", construct="call",
            hint=f"register one: srcgrad.defvjp({op.display}, \"<its parameters>\", "
                 f"\"<adjoint of each>\"), or wrap the argument in srcgrad.stop_gradient(...)")
    if callable(fun) and not inspect.isroutine(fun) and \
            str(getattr(type(fun), "__module__", "")).startswith("scipy.stats."):
        # scipy.stats.norm(mu, s): a frozen distribution left to the user's code
        return an.parsed.error(
            s, f"the frozen distribution {op.display}(...) is differentiated only where it is "
               f"made in the differentiated function and only its methods are called on it",
            construct="call",
            hint=f"call the method with the parameters instead: {op.display}.logpdf(x, "
                 f"<parameters>), or make it in this function and call only d.logpdf(x), "
                 f"d.cdf(x), ... on it")
    if fun is not None and callable(fun):
        name = getattr(fun, "__qualname__", None) or op.display
        if hasattr(fun, "__code__"):
            return an.parsed.error(
                s, f"calls to Python functions ({name}) are not differentiated yet",
                construct="call", hint=f"register a rule with srcgrad.defvjp({op.display}, ...) "
                f"or mark it with srcgrad.nondifferentiable({op.display})")
        return an.parsed.error(
            s, f"no derivative rule for {op.display} ({name})", construct="call",
            hint=f"register one: srcgrad.defvjp({op.display}, \"x\", \"g * <derivative of "
                 f"{op.display} at x>\"), or wrap the argument in srcgrad.stop_gradient(...)")
    what = op.display if not is_generated(op.display) else "this call"
    return an.parsed.error(
        s, f"cannot differentiate {what}: srcgrad cannot tell at transformation time "
           f"which function it calls", construct=what,
        hint="call functions by a global or module name (np.sin, math.exp, my_function), "
             "so srcgrad can inline them or use their rule (srcgrad.defvjp registers one, "
             "srcgrad.nondifferentiable marks a function without derivative); or wrap the "
             "value in srcgrad.stop_gradient(...) if it needs no derivative")
