"""The adjoints and tangents of containers: Adjoints, AdjointDict, Several,
FieldAdjoints.

The adjoint (or tangent) of a list or tuple is an ``Adjoints`` (one entry per
element), of a dict or of an object's attributes an ``AdjointDict`` (a
missing key is a zero).  Both add element by element.
:func:`srcgrad.runtime.restructure` turns them into the caller's structure
at the end.  ``Several`` holds the tangents of a function's several results
(``np.linalg.eigh``, ``qr`` ...); ``FieldAdjoints`` the tangent of a named tuple
changed by ``_replace`` (read by name and by position).

>>> Adjoints([1.0, 2.0]) + Adjoints([3.0, 4.0])
[4.0, 6.0]
>>> AdjointDict(w=1.0)["b"]
0.0

Their elements may be plain lists and tuples (the adjoint of a list
argument that a gradient returns, ``restructure``), which Python's ``+``
would concatenate: they add through :func:`add_structured`, element by
element at any depth.

>>> Several((1.0, [2.0, 3.0])) + Several((1.0, [20.0, 30.0]))
(2.0, [22.0, 33.0])
"""

import numpy as np

from srcgrad.runtime.base import unsupported


class Adjoints(list):
    """The adjoint of a tuple or list of values: one adjoint per element.
    Adding two adds them element by element (not concatenation); an array
    (the adjoint NumPy's ``np.asarray`` of the list gets, ``np.dot(L, v)``)
    adds its rows, one per element; a number (the symbolic zero ``0.0``)
    adds nothing.

    >>> d = Adjoints([1.0, 2.0])
    >>> d += np.array([10.0, 20.0])
    >>> [float(e) for e in d + 0.0]
    [11.0, 22.0]
    """

    def __add__(self, other):
        other = _per_element(self, other)
        if other is None:
            return Adjoints(self)
        return Adjoints(add_structured(a, b) for a, b in zip(self, other))

    __radd__ = __add__

    def __iadd__(self, other):
        other = _per_element(self, other)
        if other is not None:
            for i, b in enumerate(other):
                self[i] = add_structured(self[i], b)
        return self

    def __neg__(self):
        return Adjoints(-a for a in self)

    def __sub__(self, other):
        return self + (-Adjoints(other) if isinstance(other, (list, tuple)) else other)

    def __mul__(self, c):
        return Adjoints(a * c for a in self)

    __rmul__ = __mul__

    def copy(self):
        return Adjoints(self)


class AdjointDict(dict):
    """The adjoint of a dict (by key) or of an object (by attribute name);
    a key that is not there is a zero."""

    def __missing__(self, key):
        return 0.0

    def __add__(self, other):
        out = AdjointDict(self)
        if isinstance(other, dict):
            for k, v in other.items():
                out[k] = add_structured(out[k], v)
        return out

    __radd__ = __add__

    def __iadd__(self, other):
        if isinstance(other, dict):
            for k, v in other.items():
                self[k] = add_structured(self[k], v)
        return self

    def __neg__(self):
        return AdjointDict((k, -v) for k, v in self.items())

    def __sub__(self, other):
        return self + (-AdjointDict(other) if isinstance(other, dict) else other)

    def __mul__(self, c):
        return AdjointDict((k, v * c) for k, v in self.items())

    __rmul__ = __mul__

    def copy(self):
        return AdjointDict(self)


class FieldAdjoints(Adjoints):
    """The tangent of a named tuple made here: one per field, read by
    position or by name (as forward mode reads a named tuple's tangent);
    adds element by element.

    >>> t = FieldAdjoints([1.0, 2.0], ("a", "b"))
    >>> (t + (10.0, 20.0)).b, t[0]
    (22.0, 1.0)
    """

    def __init__(self, values=(), fields=()):
        super().__init__(values)
        self.fields = tuple(fields)

    def __getattr__(self, name):
        fields = self.__dict__.get("fields", ())
        if name in fields:
            return self[fields.index(name)]
        raise AttributeError(name)

    def __add__(self, other):
        return FieldAdjoints(Adjoints.__add__(self, other), self.fields)

    __radd__ = __add__

    def __neg__(self):
        return FieldAdjoints(Adjoints.__neg__(self), self.fields)

    def __sub__(self, other):
        return FieldAdjoints(Adjoints.__sub__(self, other), self.fields)

    def __mul__(self, c):
        return FieldAdjoints(Adjoints.__mul__(self, c), self.fields)

    __rmul__ = __mul__

    def copy(self):
        return FieldAdjoints(self, self.fields)


class Several(tuple):
    """The tangents of a function's several results; adding two (the
    contributions of two arguments) adds them element by element."""

    def __add__(self, other):
        other = _per_element(self, other)
        if other is None:
            return self
        return Several(add_structured(a, b) for a, b in zip(self, other))

    __radd__ = __add__

    def __sub__(self, other):
        other = _per_element(self, other)
        if other is None:
            return self
        return Several(add_structured(a, _negated(b)) for a, b in zip(self, other))

    def __neg__(self):
        return Several(_negated(a) for a in self)


def add_structured(a, b):
    """``a + b`` for two adjoints or tangents of the same value: plain lists
    and tuples (the adjoint of a list a gradient returns) element by element
    at any depth, never concatenated; plain dicts key by key; anything else
    (numbers, arrays, :class:`Adjoints`, :class:`Several`) by its own ``+``.
    A number zero (the symbolic zero) adds nothing to a container.

    >>> add_structured([1.0, (2.0, [3.0])], [10.0, (20.0, [30.0])])
    [11.0, (22.0, [33.0])]
    >>> add_structured((1.0, 2.0), 0.0)
    (1.0, 2.0)
    """
    ta, tb = type(a), type(b)
    if ta is list or ta is tuple:
        other = _per_element(a, b)
        if other is None:
            return a
        return ta(add_structured(x, y) for x, y in zip(a, other))
    if tb is list or tb is tuple:
        return add_structured(b, a)
    if ta is dict and isinstance(b, dict) or tb is dict and isinstance(a, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = add_structured(out[k], v) if k in out else v
        return out
    return a + b


def _negated(a):
    """``-a`` for an adjoint or tangent (plain lists, tuples and dicts element by element)."""
    t = type(a)
    if t is list or t is tuple:
        return t(_negated(x) for x in a)
    if t is dict:
        return {k: _negated(v) for k, v in a.items()}
    return -a


def _per_element(adjoints, other):
    """``other`` as one term per element of ``adjoints``, or None for a zero."""
    if isinstance(other, (list, tuple)) or isinstance(other, np.ndarray) and other.ndim >= 1:
        if len(other) != len(adjoints):
            raise _lengths_differ(len(adjoints), len(other))
        return other
    if np.ndim(other) == 0 and other == 0:
        return None
    raise unsupported(f"adding a value of shape {np.shape(other)} to the adjoints of a "
                      f"sequence of length {len(adjoints)}",
                      hint="please report this program: srcgrad should have refused it")


def check_length(g, value):
    """Refuse the adjoint (tangent) ``g`` of the list or tuple ``value`` if
    their lengths differ (an operation srcgrad took for an array's turned
    out a list's: ``v * 2`` repeats a list)."""
    if isinstance(g, (list, tuple)) and isinstance(value, (list, tuple)) and \
            len(g) != len(value):
        raise _lengths_differ(len(value), len(g))


def _lengths_differ(n, m):
    return unsupported(f"adding the adjoints of sequences of lengths {n} and {m}: a list "
                       f"changed its length where srcgrad assumed it did not, or was "
                       f"repeated (v * 2) or concatenated (a + b) where srcgrad took it for "
                       f"an array",
                       hint="build lists of one length on every path, or use arrays "
                            "(np.asarray(v) * 2); a list made by a list display, list(...) "
                            "or a comprehension in the same function is known as a list")


def element(g, i):
    """Element ``i`` of the adjoint ``g`` of a sequence (0.0 if ``g`` is the
    symbolic zero or has none)."""
    if isinstance(g, (list, tuple, np.ndarray)):
        return g[i]
    if isinstance(g, dict):
        return g.get(i, 0.0)
    return 0.0


def entry(g, k):
    """The value at key ``k`` of the adjoint ``g`` of a dict or object (0.0
    if there is none)."""
    if isinstance(g, dict):
        return g.get(k, 0.0)
    return 0.0


def elements(g):
    """The adjoint ``g`` of a sequence as a list of its elements' adjoints
    (none for the symbolic zero)."""
    if isinstance(g, (list, tuple)):
        return list(g)
    if type(g) is float and g == 0.0:
        return []
    return list(g)
