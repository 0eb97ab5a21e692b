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

import inspect

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
    a split form of its own that its callers call (``None`` if it can): it
    writes into an argument (the caller must see that), its result may share
    an argument's memory, an argument is a tuple, list, dict or object, or the
    result a list, dict or object (a tuple result is fine: its adjoint is the
    list of its elements')."""
    written = getattr(an, "written_arrays", set()) | getattr(an, "mutated", set())
    if getattr(parsed, "srcgrad_copied", 0) or set(params) & written:
        return "it writes into an argument"
    result = an.result
    if result in params or getattr(an, "share", {}).get(result, {result}) & set(params):
        return "its result may share memory with an argument"
    if any(n in an.kind for n in params) or an.kind.get(result, "tuple") != "tuple":
        return "an argument or its result is a container or an object"
    return None
