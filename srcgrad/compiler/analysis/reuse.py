"""Results a rule may reuse (:func:`srcgrad.rules.registry.defreuse`).

A call whose rule declares that it can reuse another primitive's result of
the same arguments (``det`` reusing ``inv``) gets that result's name when the
function computes it earlier in the same block, with nothing in between
rebinding the arguments, and neither the arguments nor the result written in
place anywhere, each name bound by one statement only:

>>> from srcgrad.compiler.analysis.show import analysed
>>> an = analysed('''
... def f(S):
...     Sinv = np.linalg.inv(S)
...     d = np.linalg.det(S)
...     return d * np.sum(Sinv)''', wrt="S")
>>> {y: other for y, (other, _) in an.reused.items()}
{'d': 'Sinv'}
>>> an = analysed('''
... def f(S):
...     Sinv = np.linalg.inv(S)
...     S = S + 1.0
...     d = np.linalg.det(S)
...     return d * np.sum(Sinv)''', wrt="S")
>>> an.reused
{}
"""

import collections

import gast

from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.names import names_in
from srcgrad.rules.registry import _Default, _key


def reused_results(an):
    """``{target: (name of the reused result, {parameter: Template})}`` for
    the calls of ``an.fn`` whose rule reuses a result computed before them."""
    bound = _bindings(an.fn.body)
    changed = an.mutated | getattr(an, "written_arrays", set())
    out = {}
    for block in _blocks(an.fn.body):
        for j, s in enumerate(block):
            op = getattr(s, "srcgrad_op", None)
            if not isinstance(s, gast.Assign) or op is None or op.kind != "call" or \
                    op.rule is None or not op.rule.reuses:
                continue
            y = s.targets[0].id if isinstance(s.targets[0], gast.Name) else None
            args = {n for a in op.args.values() if isinstance(a, gast.AST) for n in names_in(a)}
            if y is None or bound[y] != 1 or args & changed:
                continue
            for earlier in reversed(block[:j]):
                found = _reusable(earlier, op, bound, changed)
                if found is not None:
                    out[y] = found
                    break
                if any(_bound_names(t) & args for t in walk_stmts([earlier])):
                    break
    return out


def _reusable(s, op, bound, changed):
    other_op = getattr(s, "srcgrad_op", None)
    if not isinstance(s, gast.Assign) or other_op is None or other_op.kind != "call":
        return None
    try:
        templates = op.rule.reuses.get(_key(other_op.fun))
    except TypeError:
        return None
    x = s.targets[0]
    if templates is None or not isinstance(x, gast.Name) or bound[x.id] != 1 or \
            x.id in changed:
        return None
    if all(_same(a, op.args.get(p)) for p, a in other_op.args.items()):
        return x.id, templates
    return None


def _same(a, b):
    if isinstance(a, _Default) or isinstance(b, _Default):
        return isinstance(a, _Default) and isinstance(b, _Default) and a.value == b.value
    if isinstance(a, gast.Name) and isinstance(b, gast.Name):
        return a.id == b.id
    if isinstance(a, gast.Constant) and isinstance(b, gast.Constant):
        return type(a.value) is type(b.value) and a.value == b.value
    return False


def _blocks(stmts):
    yield stmts
    for s in stmts:
        for field in ("body", "orelse"):
            sub = getattr(s, field, None)
            if isinstance(sub, list):
                yield from _blocks(sub)


def _bound_names(s):
    """Every name a simple statement binds or writes into (a subscript or
    attribute target's base included), or a loop binds."""
    if isinstance(s, gast.Assign):
        return {n for t in s.targets for n in names_in(t)}
    if isinstance(s, (gast.AugAssign, gast.For, gast.AnnAssign)):
        return set(names_in(s.target))
    return set()


def _bindings(stmts):
    counts = collections.Counter()
    for s in walk_stmts(stmts):
        counts.update(_bound_names(s))
    return counts
