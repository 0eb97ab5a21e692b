"""Frozen distributions: ``scipy.stats.norm(mu, s).logpdf(x)`` is
``scipy.stats.norm.logpdf(x, mu, s)``.

A frozen distribution only stores the arguments it was made with and passes
them after the point to the method of the same name of its generator
(``rv_frozen.logpdf(x) == dist.logpdf(x, *args, **kwds)``), so a call of a
method of a frozen distribution made in the function is rewritten into that
call, whose rule srcgrad knows:

* inline: ``G(*a, **k).m(x)`` becomes ``G.m(x, *a, **k)`` (``G(*a, **k).m()``
  becomes ``G.m(*a, **k)``);
* by name: ``d = G(*a, **k)`` -- ``d`` assigned once, and used only as
  ``d.m(x)`` -- becomes assignments of the arguments to fresh names
  (evaluated where ``d`` was made, as Python does), and each ``d.m(x)`` the
  call ``G.m(x, *fresh)``.

``G`` is a global object of ``scipy.stats`` whose method ``m`` has a rule.
Anything else (``d`` passed on, stored, reassigned) is left alone and
refused later as a call without a rule.

>>> import scipy.stats
>>> from srcgrad.compiler.ir.printer import source
>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> print(source(normalise_text('''
... def f(x, mu, s):
...     d = scipy.stats.norm(mu, scale=s)
...     return d.logpdf(x) + scipy.stats.t(3.0).cdf(x)
... ''', {"scipy": scipy})))
def f(x, mu, s):
    d_arg = mu
    d_scale = s
    out = scipy.stats.norm.logpdf(x, d_arg, scale=d_scale) + scipy.stats.t.cdf(x, 3.0)
    return out
"""

import gast

from srcgrad.compiler.frontend.parse import MISSING
from srcgrad.compiler.ir.names import assign, load
from srcgrad.rules import lookup
from srcgrad.compiler.ir.walk import inner_nodes
from srcgrad.compiler.ir.transformer import Transformer


def _generator(node, parsed, local):
    """The scipy.stats object a global attribute chain ``node`` names, or None."""
    chain = []
    while isinstance(node, gast.Attribute):
        chain.append(node.attr)
        node = node.value
    if not isinstance(node, gast.Name) or node.id in local:
        return None
    obj = parsed.resolve_global(node.id)
    for attr in reversed(chain):
        obj = getattr(obj, attr, MISSING)
    module = getattr(type(obj), "__module__", None)      # (not always a str: Python 3.10's
    if obj is MISSING or not isinstance(module, str) or \
            not module.startswith("scipy.stats"):            # random.Random has a descriptor)
        return None
    return obj


def _method_call(node):
    """``(receiver, method, point)`` of ``R.m(x)`` (one positional argument), or
    ``(receiver, method, None)`` of ``R.m()`` (``multivariate_normal(mean, cov).entropy()``)."""
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
            len(node.args) <= 1 and not node.keywords and \
            not any(isinstance(a, gast.Starred) for a in node.args):
        return node.func.value, node.func.attr, node.args[0] if node.args else None
    return None


def _frozen(call, parsed, local):
    """``(generator node, args, keywords)`` when ``call`` makes a frozen distribution."""
    if not isinstance(call, gast.Call) or any(isinstance(a, gast.Starred) for a in call.args) \
            or any(k.arg is None for k in call.keywords):
        return None
    gen = _generator(call.func, parsed, local)
    if gen is None or not callable(gen):
        return None
    return gen, call


def _unfrozen(gen, call, method, point):
    fun = getattr(gen, method, None)
    if fun is None or lookup(fun) is None:
        return None
    return gast.Call(func=gast.Attribute(value=call.func, attr=method, ctx=gast.Load()),
                     args=([] if point is None else [point]) + list(call.args),
                     keywords=list(call.keywords))


class _Rewrite(Transformer):
    def __init__(self, parsed, local, named):
        self.parsed, self.local, self.named = parsed, local, named

    def visit_Call(self, node):
        self.generic_visit(node)
        parts = _method_call(node)
        if parts is None:
            return node
        receiver, method, point = parts
        if isinstance(receiver, gast.Name) and receiver.id in self.named:
            gen, call = self.named[receiver.id]
        else:
            made = _frozen(receiver, self.parsed, self.local)
            if made is None:
                return node
            gen, call = made
        new = _unfrozen(gen, call, method, point)
        return node if new is None else gast.copy_location(new, node)


def unfreeze(fn, parsed, namer):
    """Rewrite the frozen distributions of function ``fn`` (in place)."""
    stores, loads = {}, {}
    # (the nodes but contexts and operators, in the order of a walk, found once: nothing
    # below changes the tree before the rewriting at the end)
    nodes = inner_nodes(fn)
    for n in nodes:
        if n.__class__ is gast.Name:
            table = stores if isinstance(n.ctx, (gast.Store, gast.Del)) else loads
            table[n.id] = table.get(n.id, 0) + 1
    local = set(stores) | {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}
    method_uses = {}        # name -> the methods called on it
    for n in nodes:
        parts = _method_call(n)
        if parts is not None and isinstance(parts[0], gast.Name):
            method_uses.setdefault(parts[0].id, []).append(parts[1])
    named, replaced = {}, {}
    for n in nodes:
        if isinstance(n, gast.Assign) and len(n.targets) == 1 and \
                isinstance(n.targets[0], gast.Name):
            d = n.targets[0].id
            made = _frozen(n.value, parsed, local)
            if made is None or stores.get(d) != 1 or loads.get(d, 0) != len(method_uses.get(d, ())) \
                    or any(a.id == d for a in fn.args.args + fn.args.kwonlyargs):
                continue
            gen, call = made
            if not all(lookup(getattr(gen, m, None)) is not None for m in method_uses[d]):
                continue
            # the arguments, evaluated where the distribution was made
            stmts, args, keywords = [], [], []
            for i, a in enumerate(call.args):
                name = namer.fresh(f"{d}_arg")
                stmts.append(assign(name, a, n))
                args.append(load(name))
            for k in call.keywords:
                name = namer.fresh(f"{d}_{k.arg}")
                stmts.append(assign(name, k.value, n))
                keywords.append(gast.keyword(arg=k.arg, value=load(name)))
            named[d] = (gen, gast.Call(func=call.func, args=args, keywords=keywords))
            replaced[id(n)] = stmts
    _Rewrite(parsed, local, named).visit(fn)
    if named:
        _splice(fn, replaced)
    return fn


def _splice(node, replaced):
    """Replace the statements in ``replaced`` (by id) in every body of ``node``."""
    for field in ("body", "orelse", "finalbody"):
        block = getattr(node, field, None)
        if not isinstance(block, list):
            continue
        out = []
        for s in block:
            out.extend(replaced.get(id(s), [s]))
            _splice(s, replaced)
        setattr(node, field, out)
