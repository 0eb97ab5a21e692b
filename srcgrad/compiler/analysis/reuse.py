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

``y = z.T`` read as ``y.T`` in an adjoint is ``z`` (``transposes``):

>>> an = analysed('''
... def f(A, x):
...     At = A.T
...     return np.sum(At @ x)''', wrt="A")
>>> an.transposes
{'At': 'A'}
"""

import collections

import gast

from srcgrad.compiler.ir.dataflow import blocks, walk_stmts
from srcgrad.compiler.ir.names import names_in
from srcgrad.compiler.ir.walk import name_nodes
from srcgrad.rules.registry import _Default, _key


def reused_results(an):
    """``{target: (name of the reused result, {parameter: Template})}`` for
    the calls of ``an.fn`` whose rule reuses a result computed before them."""
    bound = _bindings(an.fn.body)
    changed = an.mutated | getattr(an, "written_arrays", set())
    out = {}
    for block in blocks(an.fn.body):
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


def transposes(an):
    """``{y: z}`` for the names ``y = z.T`` whose every read sees ``z``
    unchanged, so that an adjoint may read ``y.T`` as ``z``: both bound at
    most once and never written in place, ``z`` a parameter or bound
    earlier in the same block, and ``y`` read only after its definition in
    that block (not around a loop, before it is bound again)."""
    bound = _bindings(an.fn.body)
    changed = an.mutated | getattr(an, "written_arrays", set())
    params = {a.id for a in an.fn.args.posonlyargs + an.fn.args.args + an.fn.args.kwonlyargs}
    total = collections.Counter(n.id for n in name_nodes(an.fn) if isinstance(n.ctx, gast.Load))
    out = {}
    for block in blocks(an.fn.body):
        for j, s in enumerate(block):
            v = getattr(s, "value", None)
            if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
                    isinstance(s.targets[0], gast.Name) and isinstance(v, gast.Attribute) and
                    v.attr == "T" and isinstance(v.value, gast.Name)):
                continue
            y, z = s.targets[0].id, v.value.id
            if bound[y] != 1 or {y, z} & changed:
                continue
            if not (bound[z] == 0 and z in params or bound[z] == 1 and any(
                    z in _bound_names(t) for t in block[:j])):
                continue
            later = sum(1 for t in block[j + 1:] for n in name_nodes(t)
                        if n.id == y and isinstance(n.ctx, gast.Load))
            if later == total[y]:
                out[y] = z
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
