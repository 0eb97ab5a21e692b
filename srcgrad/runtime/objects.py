"""Objects whose attributes the function assigns (``p.a = v``): generated
code never changes an object in place, it makes a new one
(``p = set_field(p, 'a', v)``), so that the caller's objects and the values
kept for the reverse sweep stay as they were; ``dataclasses.replace`` and
``namedtuple._replace`` (``replace_dataclass``, ``replace_namedtuple``) move
values the same way, several at once.  The
adjoint (or tangent) of an object is an ``AdjointDict`` by attribute name
(positional ``Adjoints`` for a named tuple), a missing name being a zero.

>>> from dataclasses import dataclass
>>> @dataclass
... class P:
...     a: float
...     b: float
>>> p = P(1.0, 2.0)
>>> q = set_field(p, "a", 5.0)
>>> q, p
(P(a=5.0, b=2.0), P(a=1.0, b=2.0))
>>> g = AdjointDict(a=3.0, b=4.0)
>>> set_field_dx(g, p, "a"), field_dx(g, p, "a", 5.0)
({'a': 0.0, 'b': 4.0}, 3.0)
"""

import dataclasses

import numpy as np

from srcgrad.runtime.base import is_record, unsupported
from srcgrad.runtime.broadcast import zeros_like
from srcgrad.runtime.containers import AdjointDict, Adjoints, FieldAdjoints
from srcgrad.runtime.structure import as_adjoint


def set_field(x, name, v):
    """``x.name = v`` without changing ``x``: a copy of ``x`` (same class,
    same other attributes, made without ``__init__``) whose ``name`` is
    ``v``.  As in Python, a named tuple raises ``AttributeError`` and a
    frozen dataclass ``FrozenInstanceError``; attributes whose assignment
    runs code (a property, ``__setattr__``, ``__slots__``) are refused."""
    cls = type(x)
    if isinstance(x, tuple):
        raise AttributeError(f"cannot set attribute {name!r} of a {cls.__name__}: a named tuple "
                             f"is immutable (use _replace)")
    if any("__slots__" in vars(c) for c in cls.__mro__[:-1]) and \
            not isinstance(x, (list, dict, np.ndarray)):
        raise unsupported(f"{cls.__name__} has __slots__; srcgrad copies objects through their "
                          f"__dict__", hint="use a dataclass without slots")
    if not is_record(x) or isinstance(x, (list, dict)) or name.startswith("__"):
        raise unsupported(f"assignment to the attribute .{name} of a {cls.__name__} object "
                          f"(srcgrad assigns attributes of dataclasses and plain objects only)",
                          hint="assign to a local variable")
    frozen = getattr(getattr(cls, "__dataclass_params__", None), "frozen", False)
    if cls.__setattr__ is not object.__setattr__ and not frozen:
        raise unsupported(f"{cls.__name__} defines __setattr__, which srcgrad does not follow "
                          f"(x.{name} = ... runs it)", hint="assign to a local variable")
    descriptor = getattr(cls, name, None)
    if hasattr(type(descriptor), "__set__") and not frozen:
        raise unsupported(f"{cls.__name__}.{name} is a property or descriptor, whose assignment "
                          f"runs code srcgrad does not follow", hint="assign the underlying "
                          f"attribute, or to a local variable")
    new = object.__new__(cls)
    new.__dict__.update(x.__dict__)
    if frozen:
        setattr(new, name, v)          # raises FrozenInstanceError, as Python does
    object.__setattr__(new, name, v)
    return new


def _index(x, name):
    """The position of field ``name`` in the named tuple ``x``, or None."""
    fields = getattr(type(x), "_fields", None)
    if isinstance(x, tuple) and fields is not None:
        return list(fields).index(name)
    return None


def _named_tuple(g):
    return isinstance(g, tuple) and hasattr(type(g), "_fields")


def set_field_dx(g, x, name):
    """Adjoint of ``x`` in ``set_field(x, name, v)``: ``g`` with a zero for
    ``name`` (that attribute was overwritten), of the shape of ``x.name``.
    (Its tangent is ``set_field_dx(t, ans, name)``: zeros of the new value.)
    A named tuple's adjoint is positional (``Adjoints``), its tangent a named
    tuple of its class."""
    if type(g) is float:
        return g
    i = _index(x, name)
    if i is not None and (_named_tuple(g) or isinstance(g, FieldAdjoints)):
        out = FieldAdjoints(g, type(x)._fields)      # (a tangent: read by name)
        out[i] = zeros_like(x[i])
        return out
    if not isinstance(g, (list, dict)):
        g = as_adjoint(g)               # a caller's tangent: an object of x's class
    if i is not None:
        out = Adjoints(g) if isinstance(g, list) else Adjoints(zeros_like(x))
        out[i] = zeros_like(x[i])
        return out
    out = AdjointDict(g)
    out[name] = zeros_like(getattr(x, name))
    return out


def field_dx(g, x, name, v):
    """Adjoint of ``v`` in ``set_field(x, name, v)``: the entry of ``name``
    in ``g`` (zeros of ``v``'s shape when there is none)."""
    if type(g) is float:
        return zeros_like(v)
    if not isinstance(g, (list, dict)):
        g = as_adjoint(g)
    i = _index(x, name)
    if i is not None and isinstance(g, list):
        return g[i]
    if isinstance(g, dict) and name in g:
        return g[name]
    return zeros_like(v)


def field_put(t, x, name):
    """The adjoint of an object of ``x``'s class whose only non-zero
    attribute is ``name``, with value ``t`` (the others are zeros of their
    shapes)."""
    i = _index(x, name)
    if i is not None:
        out = Adjoints(zeros_like(x))
        out[i] = t
        return out
    out = AdjointDict((k, zeros_like(v)) for k, v in vars(x).items())
    out[name] = t
    return out


def field_tangent(t, x, name):
    """:func:`field_put` for a tangent: a named tuple's is a
    :class:`FieldAdjoints` (forward mode reads it by name, and adds it to the
    named tuple of tangents the object was made with)."""
    i = _index(x, name)
    if i is not None:
        return FieldAdjoints([t if k == i else zeros_like(e) for k, e in enumerate(x)],
                             type(x)._fields)
    return field_put(t, x, name)


def replace_dataclass(x, *pairs):
    """``dataclasses.replace(x, n0=v0, n1=v1, ...)`` (``pairs``: n0, v0, n1,
    v1 ...) for a dataclass whose instances hold exactly their ``__init__``
    arguments (no ``__post_init__``, no field outside ``__init__``), whose
    derivative is that of moving the values; other dataclasses are refused."""
    changes = dict(zip(pairs[0::2], pairs[1::2]))
    cls = type(x)
    if dataclasses.is_dataclass(x) and not isinstance(x, type) and not _plain_dataclass(cls):
        raise unsupported(f"dataclasses.replace of a {cls.__name__}, whose __post_init__, "
                          f"__init__ or fields outside __init__ srcgrad does not follow",
                          hint=f"make the new object with {cls.__name__}(...) and compute "
                               f"the derived fields in the function")
    return dataclasses.replace(x, **changes)     # (Python's error for other objects)


def replace_namedtuple(x, *pairs):
    """``x._replace(n0=v0, ...)`` of a named tuple (``pairs``: n0, v0 ...)."""
    changes = dict(zip(pairs[0::2], pairs[1::2]))
    method = getattr(x, "_replace")              # (Python's AttributeError)
    if not _named_tuple(x):
        raise unsupported(f"._replace of a {type(x).__name__}, which is not a named tuple; "
                          f"srcgrad differentiates the _replace of named tuples",
                          hint="call a function of yours instead, which srcgrad inlines")
    return method(**changes)


# (their rules are made by the analysis for each number of fields: never inlined)
replace_dataclass.srcgrad_container_rule = replace_namedtuple.srcgrad_container_rule = True


def replace_dx(g, x, names):
    """Adjoint of ``x`` in ``replace_dataclass(x, ...)`` or
    ``replace_namedtuple(x, ...)`` replacing ``names``: ``g`` with zeros
    for them.  (Its tangent is ``replace_dx(t, ans, names)``.)"""
    for name in names:
        g = set_field_dx(g, x, name)
    if not names and not isinstance(g, (float, list, dict, tuple)):
        g = as_adjoint(g)
    return g


def _plain_dataclass(cls):
    """A dataclass whose instances hold exactly their ``__init__`` arguments."""
    return not hasattr(cls, "__post_init__") and \
        all(f.init for f in dataclasses.fields(cls)) and \
        "__init__" not in {k for c in cls.__mro__[:-1] if not dataclasses.is_dataclass(c)
                           for k in vars(c)}


def check_field_iadd(x, name, shown, line):
    """``x.name op= v`` changes the array (list, dict) at ``x.name`` in
    place in Python, where generated code makes a new one: refuse when
    another attribute of ``x`` holds it too (other names holding it are
    checked where they are still in use), or when the value is an object
    whose in-place operator srcgrad does not follow.  ``shown``: how the
    user wrote ``x``."""
    value = getattr(x, name)
    if isinstance(value, (int, float, complex, tuple, str, bool, np.generic)) or value is None:
        return
    if isinstance(value, (np.ndarray, list, dict)):
        for other, held in vars(x).items():
            if other != name and holds(held, value):
                raise unsupported(
                    f"'{shown}.{name} op= ...' changes the {type(value).__name__} "
                    f"{shown}.{name} in place, and {shown}.{other} holds it too ({line})",
                    hint=f"assign a new value: {shown}.{name} = {shown}.{name} + ...")
        return
    raise unsupported(f"'{shown}.{name} op= ...' on a {type(value).__name__} object may change "
                      f"it in place ({line}), which srcgrad does not follow",
                      hint=f"assign a new value: {shown}.{name} = {shown}.{name} + ...")


def check_unshared(x, name, others, other_names):
    """An argument whose attributes the function assigns must not be
    (or be held by) another argument: Python would change both, where
    generated code (which never changes its arguments) makes a new object."""
    for o, n in zip(others, other_names):
        if holds(o, x):
            raise unsupported(
                f"the argument '{name}' is also '{n}' or held in it, and the function assigns "
                f"attributes of '{name}'; srcgrad cannot follow the change through '{n}'",
                hint=f"pass a copy: copy.copy({name})")


def holds(container, value, depth=0):
    """Whether ``container`` is ``value`` or holds it (in lists, tuples,
    dicts and objects' attributes); arrays: whether they share memory."""
    if container is value:
        return True
    if isinstance(container, np.ndarray):
        return isinstance(value, np.ndarray) and np.shares_memory(container, value)
    if depth > 20 or isinstance(container, (int, float, complex, str, bool, np.generic)) or \
            container is None:
        return False
    if isinstance(container, (list, tuple)):
        return any(holds(e, value, depth + 1) for e in container)
    if isinstance(container, dict):
        return any(holds(e, value, depth + 1) for e in container.values())
    if is_record(container):
        return any(holds(e, value, depth + 1) for e in vars(container).values())
    return False
