"""Objects whose attributes are assigned: ``p.a = v`` is a new object in
generated code (``p_1 = set_field(p, 'a', v)``), which is exact only when no
other name still in use refers to the old object, or holds it: another name
for it (``q = p``), a container or object it was put into (``[p]``,
``Outer(inner=p)``), or the container it was read out of (``p = ps[0]``).
Python would show the change through those; they are refused.

The relations are over the SSA names and flow-insensitive (a name is, or
holds, the object if it may at any point); "still in use" is liveness after
the assignment.  An argument whose attributes are assigned is checked when
the code runs not to be another argument (``runtime.check_unshared``); an
object read out of an argument and then changed is refused.

>>> from srcgrad.compiler.analysis.show import refusal
>>> print(refusal('''
... def f(x):
...     p = make()
...     q = p
...     q.a = 2.0 * x
...     return p.a * q.a''', wrt="x"))  # doctest: +NORMALIZE_WHITESPACE
<example>:4: the attributes of 'q' are assigned while 'p', which is the same object, is still
used; srcgrad makes a new object for 'q' and 'p' would not see the change
    q.a = 2.0 * x
  hint: make an independent object: q = dataclasses.replace(p) (or copy.copy(p))
"""

import gast

from srcgrad import runtime
from srcgrad.compiler.ir.dataflow import live_before


def check_objects(an, assigns):
    """Refuse an attribute assignment whose object another name still in use
    refers to or holds (see the module's docstring)."""
    # (set_field in srcgrad's own generated code, differentiated again, changes
    # nothing: only the user's attribute assignments are marked)
    writes = [s for s in assigns if isinstance(s, gast.Assign) and
              isinstance(s.targets[0], gast.Name) and _is_setter(s.srcgrad_op) and
              getattr(s.value, "srcgrad_set_field", False)]
    if not writes:
        return
    rel = _Relations(an, assigns)
    params = {a.id for a in an.fn.args.posonlyargs + an.fn.args.args + an.fn.args.kwonlyargs}
    user = getattr(an, "user_of", {})
    todo = {id(s): s for s in writes}

    def visit(s, live):
        if id(s) not in todo:
            return
        x, t = s.srcgrad_op.args["x"].id, s.targets[0].id
        same, holders = rel.around(x)
        ux = user.get(x, x)
        shared = sorted(n for n in same | holders if n not in an.locals)
        if shared:
            raise an.parsed.error(
                s, f"the attributes of '{ux}' are assigned, and it may be the object "
                   f"'{user.get(shared[0], shared[0])}' of the module or of an enclosing "
                   f"function (or held by it); srcgrad never changes such objects",
                construct="attribute assignment to a global object",
                hint=f"make a new object: {ux} = dataclasses.replace({ux}, ...), or pass the "
                     f"object as an argument")
        outer = sorted(p for p in holders if p in params)
        if outer:
            raise an.parsed.error(
                s, f"the attributes of '{ux}', an object read out of the argument "
                   f"'{user.get(outer[0], outer[0])}', are assigned; srcgrad never changes "
                   f"its arguments and cannot follow the change through them",
                construct="attribute assignment to an object held by an argument",
                hint=f"make a new object and put it back: {ux} = dataclasses.replace({ux}, "
                     f"...) and build the argument's new value from it")
        for y in sorted((same | holders) - {t}):
            if y not in live:
                continue
            uy = user.get(y, y)
            what = "which is the same object" if y in same else "which holds it"
            raise an.parsed.error(
                s, f"the attributes of '{ux}' are assigned while '{uy}', {what}, is still "
                   f"used; srcgrad makes a new object for '{ux}' and '{uy}' would not see the "
                   f"change", construct="attribute assignment to a shared object",
                hint=f"make an independent object: {ux} = dataclasses.replace({uy}) (or "
                     f"copy.copy({uy}))" if y in same else
                     f"put a copy into '{uy}' (dataclasses.replace({ux}), copy.copy({ux}))")

    live_before(an.fn.body, set(), visit)


def _is_setter(op):
    return op.kind == "call" and op.fun is runtime.set_field


def _is_replace(op):
    return op.kind == "call" and (op.fun is runtime.replace_dataclass or
                                  op.fun is runtime.replace_namedtuple)


class _Relations:
    """Which names may be (``same``) or hold (``holds``) which, from copies,
    containers made, element and attribute reads, and calls srcgrad does not
    know (whose result may be, or hold, any argument)."""

    def __init__(self, an, assigns):
        self.copies = {}       # name -> names it was copied from or to
        self.holds = {}        # container -> names put into it
        self.inherits = {}     # t -> x for t = set_field(x, ...), replace: t holds what x holds
        self.read_out = {}     # m -> containers m was read out of
        self.unknown = {}      # m -> operands of an operation srcgrad does not know
        for s in assigns:
            op = s.srcgrad_op
            if isinstance(s, gast.Expr) or not isinstance(s.targets[0], gast.Name):
                if op.kind in ("setitem", "append", "insert") and \
                        isinstance(op.args.get("v"), gast.Name):
                    self._add(self.holds, op.args["x"].id, op.args["v"].id)
                continue
            t = s.targets[0].id
            names = [a.id for a in op.args.values() if isinstance(a, gast.Name)]
            if op.kind == "copy" and names:
                self._add(self.copies, t, names[0])
                self._add(self.copies, names[0], t)
            elif op.kind in ("pack", "pack_dict"):
                for n in _names(op.args.values()):
                    self._add(self.holds, t, n)
            elif _is_setter(op) or _is_replace(op):
                # a new object: what x holds, and the new values
                if isinstance(op.args["x"], gast.Name):
                    self.inherits[t] = op.args["x"].id
                for p, a in op.args.items():
                    if p != "x" and isinstance(a, gast.Name):
                        self._add(self.holds, t, a.id)
            elif op.kind in ("subscript", "attr") and names:
                self._add(self.read_out, t, names[0])
            elif op.kind == "pop" and names:
                self._add(self.read_out, t, names[0])
            elif op.kind == "unknown" or op.kind == "call" and \
                    str(getattr(op.rule, "name", "")).startswith("container"):
                # (a callee named by a global is a function, not a value it returns)
                for n in _names(a for k, a in op.args.items() if k != "callee" or
                                isinstance(a, gast.Name) and a.id in an.locals):
                    self._add(self.unknown, t, n)

    @staticmethod
    def _add(rel, a, b):
        rel.setdefault(a, set()).add(b)

    def around(self, x):
        """(names that may be ``x``'s object, names that may hold it)."""
        same, holders = {x}, set()
        changed = True
        while changed:
            n0 = len(same) + len(holders)
            for a in list(same):
                same |= self.copies.get(a, set())
            for a in list(holders):
                holders |= self.copies.get(a, set())
            for c, elems in self.holds.items():
                if elems & (same | holders):
                    holders.add(c)
            for t, src in self.inherits.items():
                if src in holders:
                    holders.add(t)
            for m, cs in self.read_out.items():
                if m in same:
                    holders |= cs            # x = c.f: c holds the object
                if cs & holders:
                    same.add(m)              # m = c[k] of a holder may be the object
            for m, ops in self.unknown.items():
                if ops & (same | holders):
                    same.add(m)
                if m in same | holders:
                    holders |= ops
            changed = len(same) + len(holders) != n0
        return same, holders - same


def _names(values):
    out = []
    for a in values:
        if isinstance(a, gast.Name):
            out.append(a.id)
        elif isinstance(a, gast.AST):
            out.extend(n.id for n in gast.walk(a) if isinstance(n, gast.Name))
        elif isinstance(a, (list, tuple)):
            out.extend(_names(a))
    return out
