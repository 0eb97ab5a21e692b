"""A long function's versions, each generated when a call first needs it.

A gradient specialised for Python floats (or arrays of guessed ranks) has
two versions behind a type guard (``versions.assemble``).  For a long
function, generating them is most of the transformation, and a program
usually calls one only: floats, or arrays where the guard hoped for floats.
So, for a function of at least :data:`LAZY_STATEMENTS` statements (after
normalisation and SSA), the gradient is the guard alone; each version is a
:class:`Pending` in its closure, generated the first time a call reaches it
(or when something reads the whole code: :func:`finish`, which
``srcgrad.source``, exports and the disk cache call; a derivative of the
gradient resolves the generic version it differentiates):

    def d_f_specialised(x, y, a, b): ...        (made at the first float call)
    def d_f_generic(x, y, a, b): ...            (made at the first other call)

    def d_f(x, y, a, b):                        (made by srcgrad.grad)
        if (type(a) is not float ...) or ...:
            return d_f_generic(x, y, a, b)
        return d_f_specialised(x, y, a, b)

A short function's versions are made at once, the specialised one with the
guard at its top, and when they are the same the guard is dropped (an extra
call or a guard costs some 30-60 ns, a fair part of a short gradient's time
and nothing beside a long one's).

>>> p = Pending("d_f_generic", lambda: (abs, "def d_f_generic(x): ...", {}))
>>> p
<d_f_generic (not made yet)>
>>> p(-3.0), p
(3.0, <d_f_generic (made)>)
"""

import os
import threading

#: a function of at least this many statements (after normalisation and
#: SSA: one operation each) gets its versions when first needed
#: (``SRCGRAD_LAZY_STATEMENTS``: another threshold, for tests and fuzzing)
LAZY_STATEMENTS = int(os.environ.get("SRCGRAD_LAZY_STATEMENTS", "20"))


class Pending:
    """A version of a gradient, made by ``make()`` when first called or
    resolved: ``make`` returns ``(function, source, injected)``, the
    compiled version, its text and the objects its code needs.  Belongs to
    the :class:`Lazy` of its gradient, which puts the version in place."""

    def __init__(self, name, make):
        self.name = name
        self.make = make
        self.function = None
        self.owner = None
        self._lock = threading.RLock()

    def srcgrad_resolve(self):
        """The version, made now if not yet (and put in place)."""
        if self.function is None:
            lock = self.owner.lock if self.owner is not None else self._lock
            with lock:
                if self.function is None:
                    function, text, injected = self.make()
                    if self.owner is not None:
                        self.owner.install(self, function, text, injected)
                    self.function = function
                    self.make = None        # (what it held: the function's trees)
        return self.function

    def __call__(self, *args, **kwargs):
        return self.srcgrad_resolve()(*args, **kwargs)

    def __repr__(self):
        return f"<{self.name} ({'made' if self.function is not None else 'not made yet'})>"


class Lazy:
    """The versions of the gradient ``df`` not made with it (``pendings``,
    in the order an export defines them, callees first); ``df`` holds each
    in a closure cell.  ``compiled``: the functions ``df``'s own code
    defines (what the disk cache writes)."""

    def __init__(self, df, pendings):
        self.df = df
        self.lock = threading.RLock()       # (the versions share the namer and injector)
        self.compiled = list(df.srcgrad_functions)
        self.pendings = list(pendings)
        self.texts = {}
        for p in self.pendings:
            p.owner = self
        df.srcgrad_lazy = self

    @property
    def names(self):
        return [p.name for p in self.pendings]

    def install(self, pending, function, text, injected):
        """``pending``'s version made: into ``df``'s closure cell, source and objects."""
        df = self.df
        free = df.__code__.co_freevars
        if pending.name in free:
            df.__closure__[free.index(pending.name)].cell_contents = function
        self.texts[pending.name] = text
        made = [(n, self.texts[n]) for n in self.names if n in self.texts]
        df.srcgrad_functions = made + self.compiled
        # shown: the versions (the specialised one first, as a short gradient
        # shows it), then the guard choosing between them
        df.srcgrad_source = "\n\n".join(src for _, src in reversed(made)) + "\n\n" + \
            "\n\n".join(src for _, src in reversed(self.compiled))
        df.srcgrad_injected = {**df.srcgrad_injected, **injected}

    def finish(self):
        for p in self.pendings:
            p.srcgrad_resolve()


def finish(df):
    """``df`` with every version made (what reads a generated function's
    whole source calls first); returns ``df``."""
    lazy = getattr(df, "srcgrad_lazy", None)
    if lazy is not None:
        lazy.finish()
    return df


def version_of(df, name):
    """``(function, source, injected)`` of the version ``name`` of ``df``, a
    gradient made again (for one read from the disk cache).  A ``df`` made
    with its versions at once (the entry written under another
    ``SRCGRAD_LAZY_STATEMENTS``) gives its generic version, right for every
    input, named ``name``."""
    lazy = getattr(df, "srcgrad_lazy", None)
    for p in lazy.pendings if lazy is not None else ():
        if p.name == name:
            p.srcgrad_resolve()
            return p.function, lazy.texts[name], dict(df.srcgrad_injected)
    own, text = df.srcgrad_functions[0]         # (callees first: the generic version)
    free = df.__code__.co_freevars
    function = df if own == df.__name__ else df.__closure__[free.index(own)].cell_contents
    return function, text.replace(f"def {own}(", f"def {name}(", 1), dict(df.srcgrad_injected)
