"""Rules made on the fly for calls the inliner leaves as calls.

A recursive call of the user's function cannot be inlined; it gets a rule
whose adjoint calls the callee's own generated ``vjp`` (its tangent the
``jvp``), generated when first needed and cached::

    def fact(x, n):                 # adjoint of y = fact(x, n - 1):
        ...                         #   d_x += vjp_call(fact, 0, (x, n - 1), d_y)
        y = fact(x, n - 1)

Each level recomputes the forward sweep of the levels below it: the cost is
quadratic in the depth of the recursion.  So the reversal calls the
callee's **split** form instead
(:meth:`srcgrad.compiler.pipeline.Driver.recursive_split`): its forward
sweep runs once and returns the value with a closure that runs its reverse
sweep (``optimise/closures.py``); only the version for complex arguments
keeps ``vjp_call``.

>>> from srcgrad.compiler.pipeline import Driver
>>> def fact(x, n):
...     return x if n <= 0 else x * fact(x, n - 1)
>>> rule = recursive_rule(fact, Driver())
>>> rule.adjoints["x"]
Template('vjp_call(fact, 0, (x, n, ), g)')
"""

import builtins
import inspect

import gast
import numpy as np

from srcgrad.compiler.analysis.ops import is_method_stmt
from srcgrad.compiler.frontend.parse import MISSING
from srcgrad.compiler.frontend.inline.joint import _CHANGING
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.rules.registry import TANGENT, Rule, Template


def recursive_rule(fun, driver):
    """A rule (not registered) for a call of the user's function ``fun`` that
    recursion keeps from being inlined: the adjoint of each parameter calls
    ``srcgrad.vjp(fun, wrt=parameter)``, its tangent ``srcgrad.jvp`` (through
    the ``driver``, :class:`srcgrad.compiler.pipeline.Driver`).  Each
    level recomputes the forward sweep of the levels below it, so the cost
    is quadratic in the depth of the recursion."""
    signature = inspect.signature(fun)
    names = list(signature.parameters)
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
           for p in signature.parameters.values()) or "g" in names or TANGENT in names:
        return None
    args = "(" + "".join(n + ", " for n in names) + ")"
    own = fun.__name__ if fun.__name__.isidentifier() and fun.__name__ not in names else "fun"
    namespace = {own: fun, "vjp_call": driver.recursive_vjp, "jvp_call": driver.recursive_jvp}
    adjoints = [f"vjp_call({own}, {i}, {args}, g)" for i in range(len(names))]
    rule = Rule(fun, signature, adjoints, namespace=namespace, name=fun.__qualname__)
    rule.recursive = fun        # the reversal may call the callee's split form instead
    rule.recursive_driver = driver      # (its recursion_problem: forward mode calls it again)
    for i, n in enumerate(names):
        rule.tangents[n] = Template(f"jvp_call({own}, {i}, {args}, {TANGENT})", names + [TANGENT],
                                    namespace, rule.name)
    return rule


class JointFallback(Exception):
    """A helper given an adjoint function of its own (frontend/inline/joint.py)
    cannot have one after all (``reason``): the pipeline generates the
    function again with ``fun`` inlined at every call site, or at the one
    ``site`` (a key ``inliner.keep`` made) when only that site cannot."""

    def __init__(self, fun, reason, site=None):
        super().__init__(f"{getattr(fun, '__qualname__', fun)}: {reason}")
        self.fun, self.reason = fun, reason
        self.site = site        # only this call site is to be inlined (inliner.keep)

    @property
    def excluded(self):
        """What the pipeline excludes: the helper, or ``("site", key)``."""
        return self.fun if self.site is None else ("site", self.site)


def joint_problem(parsed, an, params):
    """Why the helper analysed as ``an`` (parameters ``params``) cannot have
    an adjoint function of its own that its callers call (``None`` if it can): it
    writes into an argument (the caller must see that), its result may share
    an argument's memory or that of an object of its module (the caller
    would not know), an argument is a tuple, list, dict or object, or the
    result a list, dict or object (a tuple result is fine: its adjoint is the
    list of its elements')."""
    written = getattr(an, "written_arrays", set()) | getattr(an, "mutated", set())
    if getattr(parsed, "srcgrad_copied", 0) or set(params) & written:
        return "it writes into an argument"
    result = an.result
    shared = getattr(an, "share", {}).get(result, {result}) | {result}
    if shared & set(params):
        return "its result may share memory with an argument"
    if any(n not in an.locals and an.parsed.resolve_global(n) is not MISSING for n in shared):
        return "its result may share memory with an object of its module"
    if any(n in an.kind for n in params) or an.kind.get(result, "tuple") != "tuple":
        return "an argument or its result is a container or an object"
    return None


#: builtins that compute a value from their arguments and change nothing
_PURE_BUILTINS = {getattr(builtins, n) for n in (
    "abs", "all", "any", "bool", "complex", "dict", "divmod", "enumerate", "filter", "float",
    "int", "isinstance", "len", "list", "map", "max", "min", "pow", "range", "reversed",
    "round", "set", "sorted", "sum", "tuple", "zip")}
#: modules whose functions compute values (but not their random generators,
#: nor those of :data:`_EFFECTS`)
_PURE_MODULES = {"numpy", "scipy", "math", "cmath", "operator", "srcgrad"}
_EFFECTS = {"save", "savez", "savez_compressed", "savetxt", "tofile", "seterr", "seterrcall",
            "set_printoptions", "shuffle", "permutation", "seed", "show"}


def recompute_problem(fn, an, recursive=False):
    """Why the helper whose normalised body is ``fn`` (analysed as ``an``)
    may not run twice with the same arguments (its ``vjp`` computes its
    primal again: joint mode), or None: a call of a function that may draw
    random numbers, print or change something (anything but a
    differentiable primitive, a helper with an adjoint function of its own,
    a function of NumPy, SciPy, ``math`` or a pure builtin, a method of a
    local value), or a write into an object not its own.  ``recursive``:
    ``fn`` is a recursive function's, whose recursive calls (to itself or
    the functions of its cycle, each asked in turn) are not a problem.

    >>> from srcgrad.compiler.analysis.show import analysed
    >>> def problem(text):
    ...     an = analysed(text, "x")
    ...     return recompute_problem(an.fn, an)
    >>> problem("def f(x):\\n    return np.random.normal() * x")
    'it calls normal, which may not give the same result twice'
    >>> problem("def f(x):\\n    print(x)\\n    return x * 2.0")
    'it calls print, which may not give the same result twice'
    >>> print(problem("def f(x):\\n    return np.sin(x) * len(x)"))
    None
    >>> problem("COUNT = [0]\\ndef f(x):\\n    COUNT.append(1.0)\\n    return x * 2.0")
    'it calls append, which may not give the same result twice'
    """
    kept = getattr(an.parsed, "srcgrad_kept", {})
    for s in walk_stmts(fn.body):
        for t in getattr(s, "targets", [getattr(s, "target", None)]):
            while isinstance(t, (gast.Subscript, gast.Attribute)):
                t = t.value
                if isinstance(t, gast.Name) and an.resolve_name(t.id) is not MISSING:
                    return f"it changes {t.id}, which is not its own"
        if is_method_stmt(s) and s.value.func.value.id in an.locals:
            continue                # (a method of a local value: ys.append(y))
        op = getattr(s, "srcgrad_op", None)
        if op is not None and op.kind == "call" and op.rule is not None and \
                (op.rule.differentiable and _pure(op.fun) or
                 getattr(op.rule, "recursive", None) in kept or
                 recursive and getattr(op.rule, "recursive", None) is not None):
            continue
        if isinstance(s, (gast.Assign, gast.Expr)):
            for node in gast.walk(s.value):
                if isinstance(node, gast.Call) and not _pure(_callee(node.func, an)):
                    name = getattr(node.func, "attr", getattr(node.func, "id", "a function"))
                    return f"it calls {name}, which may not give the same result twice"
    return None


def _callee(func, an):
    """What a call's ``func`` names (``np.sin``, ``len``): ``...`` for a
    local value or its method (pure: the helper writes into no argument,
    :func:`joint_problem`), None when unknown."""
    root = func
    while isinstance(root, gast.Attribute):
        root = root.value
    if isinstance(root, gast.Name) and root.id in an.locals:
        return ...
    found = an.resolve(func)
    return None if found is MISSING else found


def _pure(fun):
    if fun is ... or isinstance(fun, np.ufunc) or fun in _PURE_BUILTINS:
        return True
    owner = getattr(fun, "__self__", None)
    if isinstance(owner, (np.ndarray, np.generic)):
        return fun.__name__ not in _CHANGING      # (a method of an array: W.sum, not W.fill)
    if owner is not None and not inspect.ismodule(owner):
        fun = type(owner)         # a random generator's method: its class's module
    module = getattr(fun, "__module__", None) or \
        getattr(getattr(fun, "__objclass__", None), "__module__", None) or ""
    parts = module.split(".")
    return parts[0] in _PURE_MODULES and "random" not in parts and \
        getattr(fun, "__name__", "") not in _EFFECTS


def mutable_globals(fn, an):
    """``{id(object): name}``: the objects the function ``fn`` (its front
    end's statements, analysed as ``an``) reads that are not its own and may
    change -- arrays that can be written, lists, dicts, other objects.  A
    helper's ``vjp`` computes its primal again when the caller's reverse
    sweep runs: a caller that changes one of these in between is given the
    helper inlined.

    >>> from srcgrad.compiler.analysis.show import analysed
    >>> an = analysed('''
    ... W, SCALE, NAMES = np.ones(2), 2.0, ("a", "b")
    ... def f(x):
    ...     return np.sum(W * x) * SCALE + len(NAMES)''', "x")
    >>> list(mutable_globals(an.fn, an).values())
    ['W']
    """
    out = {}
    for node in gast.walk(fn):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
            value = an.resolve_name(node.id)
            if value is not MISSING and _mutable(value):
                out[id(value)] = node.id
    return out


_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), range, frozenset, np.generic,
              np.dtype, type, np.ufunc)


def _mutable(value):
    if isinstance(value, _IMMUTABLE) or inspect.ismodule(value) or inspect.isroutine(value):
        return False
    if isinstance(value, tuple):
        return any(_mutable(v) for v in value)
    if isinstance(value, np.ndarray):
        return bool(value.flags.writeable)
    return True
