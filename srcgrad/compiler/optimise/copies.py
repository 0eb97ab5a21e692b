"""Copy propagation of adjoint temporaries (after the reverse transform):
``d_t = d_y`` followed by uses of ``d_t`` uses ``d_y`` directly and drops
the copy.

>>> from srcgrad.compiler.ir.printer import function, source
>>> fn = function('''
... d_t = d_y
... d_x = d_t * 2.0
... d_z = d_t + d_x
... return d_z''')
>>> print(source(propagate_copies(fn, {"d_t"})))
def f(d_y):
    d_x = d_y * 2.0
    d_z = d_y + d_x
    return d_z
"""

import bisect
from ast import AST

import gast

from srcgrad.compiler.ir.dataflow import remove_stmts
from srcgrad.compiler.ir.walk import name_nodes

def propagate_copies(fn, candidates):
    """``d_t = d_y`` followed by uses of ``d_t``: use ``d_y`` directly and drop
    the copy, for adjoints of compiler temporaries (``candidates``); copies
    of adjoints of the user's own variables stay, they document the code."""
    names = {}      # id(statement) -> (names it stores, names it loads), at any depth
    # how many times each name is read in the whole function: counted while
    # the statements of its body are first looked at, kept up to date by the
    # renames (so no walk at the end finds the copies nobody reads)
    reads = {}
    counted = set()     # the statements whose own names were counted

    def own_names(node, stored, loaded, count):
        for n in name_nodes(node):
            if isinstance(n.ctx, gast.Store):
                stored.add(n.id)
            else:
                loaded.add(n.id)
                if count and isinstance(n.ctx, gast.Load):
                    reads[n.id] = reads.get(n.id, 0) + 1

    def names_of(s):
        """The names ``s`` stores and loads: those of its own expressions and
        (for ``if``, ``for``, ``while``) those of its blocks' statements,
        whose sets are kept too (a block is looked at once, not once per
        enclosing statement)."""
        key = id(s)
        got = names.get(key)
        if got is None:
            count = key not in counted
            counted.add(key)
            stored, loaded = set(), set()
            for field in s._fields:
                value = getattr(s, field, None)
                if field in ("body", "orelse") and isinstance(value, list):
                    for c in value:
                        c_stored, c_loaded = names_of(c)
                        stored |= c_stored
                        loaded |= c_loaded
                elif isinstance(value, AST):
                    own_names(value, stored, loaded, count)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, AST):
                            own_names(item, stored, loaded, count)
            got = names[key] = (stored, loaded)
        return got

    def renamed_in(s, a):
        """Forget the sets of the statements in ``s``'s blocks that loaded
        ``a``, whose loads were just renamed (looked at again if needed)."""
        for field in ("body", "orelse"):
            for c in getattr(s, field, None) or ():
                got = names.get(id(c))
                if got is None or a in got[1]:      # (one forgotten before: its blocks)
                    names.pop(id(c), None)
                    renamed_in(c, a)

    fn.body = _propagate(fn.body, candidates, names_of, renamed_in, reads)
    # (a recursive closure refers to itself: a reference cycle, left to the
    # garbage collector with all it holds; broken here so it goes at once)
    del names_of, renamed_in
    remaining = {n for n, k in reads.items() if k}
    fn.body = _drop_copies(fn.body, candidates - remaining)
    return fn


def _propagate(stmts, candidates, names_of, renamed_in, reads):
    stmts = list(stmts)
    # Each statement's names, taken before any copy below is propagated
    # (what the first look at it would see: only the renames below change
    # them, and they keep these sets up to date), indexed by name: where
    # each name is stored (fixed) and loaded (kept in step with the renames),
    # so each copy visits only the statements it concerns.
    sets = [names_of(s) for s in stmts]
    stored_at, loaded_at = {}, {}
    for j, (stored, loaded) in enumerate(sets):
        for n in stored:
            stored_at.setdefault(n, []).append(j)
        for n in loaded:
            loaded_at.setdefault(n, set()).add(j)
    for i, s in enumerate(stmts):
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _propagate(getattr(s, field), candidates, names_of, renamed_in,
                                                 reads))
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                and isinstance(s.value, gast.Name) and s.targets[0].id in candidates):
            continue
        a, b = s.targets[0].id, s.value.id
        end = _end_of_copy(stmts, stored_at, i, a, b)
        for j in sorted(k for k in loaded_at.get(a, ()) if i < k <= end):
            later = stmts[j]
            stored, loaded = sets[j]
            if not (isinstance(later, (gast.If, gast.For, gast.While)) and {a, b} & stored):
                for n in name_nodes(later):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id == a:
                        n.id = b
                        reads[a] -= 1
                        reads[b] = reads.get(b, 0) + 1
                renamed_in(later, a)
                loaded.discard(a)
                loaded.add(b)
                loaded_at[a].discard(j)
                loaded_at.setdefault(b, set()).add(j)
    return stmts


def _end_of_copy(stmts, stored_at, i, a, b):
    """Where the copy ``a = b`` at ``i`` may be propagated to: the first
    later statement storing ``a`` or ``b``, past those ``b = a`` (which,
    renamed, store ``b`` again: ``b = b``, dropped).

    >>> from srcgrad.compiler.ir.printer import function, source
    >>> fn = function('''
    ... d_t = d_y
    ... d_a = d_t * 2.0
    ... d_y = d_t
    ... d_z = d_t + d_a
    ... return d_z''')
    >>> print(source(propagate_copies(fn, {"d_t"})))
    def f(d_y):
        d_a = d_y * 2.0
        d_z = d_y + d_a
        return d_z
    """
    end = len(stmts) - 1
    start = i
    while True:
        first = end
        for n in (a, b):
            at = stored_at.get(n, ())
            k = bisect.bisect_right(at, start)
            if k < len(at):
                first = min(first, at[k])
        later = stmts[first]
        if first < end and isinstance(later, gast.Assign) and len(later.targets) == 1 and \
                isinstance(later.targets[0], gast.Name) and later.targets[0].id == b and \
                isinstance(later.value, gast.Name) and later.value.id == a:
            start = first
            continue
        return first


def _drop_copies(stmts, dead):
    """The copies nobody reads, and ``d_x = d_x`` (what a propagated copy
    of a copy may leave)."""
    return remove_stmts(stmts, lambda s: isinstance(s, gast.Assign) and
                        isinstance(s.targets[0], gast.Name) and isinstance(s.value, gast.Name)
                        and (s.targets[0].id in dead or s.targets[0].id == s.value.id))
