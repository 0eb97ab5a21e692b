"""Gradients in the caller's structure: restructure, fit, as_adjoint.

The generated code's adjoints of containers are ``Adjoints`` and
``AdjointDict``; at the end each gradient gets the type and structure of
its argument (tuples, lists, dicts, named tuples, dataclasses, arrays),
and a cotangent given by the caller becomes adjoints the code can update.
One adjoint per row of an array argument is stacked into an array.

>>> restructure(Adjoints([1.0, np.ones(2)]), (3.0, np.zeros(2)))
(1.0, array([1., 1.]))
"""

import dataclasses

import numpy as np

from srcgrad.runtime.base import is_record
from srcgrad.runtime.broadcast import rebroadcast, unbroadcast
from srcgrad.runtime.containers import AdjointDict, Adjoints, check_length, element, entry


def fit(g, x):
    """Give the adjoint ``g`` of argument ``x`` the type and shape of ``x``:
    a float for a scalar, a float array of ``x``'s shape for an array."""
    if type(g) is float and type(x) is float:
        return g
    if type(g) is float and type(x) is np.ndarray:    # a zero standing for an array
        return np.full(x.shape, g, dtype=np.result_type(x, float))
    if isinstance(x, (list, tuple, dict)) or is_record(x):
        return restructure(g, x)          # a tuple of arrays: a tuple of their gradients
    if isinstance(g, list) and type(x) is np.ndarray:
        g = stack_parts(g, x)             # one adjoint per row of an array argument
    return unbroadcast(g, x)


def restructure(g, like):
    """The gradient ``g`` (``Adjoints``, ``AdjointDict``, arrays, numbers, or
    the symbolic zero ``0.0``) in the structure of the argument ``like``.

    Tuples, lists, dicts and named tuples come back as the same type with the
    same keys; dataclasses and other objects as a new instance of the same
    class whose attributes are the gradients, made without calling
    ``__init__`` or ``__post_init__``.  Leaves: a float or int gives a float,
    an array a float array of its shape (zeros where unused); leaves that
    carry no derivative (bool, str, None, other objects) give None."""
    t = type(like)
    if t is float or t is int:
        if type(g) is float:
            return g
        return float(np.sum(g)) if np.ndim(g) else float(g)
    if t is np.ndarray:
        if not (np.issubdtype(like.dtype, np.number) and not np.issubdtype(like.dtype, np.bool_)):
            return None
        return fit(g, like) if not isinstance(g, (list, dict)) else fit(np.array(g, dtype=float), like)
    if isinstance(like, (tuple, list)):
        check_length(g, like)
    if isinstance(like, tuple):
        parts = [restructure(element(g, i), e) for i, e in enumerate(like)]
        if hasattr(like, "_fields"):
            return t._make(parts)
        return tuple(parts) if t is tuple else t(parts)
    if isinstance(like, list):
        parts = [restructure(element(g, i), e) for i, e in enumerate(like)]
        return parts if t is list else t(parts)
    if isinstance(like, dict):
        out = {k: restructure(entry(g, k), v) for k, v in like.items()}
        if t is dict:
            return out
        new = like.copy()
        new.update(out)
        return new
    if isinstance(like, (bool, np.bool_, str, bytes)) or like is None:
        return None
    if isinstance(like, (float, int, np.floating, np.integer)):
        return restructure(g, float(like))
    if is_record(like):
        new = object.__new__(t)
        if dataclasses.is_dataclass(like):
            names = [f.name for f in dataclasses.fields(like)]
        else:
            names = list(vars(like))
        for name in names:
            object.__setattr__(new, name, restructure(entry(g, name), getattr(like, name)))
        return new
    return None


def as_adjoint(c):
    """A cotangent given by the caller (tuples, lists, dicts, named tuples,
    dataclasses of arrays and numbers) as adjoints the generated code can
    add and update (the caller's objects are never changed)."""
    if isinstance(c, (list, tuple)):
        return Adjoints(as_adjoint(e) for e in c)
    if isinstance(c, dict):
        return AdjointDict((k, as_adjoint(v)) for k, v in c.items())
    if is_record(c):
        return AdjointDict((k, as_adjoint(v)) for k, v in vars(c).items())
    return c


def restructure_t(h, a):
    """The transpose of :func:`restructure` in the adjoint ``a``."""
    if isinstance(h, (list, tuple, dict)) or is_record(h):
        return as_adjoint(h)
    return rebroadcast(h, a)


def restructure_t_dh(g, h):
    """The transpose of :func:`restructure_t` in ``h``: the adjoint ``g``
    of the adjoints it made (containers: element for element, so ``g``
    itself), summed down to ``h``'s shape for an array or a number."""
    if isinstance(h, (list, tuple, dict)) or is_record(h):
        return g
    return unbroadcast(g, h)


def stack_parts(pieces, x):
    """One adjoint per row of the array ``x`` as an array of ``x``'s shape
    (a number in ``pieces`` stands for a row of that constant)."""
    if len(pieces) == 0:
        return np.zeros(np.shape(x), dtype=np.result_type(x, float))
    rows = [np.broadcast_to(np.asarray(p, dtype=np.result_type(p, float)), np.shape(x)[1:])
            for p in pieces]
    return np.stack(rows).reshape(np.shape(x))


def seq_parts(pieces, seq):
    """The adjoints ``pieces`` of the elements of ``seq`` (a list or tuple of
    arrays, or an array: a sequence of its rows), as ``Adjoints``, or as one
    array of ``seq``'s shape when ``seq`` is an array."""
    if type(seq) is np.ndarray:
        return stack_parts(pieces, seq)
    return Adjoints(pieces)


def unstack(g, like):
    """Adjoint of the elements of ``like`` (a list/tuple, possibly nested)
    from the adjoint ``g`` of ``np.array(like)``."""
    if isinstance(like, (list, tuple)):
        return Adjoints(unstack(g[i], e) for i, e in enumerate(like))
    return unbroadcast(g, like)


def sequence_dx_t(g, like):
    """``g`` (the adjoint of the pieces of ``like``, ``Adjoints`` or an array
    of rows) as the list of those pieces' arrays (vjp of the pieces helpers)."""
    return [np.asarray(p, dtype=float) * np.ones(np.shape(e)) for p, e in zip(g, like)]
