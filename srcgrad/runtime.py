"""Helpers that generated gradient code calls.

Generated code uses plain arithmetic wherever it can; these helpers exist only
for the operations that need a shape decision at run time (reducing a
broadcast adjoint, expanding a reduced one, making zeros of an argument's
shape).  Each is small, has a fast path for Python scalars, and needs nothing
but NumPy, so that exported gradient code can carry them along
(``srcgrad.source(df, standalone=True)``).
"""

import numpy as np

_SCALARS = (float, int)


def unbroadcast(g, x):
    """Sum the adjoint ``g`` of a broadcast result down to the shape of ``x``.

    ``x`` took part in an operation whose result was broadcast to the shape of
    ``g``; the adjoint of ``x`` is the sum of ``g`` over the broadcast axes.
    A Python scalar ``x`` gets a Python-float-compatible adjoint.
    """
    if type(g) is float:
        return g
    gs = g.shape if type(g) is np.ndarray else np.shape(g)
    xs = x.shape if type(x) is np.ndarray else np.shape(x)
    if gs == xs:
        if type(x) in _SCALARS:
            return float(g)
        return g
    if not xs:
        return float(np.sum(g)) if type(x) in _SCALARS else np.sum(g)
    if not gs:
        # a scalar adjoint for an array argument: the zero adjoint, or a
        # scalar that stands for a constant array
        return np.full(xs, g, dtype=np.result_type(g, float))
    lead = len(gs) - len(xs)
    if lead > 0:
        g = np.sum(g, axis=tuple(range(lead)))
    axes = tuple(i for i, (n, m) in enumerate(zip(xs, np.shape(g))) if n == 1 and m != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def unreduce(g, x, axis=None, keepdims=False):
    """Expand the adjoint ``g`` of a reduction of ``x`` (over ``axis``) back
    to the shape of ``x``: every reduced element receives ``g``."""
    shape = np.shape(x)
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape).copy()


def zeros_like(x):
    """Zeros with the shape of ``x`` and a floating dtype (0.0 for a scalar)."""
    if type(x) in _SCALARS:
        return 0.0
    x = np.asarray(x)
    dtype = x.dtype if np.issubdtype(x.dtype, np.inexact) else float
    return np.zeros(x.shape, dtype=dtype)


def add_at(d, x, index, v):
    """Accumulate ``v`` into the adjoint ``d`` of ``x`` at ``index``.

    ``d`` is an adjoint array owned by the generated code (or the symbolic
    zero ``0.0``); it is updated in place and returned.  Repeated integer
    indices accumulate (like ``np.add.at``)."""
    if type(d) is float or np.ndim(d) == 0 and np.ndim(x) != 0:
        d = zeros_like(x) + d
    if isinstance(index, (int, np.integer, slice)) or index is None:
        d[index] += v
    else:
        np.add.at(d, index, v)
    return d


def fit(g, x):
    """Give the adjoint ``g`` of argument ``x`` the type and shape of ``x``:
    a float for a scalar, a float array of ``x``'s shape for an array."""
    if type(g) is float and type(x) is float:
        return g
    return unbroadcast(g, x)


def matmul_dx(g, x, y):
    """Adjoint of ``x`` in ``x @ y``."""
    if np.ndim(y) == 1:
        if np.ndim(x) == 1:
            return g * y
        return np.multiply.outer(g, y) if np.ndim(x) == 2 else g[..., None] * y
    if np.ndim(x) == 1:
        return unbroadcast(g[..., None, :] @ np.swapaxes(y, -1, -2), x[None, :])[0] \
            if np.ndim(g) > 1 else y @ g
    return unbroadcast(g @ np.swapaxes(y, -1, -2), x)


def matmul_dy(g, x, y):
    """Adjoint of ``y`` in ``x @ y``."""
    if np.ndim(x) == 1:
        if np.ndim(y) == 1:
            return g * x
        return np.multiply.outer(x, g) if np.ndim(y) == 2 else x[:, None] * g[..., None, :]
    if np.ndim(y) == 1:
        return unbroadcast(np.swapaxes(x, -1, -2) @ g[..., None], y[:, None])[..., 0] \
            if np.ndim(x) > 2 else g @ x
    return unbroadcast(np.swapaxes(x, -1, -2) @ g, y)


def dot_dx(g, x, y):
    """Adjoint of ``x`` in ``np.dot(x, y)``: like ``x @ y`` unless an operand
    is a scalar (a product) or ``y`` has more than two dimensions (``dot``
    then pairs every batch of ``x`` with every batch of ``y``)."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * y, x)
    if np.ndim(y) <= 2:
        return matmul_dx(g, x, y)
    nx, ny = np.ndim(x), np.ndim(y)
    return np.tensordot(g, y, axes=(list(range(nx - 1, np.ndim(g))), list(range(ny - 2)) + [ny - 1]))


def dot_dy(g, x, y):
    """Adjoint of ``y`` in ``np.dot(x, y)`` (see :func:`dot_dx`)."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * x, y)
    if np.ndim(y) <= 2:
        return matmul_dy(g, x, y)
    nx = np.ndim(x)
    return np.moveaxis(np.tensordot(x, g, axes=(list(range(nx - 1)), list(range(nx - 1)))), 0, -2)


def check_scalar(value):
    """Raise unless ``value`` is a scalar (the result ``grad`` differentiates)."""
    if type(value) is float or np.ndim(value) == 0:
        return
    from srcgrad.errors import NonScalarOutputError
    raise NonScalarOutputError(
        f"grad needs a function with a scalar result, but this call returned an array of "
        f"shape {np.shape(value)}; use srcgrad.vjp or srcgrad.jacobian for non-scalar results")


def unreduce_extreme(g, x, ans, axis=None, keepdims=False):
    """Adjoint of ``x`` in ``max``/``min`` of ``x`` over ``axis``: the adjoint
    goes to the elements equal to the extreme, shared equally among ties."""
    ans = unreduce(ans, x, axis, keepdims)
    hit = x == ans
    count = unreduce(np.sum(hit, axis=axis, keepdims=keepdims), x, axis, keepdims)
    return unreduce(g, x, axis, keepdims) * hit / count
