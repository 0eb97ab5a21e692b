"""Adjoints and tangents of shape and construction: reshape, transpose, tile, stack, split ...

Each adjoint returns an array of exactly the shape of the argument it is
the adjoint of (for a list or tuple of arrays, one adjoint per array).
The batched tangents keep the direction axis last.

>>> tile_dx(np.ones(6), np.ones(2), 3)
array([3., 3.])
>>> transpose_dx(np.ones((2, 3))).shape
(3, 2)
"""

import numpy as np

from srcgrad.runtime.base import inexact
from srcgrad.runtime.batched import is_number, per_direction
from srcgrad.runtime.broadcast import b_broadcast_like, unbroadcast, zeros_like
from srcgrad.runtime.containers import Adjoints, element
from srcgrad.runtime.structure import seq_parts, unstack


def reshape_dx(g, a, order="C"):
    """Adjoint of ``a`` in ``np.reshape(a, shape, order)``: ``g`` reshaped
    back in the same order (``order`` that is not a string is the second
    dimension of a method call ``a.reshape(2, 3)``, so the default 'C')."""
    order = order if isinstance(order, str) else "C"
    if order in ("A", "K"):
        order = "F" if np.isfortran(np.asarray(a)) else "C"
    return np.reshape(g, np.shape(a), order=order)


def reshape_tangent(t, ans, order="C"):
    """Tangent of a reshape: ``t`` in the result's shape, in the same order
    (an ``order`` that is no string is a dimension of ``a.reshape(2, 3)``)."""
    return np.reshape(t, np.shape(ans), order=order if isinstance(order, str) else "C")


def transpose_dx(g, axes=None):
    """Adjoint of ``a`` in ``np.transpose(a, axes)``: the inverse permutation."""
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort([int(i) % np.ndim(g) for i in axes]))


def method_axes(axes):
    """The axes of ``x.transpose(*axes)``: ``()``, ``(1, 0)`` or ``((1, 0),)``."""
    if not axes:
        return None
    if len(axes) == 1 and not np.isscalar(axes[0]):
        return tuple(axes[0])
    return tuple(axes)


def tile_dx(g, A, reps):
    """Adjoint of ``A`` in ``np.tile(A, reps)``: the sum over the copies."""
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    shape = np.shape(A)
    d = max(len(reps), len(shape))
    shape_d = (1,) * (d - len(shape)) + shape
    reps = (1,) * (d - len(reps)) + reps
    inter = [n for pair in zip(reps, shape_d) for n in pair]
    summed = np.sum(np.reshape(g, inter), axis=tuple(range(0, 2 * d, 2)))
    return np.reshape(summed, shape)


def repeat_dx(g, a, repeats, axis=None):
    """Adjoint of ``a`` in ``np.repeat(a, repeats, axis)``: each element gets
    the sum of the adjoints of its copies."""
    shape = np.shape(a)
    if axis is None:
        n = int(np.prod(shape))
        ax = 0
    else:
        ax = int(axis) % len(shape)
        n = shape[ax]
    owner = np.repeat(np.arange(n), repeats)
    gm = np.moveaxis(inexact(g), ax, 0)
    out = np.zeros((n,) + gm.shape[1:], dtype=gm.dtype)
    np.add.at(out, owner, gm)
    return np.reshape(np.moveaxis(out, 0, ax), shape) if axis is not None else np.reshape(out, shape)


def diag_dx(g, v, k=0):
    """Adjoint of ``v`` in ``np.diag(v, k)``: the k-th diagonal of ``g`` for a
    1-d ``v``; ``g`` placed on the k-th diagonal of zeros for a 2-d ``v``."""
    if np.ndim(v) == 1:
        return np.diagonal(g, k).copy()
    return diagonal_dx(g, v, k, 0, 1)


def diagonal_dx(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of ``a`` in ``np.diagonal(a, offset, axis1, axis2)``: ``g``
    (whose last axis runs along the diagonal) written onto the diagonal of
    zeros of ``a``'s shape."""
    out = np.zeros(np.shape(a), dtype=np.result_type(g, float))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    n = np.shape(g)[-1]
    i = np.arange(n)
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def trace_dx(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of ``a`` in ``np.trace(a, offset, axis1, axis2)``."""
    n = np.diagonal(a, offset, axis1, axis2).shape[-1]
    g = np.asarray(g)
    return diagonal_dx(np.broadcast_to(g[..., None], g.shape + (n,)), a, offset, axis1, axis2)


def astype_dx(g, a, dtype):
    """Adjoint of ``a`` in ``a.astype(dtype)`` (and ``np.asarray(a, dtype)``):
    ``g`` in the shape of ``a`` for a floating dtype or ``None``, zeros for an
    integer or boolean one (no derivative flows)."""
    if dtype is None or np.issubdtype(np.dtype(dtype), np.inexact):
        if np.iscomplexobj(g) and not np.iscomplexobj(a):
            g = np.real(g)                    # a real a: the real part (docs/complex.md)
        return np.reshape(np.asarray(g, dtype=np.result_type(a, float)), np.shape(a))
    return zeros_like(a)


def astype_tangent(t, ans):
    """Tangent of ``a.astype(dtype)``/``np.asarray(a, dtype)``: ``t`` for a
    floating result, zeros for an integer or boolean one."""
    dtype = np.result_type(ans)
    if np.issubdtype(dtype, np.inexact):
        if isinstance(t, (list, tuple)):        # one tangent per element; a zero is 0.0
            return _filled(t, np.shape(ans)).astype(dtype)
        return np.array(t, dtype=dtype).reshape(np.shape(ans))
    return np.zeros(np.shape(ans))


def _filled(t, shape):
    """The tangents ``t`` of a (nested) list's elements as one array of ``shape``
    (a symbolic zero ``0.0`` stands for an element of any shape)."""
    if isinstance(t, (list, tuple)) and len(shape) >= 1 and len(t) == shape[0]:
        return np.stack([_filled(e, shape[1:]) for e in t]) if len(t) else np.zeros(shape)
    return np.broadcast_to(np.asarray(t, dtype=float), shape)


def copy_dx(g, a):
    """Adjoint of ``a`` in ``np.copy(a)`` (or ``a.copy()``): ``g``, one
    adjoint per element where ``np.copy`` made an array of a list."""
    if isinstance(a, (list, tuple)) and isinstance(g, np.ndarray):
        return unstack(g, a)
    return g


def copy_dx_t(g, x, a):
    """Adjoint of ``x`` in ``copy_dx(x, a)`` (linear in ``x``)."""
    if isinstance(a, (list, tuple)) and isinstance(x, np.ndarray):
        return array_dx_t(g, x, a)
    return g


def copy_tangent(t, ans=None):
    """A copy of the tangent ``t`` (of ``np.copy(a)`` / ``a.copy()`` with
    result ``ans``, or of a value written in place later): the tangent of a
    dict or list (an adjoint dict in an hvp) is a dict or list of tangents,
    copied as it is -- ``np.copy`` would make it an array (or a 0-d object
    array) -- unless the result is an array (``np.copy(a_list)``)."""
    if isinstance(t, (dict, list)) and not isinstance(ans, np.ndarray):
        return type(t)(t)         # Adjoints (generated gradient code) stays Adjoints
    if isinstance(t, tuple):
        return t
    if np.iscomplexobj(ans) and not np.iscomplexobj(t):
        return np.array(t, dtype=np.result_type(ans))   # a complex value may be written in
    return np.copy(t)


def array_dx(g, obj, dtype=None):
    """Adjoint of ``obj`` in ``np.array(obj, dtype)``: for a list of values,
    one adjoint per element."""
    if isinstance(obj, (list, tuple)):
        return unstack(g, obj)
    return astype_dx(g, obj, dtype)


def _dense(g, like):
    if isinstance(like, (list, tuple)):
        return [_dense(element(g, i), e) for i, e in enumerate(like)]
    return np.broadcast_to(inexact(g), np.shape(like))


def array_dx_t(g, a, obj, dtype=None):
    """Adjoint of ``a`` in ``array_dx(a, obj, dtype)``: the parts of ``g``
    stacked back into an array of the shape of ``a``."""
    if isinstance(obj, (list, tuple)):
        return np.reshape(inexact(_dense(g, obj)), np.shape(a))
    return astype_dx(g, a, None)


def concatenate_dx(g, arrays, axis=0):
    """Adjoint of the arrays in ``np.concatenate(arrays, axis)``: the pieces
    (one array of the pieces when ``arrays`` is itself an array)."""
    if type(g) is not np.ndarray:
        g = np.asarray(g)
    if axis is None:
        sizes = np.cumsum([np.size(a) for a in arrays])[:-1]
        return seq_parts(list(p.reshape(np.shape(a)) for p, a in zip(np.split(np.ravel(g), sizes),
                                                                  arrays)), arrays)
    if type(arrays) is not np.ndarray and type(axis) is int and -g.ndim <= axis < g.ndim:
        # the common case, fast (a recursion calls it once per node): slices of g
        # along the axis, the adjoints of a list or tuple's elements
        axis %= g.ndim
        lead = (slice(None),) * axis
        pieces, start = Adjoints(), 0
        for a in arrays:
            stop = start + (a.shape[axis] if type(a) is np.ndarray else np.shape(a)[axis])
            pieces.append(g[start:stop] if axis == 0 else g[lead + (slice(start, stop),)])
            start = stop
        return pieces
    sizes = np.cumsum([np.shape(a)[axis] for a in arrays])[:-1]
    return seq_parts(np.split(g, sizes, axis=axis), arrays)


def stack_dx(g, arrays, axis=0):
    """Adjoint of the arrays in ``np.stack(arrays, axis)``."""
    return seq_parts([np.moveaxis(g, axis, 0)[i] for i in range(len(arrays))], arrays)


def hstack_dx(g, tup):
    """Adjoint of the arrays in ``np.hstack(tup)``."""
    axis = 0 if np.ndim(tup[0]) <= 1 else 1
    pieces = concatenate_dx(g, [np.atleast_1d(a) for a in tup], axis)
    return seq_parts([unbroadcast(p.reshape(np.shape(a)) if np.size(p) == np.size(a) else p, a)
                  for p, a in zip(pieces, tup)], tup)


def vstack_dx(g, tup):
    """Adjoint of the arrays in ``np.vstack(tup)``."""
    pieces = concatenate_dx(g, [np.atleast_2d(a) for a in tup], 0)
    return seq_parts([p.reshape(np.shape(a)) for p, a in zip(pieces, tup)], tup)


def split_dx(g, ary, axis=0):
    """Adjoint of ``ary`` in ``np.split(ary, ..., axis)``: the pieces' adjoints
    put back together (zeros for pieces nobody used)."""
    return np.concatenate([inexact(p) for p in g], axis=axis)


def _bshift(axis):
    """A primal axis for a batched array of one more dimension."""
    return axis if axis is None or axis >= 0 else axis - 1


def b_reshape(t, ans, order="C"):
    """Batched tangent of a reshape (C order; any other order direction by
    direction)."""
    t = np.asarray(t)
    if order == "C" or not isinstance(order, str):
        return np.reshape(t, np.shape(ans) + t.shape[-1:])
    return per_direction(lambda tk: reshape_tangent(tk, ans, order), t, t.shape[-1])


def b_reshape_dx(t, like, order="C", K=None):
    t = np.asarray(t)
    if order == "C" or not isinstance(order, str):
        return np.reshape(t, np.shape(like) + t.shape[-1:])
    return per_direction(lambda tk: reshape_dx(tk, like, order), t, t.shape[-1])


def b_ravel(t, ans, order="C"):
    t = np.asarray(t)
    if order == "C":
        return np.reshape(t, (-1,) + t.shape[-1:])
    return per_direction(lambda tk: np.ravel(tk, order=order), t, t.shape[-1])


def b_transpose(t, axes=None):
    """Batched tangent of ``np.transpose(a, axes)``: the direction axis stays last."""
    t = np.asarray(t)
    nd = t.ndim - 1
    perm = tuple(range(nd - 1, -1, -1)) if axes is None else tuple(int(a) % nd for a in axes)
    return np.transpose(t, perm + (nd,))


def b_transpose_dx(t, axes=None):
    """Batched tangent of :func:`srcgrad.runtime.transpose_dx` (the inverse
    permutation)."""
    nd = np.ndim(t) - 1
    if axes is None:
        return b_transpose(t)
    return b_transpose(t, tuple(np.argsort([int(i) % nd for i in axes])))


def b_swapaxes(t, axis1, axis2):
    return np.swapaxes(t, _bshift(axis1), _bshift(axis2))


def b_concatenate(t, axis, K):
    """Batched tangent of ``np.concatenate(arrays, axis)`` (``t``: the
    batched tangents of the arrays)."""
    if axis is None:
        return np.concatenate([np.reshape(b_broadcast_like(e, e, K) if is_number(e) else e,
                                          (-1, K)) for e in t], axis=0)
    return np.concatenate(list(t), axis=_bshift(axis))


def b_stack(t, axis=0):
    return np.stack(list(t), axis=_bshift(axis))


def _norm_axes(axis, nd):
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % nd for a in axes)


def b_expand_dims(t, ans, axis):
    return np.expand_dims(t, _norm_axes(axis, np.ndim(ans)))


def b_squeeze(t, a, axis=None):
    if axis is None:
        axes = tuple(i for i, n in enumerate(np.shape(a)) if n == 1)
    else:
        axes = _norm_axes(axis, np.ndim(a))
    return np.squeeze(t, axis=axes)


def b_moveaxis(t, source, destination):
    nd = np.ndim(t) - 1
    src, dst = _norm_axes(source, nd), _norm_axes(destination, nd)
    return np.moveaxis(t, src, dst)
