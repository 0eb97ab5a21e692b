"""Jumps: ``break``, ``continue`` and ``return`` anywhere become flags
(``broke``, ``skip``, ``returned``) and a single return value (``out``), so
that every loop iteration that starts reaches the end of its body and the
only ``break`` left is a loop's final ``if broke: break``.  Flags are made
only where needed: ``if c: return a`` followed by more code puts that code
into the ``else`` branch instead.

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def f(x):
...     if x > 1.0:
...         return x
...     y = x * 2.0
...     return y
... ''')))
def f(x):
    out = None
    if x > 1.0:
        out = x
    else:
        y = x * 2.0
        out = y
    return out
>>> print(source(normalise_text('''
... def f(x, n):
...     for i in range(n):
...         if x > 10.0:
...             break
...         x = x * 2.0
...     return x
... ''')))
def f(x, n):
    broke = False
    for i in range(n):
        if x > 10.0:
            broke = True
        else:
            x = x * 2.0
        if broke:
            break
    out = x
    return out
>>> print(source(normalise_text('''
... def f(x, n):
...     for i in range(n):
...         if x < 0.0:
...             continue
...         if x > 10.0:
...             return i
...         x = x * 2.0
...     return x
... ''')))
def f(x, n):
    returned = False
    out = None
    broke = False
    for i in range(n):
        if not x < 0.0:
            if x > 10.0:
                out = i
                returned = True
                broke = True
            else:
                x = x * 2.0
        if broke:
            break
    if not returned:
        out = x
        returned = True
    return out
"""

import gast

from srcgrad.compiler.frontend.normalise.trees import assigns
from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.compiler.ir.walk import name_nodes

NEVER, MAYBE, ALWAYS = 0, 1, 2


class _Loop:
    """Jump flags of one loop being structured; created when first needed."""

    def __init__(self, norm):
        self.norm = norm
        self.brk = None
        self.skip = None

    def break_flag(self):
        if self.brk is None:
            self.brk = self.norm.namer.fresh("broke")
        return self.brk

    def skip_flag(self):
        if self.skip is None:
            self.skip = self.norm.namer.fresh("skip")
        return self.skip


class Jumps:
    """The jump structuring of :class:`Normaliser`."""

    def structure(self, stmts, loop):
        """Rewrite ``stmts`` so that no break/continue/return is left except
        the final ``if flag: break`` of a loop.  Returns the new statements and
        whether they may jump (NEVER, MAYBE or ALWAYS)."""
        out = []
        for idx, s in enumerate(stmts):
            rest = stmts[idx + 1:]
            if isinstance(s, gast.Return):
                if getattr(s, "srcgrad_propagated", False):
                    jump = []
                else:
                    value = s.value if s.value is not None else const(None)
                    jump = [assign(self.ret, value, s)]
                if loop is None:
                    if not getattr(s, "srcgrad_propagated", False):
                        jump.append(self._set(self._returned_flag(), True, s))
                else:
                    if not getattr(s, "srcgrad_propagated", False):
                        jump.append(self._set(self._returned_flag(), True, s))
                    jump.append(self._set(loop.break_flag(), True, s))
                    jump.append(self._set(loop.skip_flag(), True, s))
                out.extend(jump)
                return out, ALWAYS
            if isinstance(s, gast.Break):
                out += [self._set(loop.break_flag(), True, s), self._set(loop.skip_flag(), True, s)]
                return out, ALWAYS
            if isinstance(s, gast.Continue):
                out.append(self._set(loop.skip_flag(), True, s))
                return out, ALWAYS
            if isinstance(s, gast.Raise):
                out.append(s)
                return out, ALWAYS
            if getattr(s, "srcgrad_final_break", False):
                out.append(s)          # the final 'if broke: break' of inlined code
                continue
            if isinstance(s, gast.If):
                body, mb = self.structure(s.body, loop)
                orelse, mo = self.structure(s.orelse, loop)
                if mb == NEVER and mo == NEVER:
                    s.body, s.orelse = body, orelse
                    out.append(s)
                    continue
                if not rest or (mb == ALWAYS and mo == ALWAYS):
                    s.body, s.orelse = body, orelse
                    out.append(s)
                    return out, ALWAYS if mb == mo == ALWAYS else MAYBE
                if mb == ALWAYS and mo == NEVER:
                    s.body = body
                    s.orelse, m = self.structure(s.orelse + rest, loop)
                    out.append(s)
                    return out, MAYBE
                if mo == ALWAYS and mb == NEVER:
                    s.orelse = orelse
                    s.body, m = self.structure(s.body + rest, loop)
                    out.append(s)
                    return out, MAYBE
                s.body, s.orelse = body, orelse
                out.append(s)
                flag = loop.skip_flag() if loop is not None else self._returned_flag()
                guarded, m = self.structure(rest, loop)
                if guarded:
                    out.append(gast.copy_location(
                        gast.If(test=gast.UnaryOp(op=gast.Not(), operand=load(flag)),
                                body=guarded, orelse=[]), rest[0]))
                return out, MAYBE
            if isinstance(s, (gast.For, gast.While)):
                pre, brk, orelse = self.structure_loop(s)
                out.extend(pre + [s])
                follow = []
                if orelse and brk is not None:
                    follow.append(gast.copy_location(gast.If(
                        test=gast.UnaryOp(op=gast.Not(), operand=load(brk)),
                        body=orelse, orelse=[]), s))
                else:
                    follow.extend(orelse)
                if self.returned is not None and assigns(s, self.returned):
                    # a return inside the loop: leave the enclosing context too
                    marker = gast.copy_location(gast.Return(value=None), s)
                    marker.srcgrad_propagated = True
                    follow.append(gast.copy_location(
                        gast.If(test=load(self.returned), body=[marker], orelse=[]), s))
                if follow:
                    more, m = self.structure(follow + rest, loop)
                    out.extend(more)
                    return out, m
                continue
            out.append(s)
        return out, NEVER

    def structure_loop(self, s):
        """Structure a loop's body; returns the statements to put before the
        loop, its break flag (or None) and its (unstructured) else clause."""
        loop = _Loop(self)
        body, _ = self.structure(s.body, loop)
        pre = []
        if loop.skip is not None:
            body = [self._set(loop.skip, False, s)] + body
        if loop.brk is not None:
            pre.append(self._set(loop.brk, False, s))
            final = gast.copy_location(gast.If(test=load(loop.brk), body=[gast.Break()],
                                               orelse=[]), s)
            final.srcgrad_final_break = True
            body.append(final)
        s.body = body
        orelse, s.orelse = s.orelse, []
        return pre, loop.brk, orelse

    def _returned_flag(self):
        if self.returned is None:
            self.returned = self.namer.fresh("returned")
            self.flags.add(self.returned)
        return self.returned

    def _set(self, flag, value, like):
        self.flags.add(flag)
        return assign(flag, const(value), like)


def drop_unread_flags(body, flags):
    """Remove assignments to jump flags that nothing reads."""
    if not flags:
        return body
    read = set()
    for s in body:
        for n in name_nodes(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                read.add(n.id)
    unread = flags - read

    def clean(stmts):
        out = []
        for s in stmts:
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
                    and s.targets[0].id in unread:
                continue
            for field in ("body", "orelse"):
                if hasattr(s, field) and isinstance(getattr(s, field), list):
                    setattr(s, field, clean(getattr(s, field)))
            out.append(s)
        return out

    out = clean(body)
    # (a recursive closure refers to itself: a reference cycle, left to the
    # garbage collector with all it holds; broken here so it goes at once)
    del clean
    return out


def tidy(stmts):
    """Drop empty ``if`` statements; ``if c: pass else: s`` becomes
    ``if not c: s``."""
    out = []
    for s in stmts:
        if isinstance(s, (gast.If, gast.For, gast.While)):
            s.body = tidy(s.body)
            s.orelse = tidy(s.orelse)
        if isinstance(s, gast.If):
            if not s.body and not s.orelse:
                continue
            if not s.body:
                test = s.test
                if isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
                    s.test = test.operand
                else:
                    s.test = gast.UnaryOp(op=gast.Not(), operand=test)
                s.body, s.orelse = s.orelse, []
        out.append(s)
    return out
