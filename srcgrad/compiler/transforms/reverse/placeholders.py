"""The pseudo statements of the reverse sweep, and the two states of an adjoint.

The walk (:mod:`~srcgrad.compiler.transforms.reverse.walk`) builds both
sweeps with these objects where the code cannot be written yet: an
:class:`Adjoint` does not know whether its contribution is the first
(``d_x = ...``) or adds to earlier ones, a :class:`Push` not whether the
reverse sweep will read the value it would save.  ``materialise`` turns the
adjoint placeholders into code, ``place_tape`` the tape ones (a forward
placeholder and its reverse share a ``key``); a :class:`Comment` becomes a
comment line.

A loop in SSA form, and its two sweeps before either step (a ``for`` loop
is shown as the list of its body):

>>> import gast
>>> from srcgrad.compiler.ir.printer import source
>>> from srcgrad.compiler.pipeline import Driver, front_end
>>> from srcgrad.compiler.transforms.reverse import Reverse
>>> def f(x, n):
...     s = 0.0
...     for i in range(n):
...         s = s * x + 1.0
...     return s
>>> front = front_end(f, ("x",), Driver(), reverse=True)
>>> print(source(front.fn))
def f(x, n):
    s = 0.0
    for i in range(n):
        s_1 = s * x
        s = s_1 + 1.0
    out = s
    return out
>>> rev = Reverse(front.parsed, front.fn, front.analysis, front.namer, front.injector,
...               ("x",), front.user_of)
>>> fwd, back = rev.sweeps(front.fn.body[:-1], None)
>>> def kinds(stmts):
...     return [kinds(s.body) if isinstance(s, gast.For) else type(s).__name__ for s in stmts]
>>> for s in kinds(fwd): print(s)
Assign
['Assign', 'Push', 'Assign', 'Snapshot']
Assign
>>> for s in kinds(back): print(s)
Comment
Adjoint
['Snapshot', 'Comment', 'Restore', 'Adjoint', 'Comment', 'Adjoint']
Adjoint
"""

from srcgrad.compiler.ir.copying import deepcopy as copy_tree

#: an adjoint's value while materialising: one the generated code made (and
#: may change in place), or one it may share with another adjoint
DEF_OWNED, DEF_SHARED = "owned", "shared"


class Adjoint:
    """The adjoint of one assignment ``target = op(...)``.

    ``contribs`` are ``(var, expr)`` pairs: add ``expr`` (which reads the
    adjoint of ``target``) to the adjoint of ``var``; ``indexed`` are
    ``(var, index, expr)``: add ``expr`` to ``adjoint(var)[index]``.
    """

    def __init__(self, stmt, target, contribs, indexed=()):
        self.stmt = stmt
        self.target = target
        self.contribs = contribs
        self.indexed = list(indexed)

    def __deepcopy__(self, memo):
        out = Adjoint(self.stmt, self.target, copy_tree(self.contribs, memo),
                      copy_tree(self.indexed, memo))
        return keep_facts(out, self)


_keys = iter(range(1, 1 << 62))


class Restore:
    """Reverse of a loop-carried overwrite: pop the old value back."""

    def __init__(self, name):
        self.name = name
        self.key = next(_keys)


class Snapshot:
    """End of a block inside a loop: push (forward) / pop (reverse) the values
    the block defines once per iteration that the reverse sweep reads."""

    def __init__(self, names):
        self.names = names      # candidate names assigned directly in the block
        self.key = next(_keys)


class SaveItem:
    """Forward placeholder before ``x[index] = v``: save what is overwritten."""

    def __init__(self, name, index):
        self.name = name
        self.index = index
        self.key = next(_keys)


class RestoreItem:
    """Reverse of ``x[index] = v``: put the overwritten values back."""

    aliases = frozenset()       # names that may share x's memory (views of it)

    def __init__(self, name, index, key):
        self.name = name
        self.index = index
        self.key = key


class SetItemAdjoint:
    """The adjoint of ``x[index] = v``: ``v`` receives the adjoint of the
    written elements, whose adjoint then restarts from zero."""

    def __init__(self, x, index, v):
        self.x = x
        self.index = index
        self.v = v

    def __deepcopy__(self, memo):
        return keep_facts(SetItemAdjoint(self.x, copy_tree(self.index, memo),
                                          copy_tree(self.v, memo)), self)


class ListAdjoint:
    """The adjoint of ``ys.append(v)``, ``ys.insert(i, v)`` or ``ys.pop(i)``
    (a change of ``ys`` in place): the adjoint of ``ys`` loses (gains back)
    the element's entry, which goes to ``v``."""

    def __init__(self, kind, x, index, v):
        self.kind = kind
        self.x = x
        self.index = index
        self.v = v

    def __deepcopy__(self, memo):
        return keep_facts(ListAdjoint(self.kind, self.x, copy_tree(self.index, memo),
                                       copy_tree(self.v, memo)), self)


def keep_facts(new, old):
    """``new`` (a copy of the pseudo statement ``old``) with the facts set on
    ``old`` after it was made (``passes_lazy``, ``made_lazy``, ``container``):
    a loop body is materialised from copies, which must mean the same."""
    for attr, value in vars(old).items():
        if attr not in vars(new):
            setattr(new, attr, value)
    return new


class SaveValue:
    """Forward placeholder: push ``expr`` (what a change in place of ``name``
    loses) if the reverse sweep undoes that change."""

    def __init__(self, name, expr):
        self.name = name
        self.expr = expr
        self.key = next(_keys)


class Undo:
    """Reverse placeholder: undo a change in place of ``name`` (``stmt``,
    which reads ``tape.pop()`` through ``TAPE_VALUE`` when ``save`` is the
    key of a SaveValue) if the reverse sweep reads ``name`` afterwards, or
    one of ``aliases`` (names that may be views of it)."""

    aliases = frozenset()

    def __init__(self, name, stmt, save=None):
        self.name = name
        self.stmt = stmt
        self.save = save
        self.key = save if save is not None else next(_keys)


TAPE_VALUE = "__srcgrad_tape_value__"


class Push:
    """Forward placeholder before a loop-carried overwrite."""

    def __init__(self, name, key):
        self.name = name
        self.key = key


class Comment:
    """A comment line of the generated code (the user's line a statement's
    adjoint comes from); the pipeline prints it as ``# text``."""

    def __init__(self, text):
        self.text = text
