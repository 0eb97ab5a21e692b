"""Adjoints of indexing: add_at, written_adjoint, take, views.

Reads ``x[index]`` accumulate into the adjoint of ``x`` (``add_at``); writes
``x[index] = v`` give ``v`` the adjoint of the elements it wrote
(``written_adjoint``); ``not_a_view`` and ``is_view`` refuse or detect the
memory sharing that would make an in-place write change another value;
``np.take``, ``x.item()``, ``np.r_`` and ``np.c_``.

>>> add_at(0.0, np.zeros(3), np.array([0, 0, 2]), 1.0)
array([2., 0., 1.])
>>> written_adjoint(np.array([1.0, 2.0, 3.0]), np.array([0, 0]))
array([0., 1.])
"""

import numpy as np

from srcgrad.errors import UnsupportedError
from srcgrad.runtime.base import inexact, is_record, SCALARS, unsupported
from srcgrad.runtime.broadcast import zeros_like
from srcgrad.runtime.containers import Adjoints, elements


def add_at(d, x, index, v):
    """Accumulate ``v`` into the adjoint ``d`` of ``x`` at ``index``.

    ``d`` is an adjoint array owned by the generated code (or the symbolic
    zero ``0.0``); it is updated in place and returned.  Repeated integer
    indices accumulate (like ``np.add.at``)."""
    tv = type(v)
    if type(d) is np.ndarray and d.ndim and (tv is float or tv is np.float64 or
                                             tv is np.ndarray and v.dtype.kind == "f"):
        # the common case first: a real array adjoint and a real value
        if isinstance(index, (int, np.integer, slice)) or index is None:
            d[index] += v
        else:
            np.add.at(d, index, v)
        return d
    if type(d) is float or isinstance(d, (np.ndarray, np.generic, int, complex)) and \
            np.ndim(d) == 0 and np.ndim(x) != 0:
        d = zeros_like(x) + d
    if isinstance(d, dict):            # a dict's adjoint (one the analysis took for an array)
        d[index] = d[index] + v if index in d else v
        return d
    if tv is not float and tv is not np.float64 and (
            tv is np.ndarray and v.dtype.kind == "c" or tv is complex or
            tv is not np.ndarray and np.iscomplexobj(v)):
        # (docs/complex.md) a complex x gets a complex adjoint; a real one, the real part
        if type(d) is not np.ndarray and isinstance(index, (int, np.integer)):
            part = d[index]                     # an element of a container's adjoints
            d[index] = part + (v if np.iscomplexobj(x[index]) else np.real(v))
            return d
        if type(d) is np.ndarray and d.dtype.kind != "c":
            if np.iscomplexobj(x):
                d = d.astype(np.result_type(d, v))
            else:
                v = np.real(v)
    if isinstance(index, (int, np.integer, slice)) or index is None:
        d[index] += v
    else:
        np.add.at(d, index, v)
    return d


def written_adjoint(d, index):
    """Adjoint of the values ``v`` in ``x[index] = v``, from the adjoint ``d``
    of ``x`` after the write: each value gets the adjoint of the element it
    wrote, and 0 where a later duplicate index overwrote it (NumPy keeps the
    last of repeated writes)."""
    g = np.array(inexact(d[index]))
    if g.size > 1 and not isinstance(d, dict) and not _surely_distinct(index):
        # (a dict's item, as the adjoint of an object's attribute: one value per key)
        # which element of x each selected value lands on (any mix of
        # slices, integer arrays, None and Ellipsis), in the order written
        order = np.arange(np.size(d)).reshape(np.shape(d))[index].ravel()
        _, first_from_end = np.unique(order[::-1], return_index=True)
        last = np.zeros(order.size, dtype=bool)
        last[order.size - 1 - first_from_end] = True
        g.reshape(-1)[~last] = 0.0
    return g


def _surely_distinct(index):
    """Indexing that selects each element at most once: integers, slices,
    None, Ellipsis, a boolean mask."""
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)):
            continue
        if isinstance(p, np.ndarray) and p.dtype == bool:
            continue
        return False
    return True


def written_adjoint_t(g, a, index):
    """The transpose of :func:`srcgrad.runtime.written_adjoint` (``a``'s
    elements at ``index``, zero where a later duplicate index overwrote):
    ``g`` put back at ``index`` into zeros of ``a``'s shape."""
    keep = written_adjoint(np.ones(np.shape(a)), index)
    out = np.zeros(np.shape(a), dtype=np.result_type(g, float))
    out[index] = g * keep       # a dropped duplicate writes 0 before the kept one
    return out


def take_dx(g, a, indices, axis=None):
    """Adjoint of ``a`` in ``np.take(a, indices, axis)``: repeated indices add up."""
    out = np.zeros(np.shape(a), dtype=np.result_type(inexact(g), float))
    if axis is None:
        np.add.at(out.reshape(-1), np.asarray(indices).ravel(), np.ravel(g))
        return out
    moved = np.moveaxis(out, axis, 0)
    np.add.at(moved, np.asarray(indices), np.moveaxis(inexact(g), axis, 0)
              if np.ndim(indices) <= 1 else g)
    return out


def b_take(t, indices, axis=None):
    t = np.asarray(t)
    if axis is None:
        return np.take(np.reshape(t, (-1,) + t.shape[-1:]), indices, axis=0)
    return np.take(t, indices, axis=int(axis) % (t.ndim - 1))


def item_dx(g, x, args=()):
    """Adjoint of ``x`` in ``x.item(*args)``: ``g`` at that element."""
    x = np.asarray(x)
    out = np.zeros(x.shape, dtype=x.dtype if np.issubdtype(x.dtype, np.inexact) else float)
    if type(g) is float and g == 0.0:
        return out
    if not args:
        out.flat[0] = g
    elif len(args) == 1 and not isinstance(args[0], tuple):
        out.flat[args[0]] = g
    else:
        out[tuple(args[0]) if len(args) == 1 else tuple(args)] = g
    return out


def bindex(index):
    """An index of a primal array, made to select the same elements of its
    batched tangent: only ``...`` needs help (the direction axis is kept last
    by an explicit trailing ``:``)."""
    if index is Ellipsis:
        return (Ellipsis, slice(None))
    if isinstance(index, tuple) and any(i is Ellipsis for i in index):
        return index + (slice(None),)
    return index


def b_item(t, value):
    """The batched tangent ``t[index]`` of ``value = x[index]``: a copy when
    ``value`` is not an array (one element: a copy in the primal, while the
    tangent's index, which leaves the directions axis, makes a view), so
    that a later write into ``x`` reaches the tangent only where it
    reaches the primal."""
    return t.copy() if type(value) is not np.ndarray and type(t) is np.ndarray else t


def not_a_view(value, array, name, array_name, line):
    """Raise if ``value`` (read from ``array``) shares its memory, while a
    later in-place write to one of them would change the other.  ``array``
    may be a container (a tuple, list, dict or object the value was put
    into): then any array in it counts."""
    if type(value) is np.ndarray and _holds(array, value, 0):
        raise UnsupportedError(
            f"'{name}' is a view of '{array_name}' (or the other way round, or an array held "
            f"in it), and one of them is "
            f"written in place at {line} while the other is still used; srcgrad cannot "
            f"differentiate through that sharing",
            hint=f"take a copy where the view is made: {name} = ....copy()")


def element_unshared(container, key, others, name, other_names, line):
    """Raise if ``container[key]`` is an array that ``others`` (arrays or
    containers still in use) or another slot of ``container`` also hold:
    ``container[key] op= e`` changes that array in place in Python, where the
    generated code makes a new one.  A number (immutable) is never shared."""
    value = container[key]
    if type(value) is not np.ndarray:
        return
    slots = list(container.values()) if isinstance(container, dict) else list(container)
    holders = [n for o, n in zip(others, other_names) if _holds(o, value, 0)]
    twice = sum(1 for e in slots if _holds(e, value, 0)) > 1
    if holders or twice:
        other = f"'{holders[0]}'" if holders else f"another element of '{name}'"
        raise UnsupportedError(
            f"'{name}[...] op= ...' changes the array held in '{name}' in place, and "
            f"{other} holds the same array ({line})",
            hint=f"make a new array: {name}[k] = {name}[k] + ... (or put a copy into "
                 f"'{name}': ....copy())")


def _holds(x, value, depth):
    """Whether ``x`` (an array, or a container of them) shares memory with
    the array ``value``."""
    if isinstance(x, np.ndarray):
        return np.shares_memory(value, x)
    if depth > 20:
        return False
    if isinstance(x, (list, tuple)):
        return any(_holds(e, value, depth + 1) for e in x)
    if isinstance(x, dict):
        return any(_holds(e, value, depth + 1) for e in x.values())
    if is_record(x):
        return any(_holds(e, value, depth + 1) for e in vars(x).values())
    return False


def is_view(value, array, elements_written=True):
    """Whether ``value`` (made as ``array[index]``) is a view of ``array``'s
    memory, so that it changes with ``array``.  An array held in a list, a
    tuple or a dict is that container's element itself, shared with whoever
    made the container (the caller): writing into it is refused, unless the
    code writes into no array held in the container (``elements_written``
    False: ``array[i] = x`` only rebinds an element, so ``value`` keeps its
    values and is no view)."""
    if isinstance(array, (list, tuple, dict)) and not elements_written:
        return False
    if type(value) is np.ndarray and isinstance(array, (list, tuple, dict)):
        raise unsupported("an array read out of a list, tuple or dict is written in place "
                          "(the container, maybe the caller's, would change with it)",
                          hint="write into a copy: a = xs[0].copy(); a[1] = y")
    return type(value) is np.ndarray and isinstance(array, np.ndarray) and \
        np.may_share_memory(value, array)


def own(v):
    """``v`` itself, or a copy if it is an array (what ``x[key] = ...``
    overwrites, saved before the write: a slice of an array is a view)."""
    return v.copy() if type(v) is np.ndarray else v


def _index_concat_item(e, kind):
    a = np.asarray(e)
    if kind == "r":
        return np.atleast_1d(a)
    if a.ndim == 0:
        return a.reshape(1, 1)
    return a[:, None] if a.ndim == 1 else a


def index_concat_dx(g, kind, which, *items):
    """Adjoint of item ``which`` of ``np.r_[items]`` (``kind`` "r") or
    ``np.c_[items]`` ("c").  ``np.r_[t]`` of one tuple ``t`` concatenates
    the items of ``t``: its adjoint is one per item."""
    if len(items) == 1 and isinstance(items[0], tuple):
        parts = items[0]
        return Adjoints(index_concat_dx(g, kind, i, *parts) for i in range(len(parts)))
    x = items[which]
    if type(g) is float:
        return zeros_like(x)
    axis = 0 if kind == "r" else -1
    widths = [_index_concat_item(e, kind).shape[axis] for e in items]
    start = sum(widths[:which])
    part = np.take(np.asarray(g), np.arange(start, start + widths[which]), axis=axis)
    part = part.reshape(np.shape(x))
    return float(part) if type(x) in SCALARS else part


def index_concat_tangent(t, kind, which, *items):
    """Tangent of ``np.r_[items]`` / ``np.c_[items]`` from the tangent ``t``
    of item ``which`` (the others are constants)."""
    if len(items) == 1 and isinstance(items[0], tuple):     # np.r_[t] of a tuple t
        total = 0.0
        for i, ti in enumerate(elements(t)):
            total = total + index_concat_tangent(ti, kind, i, *items[0])
        return total if len(items[0]) else np.zeros(0)
    parts = [np.zeros(np.shape(e)) for e in items]
    parts[which] = np.broadcast_to(t, np.shape(items[which]))
    return np.r_[tuple(parts)] if kind == "r" else np.c_[tuple(parts)]
