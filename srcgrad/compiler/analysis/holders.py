"""Which containers hold which names' values, for the aliasing checks
(``aliasing.check_augmented``): ``lst[k] += e`` changes the array at
``lst[k]`` in place, so every other slot or name holding that array sees the
change.

A display, ``append``, ``insert`` and ``lst[k] = v`` put a value into a
container.  ``list(t)``, ``a + b`` and ``a * n`` of lists make a new list
holding the *elements* of ``t``, ``a``, ``b``: each value put into those is
held by the new list too, and a repetition holds each of them twice (so
``L[0] += x`` is checked against ``L[1]`` when the code runs):

>>> from srcgrad.compiler.analysis.show import analysed
>>> from srcgrad.compiler.analysis.ops import iter_assigns
>>> an = analysed('''
... def f(x):
...     a = x * 1.0
...     L = [a] * 2
...     return np.sum(L[1] * x)''', wrt="x")
>>> containers_holding(an, list(iter_assigns(an.fn.body)))[0]
{'a': ['L_1', 'L', 'L'], 'L_1': ['L']}
"""

import gast

from srcgrad import runtime
from srcgrad.compiler.analysis.container_calls import container_rule
from srcgrad.compiler.ir.walk import inner_nodes

#: container rules whose result holds the elements of their sequence
#: arguments: those parameters, and how many times at least (a repetition: twice)
ELEMENT_COPIES = {"list": (("iterable",), 1), "concat": (("x", "y"), 1), "repeat": (("x",), 2)}


def containers_holding(an, assigns):
    """``(put_into, constants, packed_into)``: for each name, the containers
    it was put into directly (with repeats: ``[a, a]``), the names only ever
    bound to a number (immutable), and the containers holding its value at
    any depth (``t = (a, b); u = [t]``: ``a`` is held by ``t`` and ``u``)."""
    put_into = {}           # name -> the containers it was put into directly (with repeats)
    constants = set()       # names only ever bound to a number (immutable)
    bound_otherwise = set()
    for s in assigns:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            if isinstance(s.value, gast.Constant) and isinstance(s.value.value, (int, float)):
                constants.add(s.targets[0].id)
            else:
                bound_otherwise.add(s.targets[0].id)
    constants -= bound_otherwise
    copies = {container_rule(which): spec for which, spec in ELEMENT_COPIES.items()}
    for s in assigns:
        op = getattr(s, "srcgrad_op", None)
        if op is None:
            continue
        if op.kind in ("append", "insert", "setitem") and isinstance(op.args.get("x"), gast.Name):
            # ``lst[k] = v``, ``lst.append(v)``: the list holds v's array
            into = op.args["x"].id
            if an.kind.get(into) not in ("list", "dict", "container"):
                continue        # an array: a write copies the values
            values = [op.args.get("v")]
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and \
                op.kind == "call" and op.rule in copies:
            # list(t), a + b, a * n: the elements of t, a, b (and t, a, b themselves,
            # whose elements may not be known here)
            into = s.targets[0].id
            params, times = copies[op.rule]
            sequences = [op.args[p].id for p in params if isinstance(op.args.get(p), gast.Name)]
            members = [n for n, cs in put_into.items() for c in cs if c in sequences]
            for n in sequences + members * times:
                put_into.setdefault(n, []).append(into)
            continue
        elif isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and (
                op.kind in ("pack", "pack_dict") or op.kind == "call"
                and (op.fun is runtime.set_field or op.fun is runtime.replace_dataclass
                     or op.fun is runtime.replace_namedtuple)):
            # (p_1 = set_field(p, 'a', v) holds v and what p holds; so does a replace)
            into = s.targets[0].id
            values = [a for a in op.args.values() if isinstance(a, gast.AST)]
        else:
            continue
        for a in values:
            for n in inner_nodes(a) if isinstance(a, gast.AST) else ():
                if isinstance(n, gast.Name) and n.id != into:
                    put_into.setdefault(n.id, []).append(into)

    # name -> the containers holding its value, at any depth
    packed_into = {n: set(cs) for n, cs in put_into.items()}
    changed = True
    while changed:
        changed = False
        for n, cs in packed_into.items():
            more = {d for c in cs for d in packed_into.get(c, ())} - cs
            if more:
                cs |= more
                changed = True
    return put_into, constants, packed_into
