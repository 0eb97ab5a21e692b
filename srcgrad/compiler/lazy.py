"""The generic version of a long gradient, generated when first needed.

A gradient specialised for Python floats (or arrays of guessed ranks) starts
with a type guard that falls back to the generic version
(``versions.assemble``).  For a long function, generating that generic
version is a third or more of the transformation, and many programs never
call it (every call passes floats).  So, for a function of at least
:data:`LAZY_STATEMENTS` statements, ``assemble`` generates the specialised
version only; the guard's fallback is a :class:`Pending`, which generates
the generic version when first called (the first call with an array, say)
or when anything reads the whole generated code (:func:`finish`:
``srcgrad.source``, exports, a derivative of the gradient):

    def d_f(x, y, a, b):                        def d_f(x, y, a, b):
        if type(x) is not float ...:                if type(x) is not float ...:
            return d_f_generic(x, y, a, b)   →          return d_f_generic(x, y, a, b)
        ...                                         ...
    (d_f_generic: a Pending)                    def d_f_generic(x, y, a, b):
                                                    ...

>>> p = Pending("d_f_generic", lambda: (abs, "def d_f_generic(x): ...", {}))
>>> p
<generic version d_f_generic (not made yet)>
>>> p(-3.0), p
(3.0, <generic version d_f_generic (made)>)

A short function keeps both versions made at once: when they turn out the
same, its gradient has no guard at all (a guard costs some 30 ns a call, a
fair part of a short gradient's time, nothing beside a long one's).  The
code is the same either way, names aside; only when it is made differs.
:func:`eagerly` makes everything at once (the disk cache's entries of a
gradient whose generic version was still pending make it so when read).
"""

import threading

#: a function of at least this many statements (after normalisation and
#: SSA: one operation each) gets its generic version when first needed
LAZY_STATEMENTS = 20

_EAGER = [False]        # True while :func:`eagerly` makes something


def eagerly(make):
    """``make()`` with every version generated at once (no :class:`Pending`)."""
    before = _EAGER[0]
    _EAGER[0] = True
    try:
        return make()
    finally:
        _EAGER[0] = before


def deferring():
    """Whether generic versions may be left pending now."""
    return not _EAGER[0]


class Pending:
    """The generic version of the gradient ``df`` (named ``name`` in its
    code), made by ``make()`` when first called or resolved: ``make``
    returns ``(function, source, injected)``, the compiled generic version,
    its text and the objects its code needs.  Once made, it replaces this
    object in ``df``'s closure, its text joins ``df``'s source
    (``srcgrad_source``, ``srcgrad_functions``) and its objects
    ``srcgrad_injected``."""

    def __init__(self, name, make):
        self.name = name
        self.make = make
        self.df = None                  # set by ``attach``
        self.special = None             # df's own functions, as compiled
        self.function = None
        self._lock = threading.RLock()

    def attach(self, df):
        """Record that ``df`` (whose closure holds this object) falls back to it."""
        self.df = df
        self.special = list(df.srcgrad_functions)
        df.srcgrad_pending = self

    def srcgrad_resolve(self):
        """The generic version, made now if not yet (and put in place)."""
        if self.function is None:
            with self._lock:
                if self.function is None:
                    function, text, injected = self.make()
                    self._install(function, text, injected)
                    self.function = function
        return self.function

    def _install(self, function, text, injected):
        df = self.df
        if df is None:
            return
        code = df.__code__
        if self.name in code.co_freevars:
            df.__closure__[code.co_freevars.index(self.name)].cell_contents = function
        df.srcgrad_functions = [(self.name, text)] + self.special
        df.srcgrad_source = "\n\n".join(src for _, src in reversed(df.srcgrad_functions))
        df.srcgrad_injected = {**df.srcgrad_injected, **injected}

    def __call__(self, *args, **kwargs):
        return self.srcgrad_resolve()(*args, **kwargs)

    def __repr__(self):
        state = "made" if self.function is not None else "not made yet"
        return f"<generic version {self.name} ({state})>"


def generic_of(df, name):
    """``(function, source, injected)``: the generic version of ``df``, a
    gradient made with every version at once, named ``name`` in its text
    (``df`` itself when it has no other), and ``df``'s objects."""
    functions = df.srcgrad_functions
    if len(functions) == 1:
        own = functions[0][0]
        return df, functions[0][1].replace(f"def {own}(", f"def {name}(", 1), \
            df.srcgrad_injected
    generic, text = functions[0]
    code = df.__code__
    return df.__closure__[code.co_freevars.index(generic)].cell_contents, \
        text.replace(f"def {generic}(", f"def {name}(", 1), df.srcgrad_injected


def finish(df):
    """``df`` with its generic version made, if it was pending (what reads
    a generated function's whole source calls first); returns ``df``."""
    pending = getattr(df, "srcgrad_pending", None)
    if pending is not None:
        pending.srcgrad_resolve()
    return df
