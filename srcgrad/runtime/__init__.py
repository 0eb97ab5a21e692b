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
    if type(g) is float and type(x) is not np.ndarray:
        return g           # a Python scalar adjoint (or the symbolic zero) of a scalar
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


def expand(g, x):
    """The adjoint ``g``, which broadcasts to the shape of ``x`` (the adjoint
    of a sum is its scalar ``g``, standing for ``g`` in every element), as
    an array of exactly that shape; ``g`` itself when it already has it."""
    if type(g) is np.ndarray and type(x) is np.ndarray:
        if g.shape == x.shape:
            return g
        return np.broadcast_to(g, x.shape).astype(np.result_type(g, float))
    xs = np.shape(x)
    if np.shape(g) == xs:
        return float(g) if type(x) is float else g
    return np.broadcast_to(g, xs).astype(np.result_type(g, float))


def unreduce(g, x, axis=None, keepdims=False):
    """Expand the adjoint ``g`` of a reduction of ``x`` (over ``axis``) back
    to the shape of ``x``: every reduced element receives ``g``."""
    shape = np.shape(x)
    if axis is not None and not keepdims and np.ndim(g) != 0:
        # (a scalar ``g`` may stand for a constant array of the reduced shape:
        # it broadcasts as it is)
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape).copy()


def unreduce_mean(g, x, axis=None, keepdims=False):
    """Expand the adjoint ``g`` of ``np.mean(x, axis)`` back to the shape of
    ``x``: every element receives ``g`` divided by the number averaged."""
    shape = np.shape(x)
    if axis is None:
        count = int(np.prod(shape))
    else:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        count = int(np.prod([shape[a] for a in axes]))
    return unreduce(g, x, axis, keepdims) / count


def zeros_like(x):
    """Zeros with the shape of ``x`` and a floating dtype (0.0 for a scalar);
    for a tuple (a function's several results), a list of zeros, one per
    element, so that each element's adjoint can be accumulated."""
    if type(x) is np.ndarray and x.dtype.kind == "f":      # the common case, fast
        return np.zeros(x.shape, x.dtype)
    if type(x) in _SCALARS:
        return 0.0
    if isinstance(x, (tuple, list)):
        return Adjoints(zeros_like(e) for e in x)
    if isinstance(x, dict) or _is_record(x):
        return AdjointDict()          # missing keys (attributes) read as 0.0
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
    if type(g) is float and type(x) is np.ndarray:    # a zero standing for an array
        return np.full(x.shape, g, dtype=np.result_type(x, float))
    if isinstance(x, (list, tuple, dict)) or _is_record(x):
        return restructure(g, x)          # a tuple of arrays: a tuple of their gradients
    if isinstance(g, list) and type(x) is np.ndarray:
        g = _stack_parts(g, x)            # one adjoint per row of an array argument
    return unbroadcast(g, x)


def matmul_dx(g, x, y):
    """Adjoint of ``x`` in ``x @ y``."""
    xd = x.ndim if type(x) is np.ndarray else np.ndim(x)
    yd = y.ndim if type(y) is np.ndarray else np.ndim(y)
    if xd == 2 and yd == 2:
        return g @ y.T
    if yd == 1:
        if xd == 1:
            return g * y
        return np.multiply.outer(g, y) if xd == 2 else g[..., None] * y
    if xd == 1:
        return y @ g if np.ndim(g) == 1 else \
            unbroadcast(g[..., None, :] @ np.swapaxes(y, -1, -2), x[None, :])[0]
    return unbroadcast(g @ np.swapaxes(y, -1, -2), x)


def matmul_dy(g, x, y):
    """Adjoint of ``y`` in ``x @ y``."""
    xd = x.ndim if type(x) is np.ndarray else np.ndim(x)
    yd = y.ndim if type(y) is np.ndarray else np.ndim(y)
    if xd == 2 and yd == 2:
        return x.T @ g
    if xd == 1:
        if yd == 1:
            return g * x
        return np.multiply.outer(x, g) if yd == 2 else x[:, None] * g[..., None, :]
    if yd == 1:
        return g @ x if xd == 2 else \
            unbroadcast(np.swapaxes(x, -1, -2) @ g[..., None], y[:, None])[..., 0]
    return unbroadcast(np.swapaxes(x, -1, -2) @ g, y)


def matmul_dx_sum(gs, x, ys):
    """The sum of ``matmul_dx(g, x, y)`` over the ``g`` in ``gs`` and the ``y``
    in ``ys`` (what the ``x @ y`` of a loop contribute to the adjoint of
    ``x``): for a matrix ``x`` and vectors ``g``, ``y``, the outer products
    added up as one matrix product.  Empties both lists as it goes (so their
    arrays are freed early): they are the generated code's own."""
    if type(x) is np.ndarray and x.ndim == 2 and gs and all(
            type(g) is np.ndarray and g.ndim == 1 for g in gs) and all(
            type(y) is np.ndarray and y.ndim == 1 for y in ys):
        G = np.array(gs)
        gs.clear()
        Y = np.array(ys)
        ys.clear()
        return G.T @ Y
    total = 0.0
    for g, y in zip(gs, ys):
        total = total + matmul_dx(g, x, y)
    gs.clear()
    ys.clear()
    return total


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
        f"shape {np.shape(value)}; use srcgrad.vjp (reverse) or srcgrad.jvp (forward) for non-scalar results")


def unreduce_extreme(g, x, ans, axis=None, keepdims=False):
    """Adjoint of ``x`` in ``max``/``min`` of ``x`` over ``axis``: the adjoint
    goes to the elements equal to the extreme, shared equally among ties."""
    ans = unreduce(ans, x, axis, keepdims)
    hit = x == ans
    count = unreduce(np.sum(hit, axis=axis, keepdims=keepdims), x, axis, keepdims)
    return unreduce(g, x, axis, keepdims) * hit / count


# --------------------------------------------------------------------------
# adjoints of NumPy functions whose formula needs more than one line
# (called from the templates in srcgrad/rules/numpy_rules.py).  Each returns
# an array of exactly the shape of the argument it is the adjoint of.


def _axes(axis, ndim):
    """``axis`` (None, an int or a tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes)) if ndim else ()


def _keep(v, x, axis, keepdims):
    """The result ``v`` of a reduction of ``x`` over ``axis``, with the reduced
    axes kept (size 1), so that it broadcasts against ``x``."""
    v = np.asarray(v)
    if keepdims or np.ndim(x) == 0:
        return v
    if v.ndim == 0:       # (a scalar standing for a constant reduced array)
        return np.reshape(v, (1,) * np.ndim(x))
    return np.reshape(v, [1 if i in _axes(axis, np.ndim(x)) else n
                          for i, n in enumerate(np.shape(x))])


def prod_dx(g, a, axis=None, keepdims=False):
    """Adjoint of ``a`` in ``np.prod(a, axis)``: ``g`` times the product of
    the *other* reduced elements (exclusive products from both sides, so
    zeros in ``a`` are handled exactly, without dividing by ``a``)."""
    a = np.asarray(a, dtype=np.result_type(a, float))
    if a.ndim == 0:
        return unreduce(g, a, axis, keepdims)
    axes = _axes(axis, a.ndim)
    k = len(axes)
    moved = np.moveaxis(a, axes, tuple(range(a.ndim - k, a.ndim)))
    flat = moved.reshape(moved.shape[:a.ndim - k] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    others = np.moveaxis((left * right).reshape(moved.shape),
                         tuple(range(a.ndim - k, a.ndim)), axes)
    return unreduce(g, a, axis, keepdims) * others


def var_dx(g, a, axis=None, ddof=0, keepdims=False, correction=None):
    """Adjoint of ``a`` in ``np.var(a, axis, ddof=ddof)``:
    ``2 (a - mean) / (N - ddof)`` times the expanded ``g``."""
    ddof = ddof if correction is None else correction
    n = np.size(a) / max(np.size(np.mean(a, axis=axis)), 1)
    mean = np.mean(a, axis=axis, keepdims=True)
    return unreduce(g, a, axis, keepdims) * (2.0 / (n - ddof)) * (a - mean)


def cumsum_dx(g, a, axis=None):
    """Adjoint of ``a`` in ``np.cumsum(a, axis)``: the reversed cumulative
    sum of ``g`` (over the flattened array when ``axis`` is None)."""
    if axis is None:
        return np.reshape(np.cumsum(np.ravel(g)[::-1])[::-1], np.shape(a))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def cumprod_dx(g, a, ans, axis=None):
    """Adjoint of ``a`` in ``np.cumprod(a, axis)``: ``cumsum_dx(g * ans) / a``
    for ``a`` without zeros, the exact products otherwise."""
    if not np.all(np.asarray(a) != 0):
        return cumprod_exact_dx(g, a, axis)
    if axis is None:
        return np.reshape(cumsum_dx(g * ans, np.ravel(a), 0) / np.ravel(a), np.shape(a))
    return cumsum_dx(g * ans, a, axis) / a


def _average_weights(a, weights, axis):
    """The weights of ``np.average`` broadcast to the shape of ``a``."""
    if weights is None:
        return np.ones(np.shape(a))
    w = np.asarray(weights, dtype=float)
    if w.shape != np.shape(a):        # 1-d weights along one axis
        shape = [1] * np.ndim(a)
        shape[int(axis) % np.ndim(a)] = w.shape[0]
        w = w.reshape(shape)
    return np.broadcast_to(w, np.shape(a))


def average_da(g, a, axis=None, weights=None, keepdims=False):
    """Adjoint of ``a`` in ``np.average(a, axis, weights)``."""
    w = _average_weights(a, weights, axis)
    total = np.sum(w, axis=_axes(axis, np.ndim(a)), keepdims=True)
    return unreduce(g, a, axis, keepdims) * w / total


def average_dw(g, a, ans, axis=None, weights=None, keepdims=False):
    """Adjoint of ``weights`` in ``np.average(a, axis, weights)``:
    ``g (a - average) / sum(weights)``, summed back to the weights' shape."""
    w = _average_weights(a, weights, axis)
    total = np.sum(w, axis=_axes(axis, np.ndim(a)), keepdims=True)
    full = unreduce(g, a, axis, keepdims) * (a - _keep(ans, a, axis, keepdims)) / total
    if np.shape(weights) == np.shape(a):
        return full
    other = tuple(i for i in range(np.ndim(a)) if i != int(axis) % np.ndim(a))
    return np.sum(full, axis=other)


def nanmean_dx(g, a, axis=None, keepdims=False):
    """Adjoint of ``a`` in ``np.nanmean(a, axis)``: ``g / count`` on the
    non-NaN elements, zero on the NaNs."""
    ok = ~np.isnan(a)
    count = np.sum(ok, axis=_axes(axis, np.ndim(a)), keepdims=True)
    return np.where(ok, unreduce(g, a, axis, keepdims) / count, 0.0)


def _share_extreme(y, axis):
    """Indicator of the extreme elements of ``y`` along ``axis`` (kept
    dims), ties sharing equally (``y`` is already the quantity maximised)."""
    hit = y == np.max(y, axis=axis, keepdims=True)
    return hit / np.sum(hit, axis=axis, keepdims=True)


def norm_dx(g, x, ans, ord=None, axis=None, keepdims=False):
    """Adjoint of ``x`` in ``np.linalg.norm(x, ord, axis, keepdims)``.

    Vector norms (1-d ``x`` or an integer ``axis``): ``ord`` None, 2, 1,
    ``inf``, ``-inf`` and any other nonzero number ``p``.  Matrix norms (2-d
    ``x`` with ``ord`` given, or a pair of axes): None/'fro', 'nuc', 2, 1,
    ``inf``.  Other orders raise ``UnsupportedError``.  At a kink one
    subgradient is used: a zero element for ``ord=1``, ties for ``inf`` share
    equally, and at the zero vector (or matrix) the gradient of the 2-norm and
    Frobenius norm is 0 (the subgradient of least norm)."""
    x = np.asarray(x)         # (a list of values too)
    x = x.astype(np.result_type(x.dtype, float), copy=False)
    nd = x.ndim
    if axis is None and (ord is None or nd == 1):
        if ord is None or ord == 2 or nd == 1 and ord == "fro":
            axis = tuple(range(nd))
            return _keep(g, x, axis, keepdims) * x / _keep(np.where(ans == 0, 1.0, ans), x, axis, keepdims) \
                if nd else g * np.sign(x)
        axis = 0
    if axis is None:
        axis = (0, 1)
    axes = _axes(axis, nd)
    if np.ndim(axis) == 1 and len(axes) == 2:
        axes = tuple(int(a) % nd for a in axis)     # (row axis, column axis): order matters
    gk = _keep(g, x, axes, keepdims)
    nk = _keep(ans, x, axes, keepdims)
    if len(axes) == 1:
        ax = axes[0]
        if ord is None or ord == 2:
            return gk * x / np.where(nk == 0, 1.0, nk)
        if ord == 1:
            return gk * np.sign(x)
        if ord == np.inf:
            return gk * np.sign(x) * _share_extreme(np.abs(x), ax)
        if ord == -np.inf:
            return gk * np.sign(x) * _share_extreme(-np.abs(x), ax)
        if ord == 0:
            return np.zeros_like(x)
        if isinstance(ord, (int, float, np.number)):
            return gk * np.sign(x) * np.abs(x) ** (ord - 1) / np.where(nk == 0, 1.0, nk) ** (ord - 1)
        raise _unsupported(f"no derivative of a vector norm with ord={ord!r}")
    if len(axes) != 2:
        raise _unsupported("no derivative of np.linalg.norm over more than two axes")
    m = np.moveaxis(x, axes, (-2, -1))
    gm = np.moveaxis(gk, axes, (-2, -1))
    nm = np.moveaxis(nk, axes, (-2, -1))
    if ord is None or ord == "fro":
        d = gm * m / np.where(nm == 0, 1.0, nm)
    elif ord == "nuc" or ord == 2:
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":
            d = gm * (u @ vt)
        else:
            d = gm * (u[..., :, :1] @ vt[..., :1, :])
    elif ord in (1, np.inf):
        col = -1 if ord == np.inf else -2      # inf: rows summed over columns
        sums = np.sum(np.abs(m), axis=col, keepdims=True)
        d = gm * np.sign(m) * _share_extreme(sums, -2 if col == -1 else -1)
    else:
        raise _unsupported(f"no derivative of a matrix norm with ord={ord!r}",
                           hint="use ord None, 'fro', 'nuc', 1, 2 or inf")
    return np.moveaxis(d, (-2, -1), axes)


# -- shape and construction -------------------------------------------------


def reshape_dx(g, a, order="C"):
    """Adjoint of ``a`` in ``np.reshape(a, shape, order)``: ``g`` reshaped
    back in the same order (``order`` that is not a string is the second
    dimension of a method call ``a.reshape(2, 3)``, so the default 'C')."""
    order = order if isinstance(order, str) else "C"
    if order in ("A", "K"):
        order = "F" if np.isfortran(np.asarray(a)) else "C"
    return np.reshape(g, np.shape(a), order=order)


def transpose_dx(g, axes=None):
    """Adjoint of ``a`` in ``np.transpose(a, axes)``: the inverse permutation."""
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort([int(i) % np.ndim(g) for i in axes]))


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
    gm = np.moveaxis(np.asarray(g, dtype=float), ax, 0)
    out = np.zeros((n,) + gm.shape[1:])
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


def pad_dx(g, array, pad_width, mode="constant", stat_length=None, reflect_type="even"):
    """Adjoint of ``array`` in ``np.pad(array, pad_width, mode)``, for every
    ``pad_width`` form NumPy accepts (an int, ``(n,)``, ``(before, after)``,
    one pair per axis).  Modes that copy elements (constant, edge, reflect,
    symmetric, wrap): each element gets the adjoints of its copies; the other
    linear modes (mean, odd reflection): the transposed linear map.  Other
    modes raise ``UnsupportedError``."""
    problem = pad_unsupported(mode, reflect_type)
    if problem:
        raise _unsupported(*problem)
    shape = np.shape(array)
    n = int(np.prod(shape))
    g = np.asarray(g)
    dtype = np.result_type(g, float)
    if mode in ("constant", "edge", "reflect", "symmetric", "wrap") and reflect_type == "even":
        # where each element of the result comes from (-1: a constant)
        source = np.pad(np.arange(n).reshape(shape), pad_width, mode=mode,
                        **({"constant_values": -1} if mode == "constant" else {}))
        g = np.broadcast_to(g, source.shape)
        used = source >= 0
        out = np.bincount(source[used], weights=g[used].astype(float), minlength=n)
        return out.reshape(shape).astype(dtype, copy=False)
    out = np.zeros(n, dtype=dtype)      # a linear map: one column of it per element
    for k in range(n):
        unit = np.zeros(n)
        unit[k] = 1.0
        out[k] = np.sum(g * pad_tangent(unit.reshape(shape), pad_width, mode, stat_length,
                                        reflect_type))
    return out.reshape(shape)


def astype_dx(g, a, dtype):
    """Adjoint of ``a`` in ``a.astype(dtype)`` (and ``np.asarray(a, dtype)``):
    ``g`` in the shape of ``a`` for a floating dtype or ``None``, zeros for an
    integer or boolean one (no derivative flows)."""
    if dtype is None or np.issubdtype(np.dtype(dtype), np.inexact):
        return np.reshape(np.asarray(g, dtype=np.result_type(a, float)), np.shape(a))
    return zeros_like(a)


# -- products and linear algebra ---------------------------------------------


def inner_dx(g, x, y):
    """Adjoint of ``x`` in ``np.inner(x, y)`` (a product when one is a scalar)."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * y, x)
    nx, ny = np.ndim(x), np.ndim(y)
    d = np.tensordot(g, y, axes=(list(range(nx - 1, nx - 1 + ny - 1)), list(range(ny - 1))))
    return np.reshape(d, np.shape(x))


def inner_dy(g, x, y):
    """Adjoint of ``y`` in ``np.inner(x, y)``."""
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        return unbroadcast(g * x, y)
    nx = np.ndim(x)
    d = np.tensordot(g, x, axes=(list(range(nx - 1)), list(range(nx - 1))))
    return np.reshape(d, np.shape(y))


def _tensordot_axes(axes, nx, ny):
    if np.ndim(axes) == 0:
        n = int(axes)
        return list(range(nx - n, nx)), list(range(n))
    ax, ay = axes
    ax = [int(ax) % nx] if np.ndim(ax) == 0 else [int(i) % nx for i in ax]
    ay = [int(ay) % ny] if np.ndim(ay) == 0 else [int(i) % ny for i in ay]
    return ax, ay


def tensordot_dx(g, x, y, axes=2):
    """Adjoint of ``x`` in ``np.tensordot(x, y, axes)``."""
    nx, ny = np.ndim(x), np.ndim(y)
    ax, ay = _tensordot_axes(axes, nx, ny)
    fx = [i for i in range(nx) if i not in ax]
    fy = [i for i in range(ny) if i not in ay]
    d = np.tensordot(g, y, axes=(list(range(len(fx), len(fx) + len(fy))), fy))
    # d's axes: x's free axes, then y's contracted axes in increasing order
    src = fx + [ax[ay.index(j)] for j in sorted(ay)]
    return np.transpose(d, np.argsort(src)) if nx else d


def tensordot_dy(g, x, y, axes=2):
    """Adjoint of ``y`` in ``np.tensordot(x, y, axes)``."""
    nx, ny = np.ndim(x), np.ndim(y)
    ax, ay = _tensordot_axes(axes, nx, ny)
    fx = [i for i in range(nx) if i not in ax]
    fy = [i for i in range(ny) if i not in ay]
    d = np.tensordot(x, g, axes=(fx, list(range(len(fx)))))
    # d's axes: y's contracted axes (in the order of x's), then y's free axes
    src = [ay[ax.index(i)] for i in sorted(ax)] + fy
    return np.transpose(d, np.argsort(src)) if ny else d


def einsum_dx(g, subscripts, i, *operands):
    """Adjoint of operand ``i`` of ``np.einsum(subscripts, *operands)``
    (trailing ``None`` operands are ignored: the rule has optional slots).

    Explicit (``'ij,jk->ik'``) and implicit (``'ij,jk'``) subscripts; an
    ellipsis stands for letters of its own (``'...i->...'``); an operand's
    repeated index (``'ii->'``) is a diagonal; a size-1 axis broadcast against
    a longer one gets the sum."""
    operands = [op for op in operands if op is not None]
    spec = subscripts.replace(" ", "")
    if "." in spec:
        spec = _einsum_letters(spec, operands)
    if "->" in spec:
        ins, out = spec.split("->")
    else:
        ins = spec
        letters = ins.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ins = ins.split(",")
    mine = ins[i]
    x = operands[i]
    sizes = dict(zip(mine, np.shape(x)))
    unique = "".join(dict.fromkeys(mine))
    others = [s for j, s in enumerate(ins) if j != i]
    present = "".join(c for c in unique if c in out or any(c in s for s in others))
    d = np.einsum(",".join([out] + others) + "->" + present,
                  g, *[op for j, op in enumerate(operands) if j != i])
    broadcast = tuple(k for k, c in enumerate(present) if sizes[c] == 1 and d.shape[k] != 1)
    if broadcast:                         # (x's axis of size 1 met a longer one)
        d = np.sum(d, axis=broadcast, keepdims=True)
    if present != unique:                 # indices summed only in this operand
        full = [sizes[c] for c in unique]
        d = np.reshape(d, [sizes[c] if c in present else 1 for c in unique])
        d = np.broadcast_to(d, full)
    if unique == mine:
        return np.array(d, dtype=np.result_type(d, float))
    out_ = np.zeros(np.shape(x), dtype=np.result_type(d, float))
    np.einsum(mine + "->" + unique, out_)[...] = d
    return out_


def kron_dx(g, a, b):
    """Adjoint of ``a`` in ``np.kron(a, b)``."""
    return _kron_d(g, a, b, 0)


def kron_dy(g, a, b):
    """Adjoint of ``b`` in ``np.kron(a, b)``."""
    return _kron_d(g, a, b, 1)


def _kron_d(g, a, b, which):
    d = max(np.ndim(a), np.ndim(b))
    sa = (1,) * (d - np.ndim(a)) + np.shape(a)
    sb = (1,) * (d - np.ndim(b)) + np.shape(b)
    gi = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])
    if which == 0:
        other = np.reshape(b, [n for m in sb for n in (1, m)])
        r = np.sum(gi * other, axis=tuple(range(1, 2 * d, 2)))
        return np.reshape(r, np.shape(a))
    other = np.reshape(a, [n for m in sa for n in (m, 1)])
    r = np.sum(gi * other, axis=tuple(range(0, 2 * d, 2)))
    return np.reshape(r, np.shape(b))


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _solve_adjoint(g, a, b):
    """``solve(a^T, g)``: the adjoint of ``b`` before any batch reduction."""
    if np.ndim(b) == 1:          # NumPy 2: a 1-d b is one vector for every matrix
        return np.linalg.solve(_mT(a), np.asarray(g)[..., None])[..., 0]
    return np.linalg.solve(_mT(a), g)


def solve_db(g, a, b):
    """Adjoint of ``b`` in ``x = np.linalg.solve(a, b)``: ``solve(a^T, g)``."""
    return unbroadcast(_solve_adjoint(g, a, b), b)


def solve_da(g, a, b, ans):
    """Adjoint of ``a`` in ``x = np.linalg.solve(a, b)``: ``-solve(a^T, g) x^T``."""
    gb = _solve_adjoint(g, a, b)
    if np.ndim(b) == 1:
        return unbroadcast(-gb[..., :, None] * ans[..., None, :], a)
    return unbroadcast(-gb @ _mT(ans), a)


def det_da(g, a, ans):
    """Adjoint of ``a`` in ``np.linalg.det(a)``: ``g det(a) inv(a)^T`` (the
    cofactor matrix, exact also for a singular ``a``)."""
    if not np.any(np.asarray(ans) == 0):
        try:
            return np.asarray(g * ans)[..., None, None] * _mT(np.linalg.inv(a))
        except np.linalg.LinAlgError:
            pass
    return np.asarray(g)[..., None, None] * cofactor(a)


def cholesky_da(g, a, ans, upper=False):
    """Adjoint of ``a`` in ``np.linalg.cholesky(a, upper=upper)``.

    NumPy reads only the lower triangle of ``a`` (the upper one for
    ``upper=True``), so the adjoint is the derivative with respect to those
    entries (zero in the other triangle): with ``L`` the factor and
    ``S = sym(L^-T Phi(L^T gL) L^-1)``, the off-diagonal entries are ``2 S``
    and the diagonal ``S``."""
    if upper:
        return _mT(cholesky_da(_mT(g), _mT(a), _mT(ans)))
    L = ans
    P = _mT(L) @ g
    P = np.tril(P) - 0.5 * np.eye(P.shape[-1]) * P
    Linv = np.linalg.inv(L)
    S = _mT(Linv) @ P @ Linv
    S = 0.5 * (S + _mT(S))
    return np.tril(2.0 * S) - np.eye(S.shape[-1]) * S


def inv_da(g, ans):
    """Adjoint of ``a`` in ``ans = np.linalg.inv(a)``: ``-ans^T g ans^T``."""
    return -(_mT(ans) @ g @ _mT(ans))


def pinv_da(g, a, ans):
    """Adjoint of ``a`` in ``np.linalg.pinv(a)`` (valid where the rank is
    locally constant, e.g. full rank): Golub and Pereyra's formula."""
    p, pt = ans, _mT(ans)
    gt = _mT(g)
    m, n = np.shape(a)[-2:]
    return (-pt @ g @ pt
            + (np.eye(m) - a @ p) @ gt @ p @ pt
            + pt @ p @ gt @ (np.eye(n) - p @ a))


def method_axes(axes):
    """The axes of ``x.transpose(*axes)``: ``()``, ``(1, 0)`` or ``((1, 0),)``."""
    if not axes:
        return None
    if len(axes) == 1 and not np.isscalar(axes[0]):
        return tuple(axes[0])
    return tuple(axes)


def written_adjoint(d, index):
    """Adjoint of the values ``v`` in ``x[index] = v``, from the adjoint ``d``
    of ``x`` after the write: each value gets the adjoint of the element it
    wrote, and 0 where a later duplicate index overwrote it (NumPy keeps the
    last of repeated writes)."""
    g = np.array(d[index], dtype=float)
    if g.size > 1 and not _surely_distinct(index):
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


# -- linear algebra with several results ------------------------------------------
# ``g`` is then a list with one adjoint per result (zeros where unused).

def slogdet_da(g, a):
    """Adjoint of ``a`` in ``sign, logabsdet = np.linalg.slogdet(a)`` (the sign
    carries no derivative)."""
    try:
        inverse = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise _unsupported("the derivative of np.linalg.slogdet at a singular matrix is "
                           "infinite (log 0)") from None
    return np.asarray(g[1])[..., None, None] * np.swapaxes(inverse, -1, -2)


def _lower_read(sym, uplo="L"):
    """A gradient with respect to a symmetric matrix, as a gradient with respect
    to the triangle that ``eigh`` reads (``uplo``): off-diagonal entries of that
    triangle count twice, the other triangle not at all."""
    sym = (sym + np.swapaxes(sym, -1, -2)) / 2
    out = np.tril(2 * sym, -1) + sym * np.eye(sym.shape[-1])
    return out if uplo == "L" else np.swapaxes(out, -1, -2)


def eigh_da(g, a, ans, uplo="L"):
    """Adjoint of ``a`` in ``w, v = np.linalg.eigh(a)`` (distinct eigenvalues)."""
    w, v = ans
    gw, gv = g
    vt = np.swapaxes(v, -1, -2)
    diff = w[..., None, :] - w[..., :, None]
    off = ~np.eye(w.shape[-1], dtype=bool)
    repeated = off & (diff == 0)
    f = np.where(off & ~repeated, 1.0 / np.where(off & ~repeated, diff, 1.0), 0.0)
    m = vt @ np.asarray(gv) if np.ndim(gv) else 0.0
    # (an eigenvector of a repeated eigenvalue is not even continuous in ``a``)
    if np.ndim(gv) and np.any((np.asarray(gv) != 0) & np.any(repeated, axis=-2)[..., None, :]):
        raise _unsupported("the eigenvectors of np.linalg.eigh have no derivative where "
                           "eigenvalues are repeated",
                           hint="use only the eigenvalues there (np.linalg.eigvalsh)")
    inner = f * m
    core = inner + np.asarray(gw)[..., None] * np.eye(w.shape[-1]) if np.ndim(gw) else inner
    return _lower_read(v @ core @ vt, uplo)


def eigvalsh_da(g, a, uplo="L"):
    """Adjoint of ``a`` in ``w = np.linalg.eigvalsh(a)`` (distinct eigenvalues)."""
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return _lower_read((v * g[..., None, :]) @ np.swapaxes(v, -1, -2), uplo)


def svdvals_da(g, a):
    """Adjoint of ``a`` in its singular values: ``U diag(g) V^T``."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (u * g[..., None, :]) @ vh


def svd_da(g, a, full_matrices=True, compute_uv=True, hermitian=False):
    """Adjoint of ``a`` in ``np.linalg.svd``: singular values only."""
    if compute_uv:
        raise _unsupported(*svd_unsupported())
    return svdvals_da(g, a)


def qr_da(g, a, ans):
    """Adjoint of ``a`` in ``q, r = np.linalg.qr(a)`` (reduced, a with at least
    as many rows as columns and full rank)."""
    q, r = ans
    gq, gr = (np.zeros_like(q) if np.ndim(g[0]) == 0 else g[0],
              np.zeros_like(r) if np.ndim(g[1]) == 0 else g[1])
    m = r @ np.swapaxes(gr, -1, -2) - np.swapaxes(gq, -1, -2) @ q
    copyltu = np.tril(m, -1) + np.swapaxes(np.tril(m, -1), -1, -2) + m * np.eye(m.shape[-1])
    b = gq + q @ copyltu
    diag = np.abs(np.diagonal(r, axis1=-2, axis2=-1))
    if np.any(diag <= np.finfo(float).eps * r.shape[-1] * np.max(np.abs(r), initial=0.0)):
        raise _unsupported("np.linalg.qr is differentiated for matrices of full column rank "
                           "only (R has a zero on its diagonal)")
    return np.swapaxes(np.linalg.solve(r, np.swapaxes(b, -1, -2)), -1, -2)


def lstsq_da(g, a, b, ans):
    """Adjoint of ``a`` in ``x, *rest = np.linalg.lstsq(a, b)`` (full column
    rank; only the solution ``x`` carries a derivative)."""
    x = ans[0]
    z = np.linalg.solve(a.T @ a, g[0])
    r = b - a @ x
    return np.multiply.outer(r, z) - np.multiply.outer(a @ z, x) if r.ndim == 1 \
        else r @ z.T - (a @ z) @ x.T


def lstsq_db(g, a, b, ans):
    """Adjoint of ``b`` in ``np.linalg.lstsq(a, b)`` (full column rank)."""
    return a @ np.linalg.solve(a.T @ a, g[0])


def take_dx(g, a, indices, axis=None):
    """Adjoint of ``a`` in ``np.take(a, indices, axis)``: repeated indices add up."""
    out = np.zeros(np.shape(a), dtype=float)
    if axis is None:
        np.add.at(out.reshape(-1), np.asarray(indices).ravel(), np.ravel(g))
        return out
    moved = np.moveaxis(out, axis, 0)
    np.add.at(moved, np.asarray(indices), np.moveaxis(np.asarray(g, dtype=float), axis, 0)
              if np.ndim(indices) <= 1 else g)
    return out




def unstack(g, like):
    """Adjoint of the elements of ``like`` (a list/tuple, possibly nested)
    from the adjoint ``g`` of ``np.array(like)``."""
    if isinstance(like, (list, tuple)):
        return Adjoints(unstack(g[i], e) for i, e in enumerate(like))
    return unbroadcast(g, like)


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


def concatenate_dx(g, arrays, axis=0):
    """Adjoint of the arrays in ``np.concatenate(arrays, axis)``: the pieces
    (one array of the pieces when ``arrays`` is itself an array)."""
    g = np.asarray(g)
    if axis is None:
        sizes = np.cumsum([np.size(a) for a in arrays])[:-1]
        return _seq_parts(list(p.reshape(np.shape(a)) for p, a in zip(np.split(np.ravel(g), sizes),
                                                                   arrays)), arrays)
    sizes = np.cumsum([np.shape(a)[axis] for a in arrays])[:-1]
    return _seq_parts(np.split(g, sizes, axis=axis), arrays)


def stack_dx(g, arrays, axis=0):
    """Adjoint of the arrays in ``np.stack(arrays, axis)``."""
    return _seq_parts([np.moveaxis(g, axis, 0)[i] for i in range(len(arrays))], arrays)


def hstack_dx(g, tup):
    """Adjoint of the arrays in ``np.hstack(tup)``."""
    axis = 0 if np.ndim(tup[0]) <= 1 else 1
    pieces = concatenate_dx(g, [np.atleast_1d(a) for a in tup], axis)
    return _seq_parts([unbroadcast(p.reshape(np.shape(a)) if np.size(p) == np.size(a) else p, a)
                   for p, a in zip(pieces, tup)], tup)


def vstack_dx(g, tup):
    """Adjoint of the arrays in ``np.vstack(tup)``."""
    pieces = concatenate_dx(g, [np.atleast_2d(a) for a in tup], 0)
    return _seq_parts([p.reshape(np.shape(a)) for p, a in zip(pieces, tup)], tup)


def split_dx(g, ary, axis=0):
    """Adjoint of ``ary`` in ``np.split(ary, ..., axis)``: the pieces' adjoints
    put back together (zeros for pieces nobody used)."""
    return np.concatenate([np.asarray(p, dtype=float) for p in g], axis=axis)


def array_dx(g, obj, dtype=None):
    """Adjoint of ``obj`` in ``np.array(obj, dtype)``: for a list of values,
    one adjoint per element."""
    if isinstance(obj, (list, tuple)):
        return unstack(g, obj)
    return astype_dx(g, obj, dtype)


def not_a_view(value, array, name, array_name, line):
    """Raise if ``value`` (read from ``array``) shares its memory, while a
    later in-place write to one of them would change the other.  ``array``
    may be a container (a tuple, list, dict or object the value was put
    into): then any array in it counts."""
    if type(value) is np.ndarray and _holds(array, value, 0):
        from srcgrad.errors import UnsupportedError
        raise UnsupportedError(
            f"'{name}' is a view of '{array_name}' (or the other way round, or an array held "
            f"in it), and one of them is "
            f"written in place at {line} while the other is still used; srcgrad cannot "
            f"differentiate through that sharing",
            hint=f"take a copy where the view is made: {name} = ....copy()")


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
    if _is_record(x):
        return any(_holds(e, value, depth + 1) for e in vars(x).values())
    return False


def check_sequence(x, name):
    """Generated code reads ``for e in x`` as ``x[0], x[1], ...``: right for
    lists, tuples, arrays and ranges, not for what Python iterates otherwise
    (a dict's keys, a set, an iterator); see ``normalise.desugar_for``."""
    if isinstance(x, (dict, set, frozenset)) or not hasattr(x, "__getitem__") or \
            not hasattr(x, "__len__"):
        from srcgrad.errors import UnsupportedError
        raise UnsupportedError(
            f"the loop over {name!r} was differentiated for a sequence (list, tuple, array), "
            f"but {name!r} is a {type(x).__name__}",
            hint=f"iterate over {name}.keys() for a dict's keys" if isinstance(x, dict)
            else "pass a list, tuple or array")

# -- containers: lists, tuples, dicts, named tuples, dataclasses, objects ------
#
# The adjoint (or tangent) of a list or tuple is an ``Adjoints`` (one entry per
# element), of a dict or of an object's attributes an ``AdjointDict`` (a
# missing key is a zero).  Both add element by element.  ``restructure`` turns
# them into the caller's structure at the end.


class Adjoints(list):
    """The adjoint of a tuple or list of values: one adjoint per element.
    Adding two adds them element by element (not concatenation); a number
    (the symbolic zero ``0.0``) adds nothing."""

    def __add__(self, other):
        if not isinstance(other, (list, tuple)):
            return Adjoints(self)
        if len(other) != len(self):
            raise _lengths_differ(len(self), len(other))
        return Adjoints(a + b for a, b in zip(self, other))

    __radd__ = __add__

    def __iadd__(self, other):
        if isinstance(other, (list, tuple)):
            if len(other) != len(self):
                raise _lengths_differ(len(self), len(other))
            for i, b in enumerate(other):
                self[i] = self[i] + b
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
                out[k] = out[k] + v
        return out

    __radd__ = __add__

    def __iadd__(self, other):
        if isinstance(other, dict):
            for k, v in other.items():
                self[k] = self[k] + v
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


def _is_record(x):
    """A dataclass instance or a plain object with attributes (not a number,
    string or array)."""
    return hasattr(x, "__dict__") and not isinstance(x, (np.ndarray, np.generic, type)) \
        and not callable(x)


def add_item(d, x, key, v):
    """``d[key] += v`` for the adjoint ``d`` of the container ``x`` (made
    if ``d`` is the symbolic zero); the element is rebound, never updated in
    place, since element adjoints may be shared.  Arrays go to ``add_at``."""
    if type(d) is float:
        d = zeros_like(x)
    if isinstance(d, (list, dict)):
        d[key] = d[key] + v
        return d
    return add_at(d, x, key, v)


def add_attr(d, x, name, v):
    """Accumulate ``v`` into the adjoint ``d`` of attribute ``name`` of
    ``x`` (a named tuple's adjoint is positional)."""
    if type(d) is float:
        d = zeros_like(x)
    if isinstance(d, list):
        i = type(x)._fields.index(name)
        d[i] = d[i] + v
    else:
        d[name] = d[name] + v
    return d


def attr_tangent(t, name):
    """The tangent of ``x.name`` from the tangent ``t`` of ``x`` (an object of
    ``x``'s type, or a dict of attribute tangents)."""
    if isinstance(t, dict):
        return t[name] if name in t or isinstance(t, AdjointDict) else 0.0
    if type(t) is float:
        return 0.0
    return getattr(t, name)


_MISSING = object()


def save_item(x, key):
    """What ``x[key] = ...`` overwrites in a list or dict (a marker when
    the key is new)."""
    if isinstance(x, dict) and key not in x:
        return _MISSING
    return x[key]


def restore_item(x, key, saved):
    """Undo ``x[key] = ...`` on a list or dict."""
    if saved is _MISSING:
        del x[key]
    else:
        x[key] = saved


def _position(n, index):
    """Where ``pop(index)`` took an element from, given the length ``n``
    left after it."""
    if index is None:
        return n
    return index if index >= 0 else n + 1 + index


def unpop(x, index, value):
    """Undo ``x.pop(index)`` (``index`` None: ``x.pop()``)."""
    if isinstance(x, dict):
        x[index] = value
    else:
        x.insert(_position(len(x), index), value)


def unpop_adjoint(d, index):
    """Reverse of ``x.pop(index)`` on the adjoint ``d`` of ``x``: the removed
    element is back, with a zero adjoint (its value's adjoint flowed through
    the read ``x[index]`` that the pop was split into)."""
    if isinstance(d, dict):
        d.pop(index, None)
    else:
        d.insert(_position(len(d), index), 0.0)
    return d


def sum_dx(g, iterable):
    """Adjoint of the iterable in ``sum(iterable)``: ``g`` for each element
    of a list or tuple (reduced to its shape), ``g`` for each row of an
    array, nothing for the keys of a dict."""
    if isinstance(iterable, (list, tuple)):     # one new adjoint each: never shared
        return Adjoints(_own(unbroadcast(g, e)) for e in iterable)
    if isinstance(iterable, dict):
        return AdjointDict()
    return np.array(np.broadcast_to(g, np.shape(iterable)), dtype=np.result_type(g, float))


def _own(g):
    return g.copy() if type(g) is np.ndarray else g


def _extreme_index(iterable, ans):
    for i, e in enumerate(iterable):
        if e is ans or e == ans:
            return i
    return 0


def seq_extreme_dx(g, iterable, ans):
    """Adjoint of the sequence in ``max(seq)`` / ``min(seq)``: ``g`` for the
    element returned (the first extreme one, as Python returns it)."""
    out = Adjoints([0.0] * len(iterable))
    if len(out):
        out[_extreme_index(iterable, ans)] = g
    return out


def seq_extreme_tangent(t, iterable, ans):
    """Tangent of ``max(seq)`` / ``min(seq)``: the tangent of the element
    returned."""
    return t[_extreme_index(iterable, ans)]


def _added(x, y):
    """How ``x + y`` of a list (tuple) ``x`` or ``y`` adds: ``"concat"`` (two
    lists or tuples), ``"items"`` (an ``Adjoints``, which adds element by
    element) or ``"numpy"`` (a list and an array: NumPy's addition)."""
    if isinstance(x, Adjoints) or isinstance(y, Adjoints):
        return "items"
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
        return "concat"
    return "numpy"


def concat_dx(g, x, y, which):
    """Adjoint of ``x`` (``which`` 0) or ``y`` (1) in ``x + y`` of two lists or
    tuples: its part of ``g``.  (A list plus an array, or an ``Adjoints``,
    adds element by element: the adjoint is ``g`` itself, summed to the
    operand's shape.)"""
    kind = _added(x, y)
    own = x if which == 0 else y
    if kind == "numpy":
        return unbroadcast(np.asarray(g, dtype=float), own)
    if kind == "items":
        return Adjoints(g) if isinstance(own, (list, tuple)) else 0.0
    n = len(x)
    return Adjoints(g[:n] if which == 0 else g[n:])


def concat_tangent(t, x, y, which):
    """Tangent of ``x + y`` (lists or tuples) from the tangent ``t`` of ``x``
    (``which`` 0) or ``y`` (1); the other part is zero.  (A list plus an
    array, or an ``Adjoints``, adds element by element: the tangent is ``t``
    itself, broadcast to the result.)"""
    kind = _added(x, y)
    if kind == "numpy":
        shape = np.broadcast_shapes(np.shape(x), np.shape(y))
        return np.broadcast_to(np.asarray(t, dtype=float), shape).copy()
    if kind == "items":
        own, other = (x, y) if which == 0 else (y, x)
        if isinstance(own, (list, tuple)):
            return Adjoints(t)
        return Adjoints(zeros_like(e) for e in other)
    if which == 0:
        return Adjoints(list(t) + [zeros_like(e) for e in y])
    return Adjoints([zeros_like(e) for e in x] + list(t))


def list_dx(g, iterable):
    """Adjoint of the argument of ``list(iterable)`` / ``tuple(iterable)``."""
    if isinstance(iterable, (list, tuple)):
        return Adjoints(g)
    if isinstance(iterable, dict):
        return AdjointDict()        # the keys carry no derivative
    shape = np.shape(iterable)
    return np.array([np.broadcast_to(e, shape[1:]) for e in g], dtype=float).reshape(shape)


def list_tangent(t, iterable):
    """Tangent of ``list(iterable)`` / ``tuple(iterable)``."""
    if isinstance(iterable, dict):
        return Adjoints([0.0] * len(iterable))
    return Adjoints(t)


def shallow_copy(x):
    """``x.copy()`` of a list or dict (and what its adjoint and tangent are)."""
    return x.copy()


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
    if isinstance(like, tuple):
        parts = [restructure(_part(g, i), e) for i, e in enumerate(like)]
        if hasattr(like, "_fields"):
            return t._make(parts)
        return tuple(parts) if t is tuple else t(parts)
    if isinstance(like, list):
        parts = [restructure(_part(g, i), e) for i, e in enumerate(like)]
        return parts if t is list else t(parts)
    if isinstance(like, dict):
        out = {k: restructure(_key(g, k), v) for k, v in like.items()}
        if t is dict:
            return out
        new = like.copy()
        new.update(out)
        return new
    if isinstance(like, (bool, np.bool_, str, bytes)) or like is None:
        return None
    if isinstance(like, (float, int, np.floating, np.integer)):
        return restructure(g, float(like))
    if _is_record(like):
        import dataclasses
        new = object.__new__(t)
        if dataclasses.is_dataclass(like):
            names = [f.name for f in dataclasses.fields(like)]
        else:
            names = list(vars(like))
        for name in names:
            object.__setattr__(new, name, restructure(_key(g, name), getattr(like, name)))
        return new
    return None


def _part(g, i):
    if isinstance(g, (list, tuple, np.ndarray)):
        return g[i]
    if isinstance(g, dict):
        return g.get(i, 0.0)
    return 0.0


def _key(g, k):
    if isinstance(g, dict):
        return g.get(k, 0.0)
    return 0.0


def as_adjoint(c):
    """A cotangent given by the caller (tuples, lists, dicts, named tuples,
    dataclasses of arrays and numbers) as adjoints the generated code can
    add and update (the caller's objects are never changed)."""
    if isinstance(c, (list, tuple)):
        return Adjoints(as_adjoint(e) for e in c)
    if isinstance(c, dict):
        return AdjointDict((k, as_adjoint(v)) for k, v in c.items())
    if _is_record(c):
        return AdjointDict((k, as_adjoint(v)) for k, v in vars(c).items())
    return c


# -- types at the boundary ---------------------------------------------------
#
# A derivative is taken with respect to floats, floating-point arrays and
# containers of them; anything else named in ``wrt`` is refused when the
# generated function is called (``check_argument``, first thing in the
# function), never coerced.  On the way out, each derivative gets the type of
# what it is the derivative of (``like_argument``, ``like_value``): the
# argument's floating dtype (a float32 array gets a float32 gradient), its
# container type; a complex derivative of a real argument is refused
# (complex numbers are not supported yet).  Both return at once for the
# common case (a float, a float64 array).


def check_argument(x, name):
    """Refuse argument ``name`` (named in ``wrt``) unless it is a float, a
    floating-point array or scalar, or a container whose leaves are not
    complex."""
    t = type(x)
    if t is float or t is np.ndarray and x.dtype.kind == "f":
        return
    _check_argument(x, name, name)


def _type_name(x):
    if isinstance(x, np.ndarray):
        return f"an array of dtype {x.dtype}"
    if isinstance(x, np.generic):
        return f"a NumPy {type(x).__name__}"
    if x is None:
        return "None"
    name = type(x).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _complex_argument(name, where, x):
    what = f"'{name}'" if where == name else f"'{name}' ({where} is {_type_name(x)})"
    return (f"cannot differentiate with respect to {what}: complex numbers are not supported "
            f"yet\n  hint: pass the real and imaginary parts as separate float arguments")


def _check_argument(x, name, where, top=True):
    from srcgrad.errors import ArgumentTypeError
    if isinstance(x, (float, np.floating)):
        return
    if isinstance(x, np.ndarray):
        kind = x.dtype.kind
        if kind == "f":
            return
        if kind == "c":
            raise ArgumentTypeError(_complex_argument(name, where, x))
        if top:
            raise ArgumentTypeError(
                f"cannot differentiate with respect to '{name}': it is {_type_name(x)}, not "
                f"floating point\n  hint: pass {name}.astype(float) to differentiate with respect "
                f"to it, or differentiate with respect to another argument (wrt=...)")
        return                     # an integer array in a container: a number (see docs/modes.md)
    if isinstance(x, (complex, np.complexfloating)):
        raise ArgumentTypeError(_complex_argument(name, where, x))
    if isinstance(x, (list, tuple)):
        for i, e in enumerate(x):
            _check_argument(e, name, f"{where}[{i}]", False)
        return
    if isinstance(x, dict):
        for k, e in x.items():
            _check_argument(e, name, f"{where}[{k!r}]", False)
        return
    if _is_record(x) and not isinstance(x, type(np)):          # (a module is no record)
        for k, e in vars(x).items():
            _check_argument(e, name, f"{where}.{k}", False)
        return
    if not top:
        return                     # other leaves (str, None, bool, int) carry no derivative
    if isinstance(x, (bool, np.bool_)):
        hint = "differentiate with respect to another argument (wrt=...)"
    elif isinstance(x, (int, np.integer)):
        hint = (f"pass a float ({float(x)!r} instead of {x!r}) to differentiate with respect to "
                f"'{name}', or differentiate with respect to another argument (wrt=...)")
    else:
        hint = ("pass a float (f(3.0)) or a float array, or differentiate with respect to "
                "another argument (wrt=...)")
    raise ArgumentTypeError(f"cannot differentiate with respect to '{name}': it is "
                            f"{_type_name(x)} ({x!r:.60}), not a float, a float array or a "
                            f"container of them\n  hint: {hint}")


def like_argument(d, x, name):
    """The derivative ``d`` with respect to argument ``x`` (a gradient, a
    ``H v``), with ``x``'s type: its floating dtype (a float32 array or
    scalar gets a float32 one), its container type.  A complex ``d`` is
    refused (complex numbers are not supported yet)."""
    t = type(x)
    if t is float:
        if type(d) is float or type(d) is np.float64:
            return d
    elif t is np.ndarray:
        if type(d) is np.ndarray and (d.dtype is x.dtype or d.dtype == x.dtype):
            return d
    return _like_argument(d, x, name)


def _complex_result(what):
    from srcgrad.errors import UnsupportedError
    return UnsupportedError(
        f"{what} is complex: complex numbers are not supported yet (a complex constant, "
        f"argument or global, or a negative number raised to a fractional power with Python "
        f"floats, made a value complex on the way)\n  hint: keep the computation real, or "
        f"use float arrays (NumPy gives nan for a negative number to a fractional power)")


def _like_argument(d, x, name):
    if d is None:
        return d
    if isinstance(d, (complex, np.complexfloating)) or \
            isinstance(d, np.ndarray) and d.dtype.kind == "c":
        raise _complex_result(f"the derivative with respect to '{name}'")
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        if isinstance(d, np.ndarray) and d.dtype != x.dtype and d.shape == x.shape:
            return d.astype(x.dtype)
        if not isinstance(d, np.ndarray) and np.shape(d) == x.shape:
            return np.asarray(d, dtype=x.dtype)
        if type(d) in (float, np.float64) and d == 0.0 and x.ndim > 0:
            # the symbolic zero (an object's field no derivative reached: d_st['v'])
            return np.zeros(x.shape, x.dtype)
        return d
    if isinstance(x, np.floating):
        if type(d) is not type(x) and np.ndim(d) == 0 and \
                isinstance(d, (float, int, np.floating, np.integer, np.ndarray)):
            return type(x)(d)
        return d
    if isinstance(x, float):
        if isinstance(d, float):
            return d
        if isinstance(d, (int, np.floating, np.integer)) or \
                isinstance(d, np.ndarray) and d.ndim == 0:
            return float(d)
        return d
    if isinstance(x, (list, tuple, dict)) or _is_record(x):
        if type(d) is not type(x):         # Adjoints, AdjointDict
            d = restructure(d, x)          # the container type of the argument
        return _like_container(d, x, name)
    return d


def _like_container(d, x, name):
    """``d`` (a derivative in the structure of container ``x``) with each
    leaf like ``x``'s; a new container only where a leaf changed."""
    if isinstance(x, (list, tuple)) and isinstance(d, (list, tuple)) and len(d) == len(x):
        parts = [_like_argument(a, b, f"{name}[{i}]") for i, (a, b) in enumerate(zip(d, x))]
        if all(p is a for p, a in zip(parts, d)):
            return d
        if hasattr(d, "_fields"):
            return type(d)._make(parts)
        return type(d)(parts) if type(d) in (list, tuple) else restructure(parts, x)
    if isinstance(x, dict) and isinstance(d, dict):
        out = None
        for k, a in d.items():
            if k in x:
                p = _like_argument(a, x[k], f"{name}[{k!r}]")
                if p is not a:
                    if out is None:
                        out = d.copy()
                    out[k] = p
        return d if out is None else out
    if _is_record(x) and _is_record(d):
        out = None
        for k, a in vars(d).items():
            if hasattr(x, k):
                p = _like_argument(a, getattr(x, k), f"{name}.{k}")
                if p is not a:
                    if out is None:
                        import copy
                        out = copy.copy(d)
                    object.__setattr__(out, k, p)
        return d if out is None else out
    return d


def like_value(t, value):
    """The tangent ``t`` of the result ``value`` (``jvp``), with the
    floating dtype of ``value``; a complex tangent is refused (complex
    numbers are not supported yet)."""
    tt = type(t)
    if tt is float or tt is np.float64 and (type(value) is np.float64 or type(value) is float):
        return t
    if tt is np.ndarray and type(value) is np.ndarray and \
            (t.dtype is value.dtype or t.dtype == value.dtype):
        return t
    return _like_value(t, value)


def like_arguments(ds, xs, names):
    """:func:`like_argument` for a tuple of derivatives."""
    return tuple(like_argument(d, x, n) for d, x, n in zip(ds, xs, names))


def _like_value(t, value):
    if isinstance(t, (complex, np.complexfloating)) or \
            isinstance(t, np.ndarray) and t.dtype.kind == "c":
        raise _complex_result("the tangent of the result")
    if isinstance(t, (list, tuple)) and isinstance(value, (list, tuple)) and len(t) == len(value):
        parts = [_like_value(a, b) for a, b in zip(t, value)]
        if all(p is a for p, a in zip(parts, t)):
            return t
        return type(t)._make(parts) if hasattr(t, "_fields") else \
            type(t)(parts) if type(t) in (list, tuple) else parts
    if isinstance(t, dict) and isinstance(value, dict):
        for a in t.values():
            if isinstance(a, (complex, np.complexfloating)) or \
                    isinstance(a, np.ndarray) and a.dtype.kind == "c":
                raise _complex_result("the tangent of the result")
        return t
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.kind == "f" and np.shape(t) == np.shape(value) and \
            isinstance(t, (np.ndarray, np.generic, float, int)) and \
            getattr(t, "dtype", None) != dtype:
        return np.asarray(t, dtype=dtype) if isinstance(value, np.ndarray) else dtype.type(t)
    return t


def check_real(x, name):
    """Refuse a complex argument ``name`` that is not differentiated but
    reaches a differentiated operation (complex numbers are not supported
    yet); any other value passes."""
    t = type(x)
    if t is float or t is int or t is np.ndarray and x.dtype.kind != "c":
        return
    if isinstance(x, (complex, np.complexfloating)) or \
            isinstance(x, np.ndarray) and x.dtype.kind == "c":
        from srcgrad.errors import ArgumentTypeError
        raise ArgumentTypeError(
            f"argument '{name}' is {_type_name(x)} and the derivative depends on it: complex "
            f"numbers are not supported yet\n  hint: keep the computation real")

# ---------------------------------------------------------------------------
# Iterators and dict views as containers: ``enumerate``, ``zip``, ``reversed``,
# ``dict.get``, ``dict.values``, ``dict.items``.  The adjoint (tangent) of an
# iterator is the list of the adjoints (tangents) of the items it yields; the
# helpers never iterate an iterator argument (it is consumed by the primal),
# they read the argument only for its type, length and shape.

from collections.abc import Iterator as _Iterator, Mapping as _Mapping  # noqa: E402


def _sized(x):
    return hasattr(x, "__len__") and not isinstance(x, _Iterator)


def seq_adjoint(parts, like):
    """The adjoint of the sequence ``like`` whose items have the adjoints
    ``parts`` (a list, possibly shorter than ``like``: missing items are
    zeros): an array for an array, one adjoint per item for a list or tuple,
    nothing for the keys of a dict, the list itself for an iterator."""
    parts = list(parts)
    if isinstance(like, _Mapping):
        return AdjointDict()                # the keys carry no derivative
    if isinstance(like, np.ndarray):
        out = zeros_like(like)
        if out.ndim == 0:
            raise TypeError("srcgrad: iteration over a 0-d array")
        for i, p in enumerate(parts[:len(out)]):
            if not (type(p) is float and p == 0.0):
                out[i] += p
        return out
    if _sized(like):
        parts = parts[:len(like)] + [0.0] * (len(like) - len(parts))
    return Adjoints(parts)


def seq_items(t, like):
    """The tangents of the items of the sequence ``like`` from its tangent
    ``t`` (an array, a list of tangents, or the zero 0.0)."""
    if isinstance(like, _Mapping):
        return [0.0] * len(like)
    if type(t) is float and t == 0.0:
        return [0.0] * len(like) if _sized(like) else []
    return list(t)


def iter_list_dx(g, iterable):
    """Adjoint of the argument of ``list(iterable)`` / ``tuple(iterable)``."""
    return seq_adjoint(_parts(g), iterable)


def iter_list_tangent(t, iterable, ans):
    """Tangent of ``list(iterable)`` / ``tuple(iterable)``: one per item of
    the result ``ans``."""
    return Adjoints(seq_items(t, iterable)[:len(ans)])


def _parts(g):
    if isinstance(g, (list, tuple)):
        return list(g)
    if type(g) is float and g == 0.0:
        return []
    return list(g)


def enumerate_dx(g, iterable):
    """Adjoint of the iterable in ``enumerate(iterable)``: the second part of
    each pair's adjoint."""
    return seq_adjoint([_part(p, 1) for p in _parts(g)], iterable)


def enumerate_tangent(t, iterable):
    """Tangent of ``enumerate(iterable)``: pairs (0.0, tangent of the item)."""
    return Adjoints(Adjoints([0.0, e]) for e in seq_items(t, iterable))


def zip_dx(g, which, *iterables):
    """Adjoint of iterable number ``which`` in ``zip(*iterables)``: that part
    of each tuple's adjoint."""
    return seq_adjoint([_part(p, which) for p in _parts(g)], iterables[which])


def zip_tangent(t, which, *iterables):
    """Tangent of ``zip(*iterables)`` from the tangent ``t`` of iterable
    ``which``: tuples of zeros with that item's tangent in place ``which``."""
    items = seq_items(t, iterables[which])
    n = min([len(items)] + [len(x) for x in iterables if _sized(x)])
    return Adjoints(Adjoints([0.0] * which + [e] + [0.0] * (len(iterables) - which - 1))
                    for e in items[:n])


def reversed_dx(g, seq):
    """Adjoint of the sequence in ``reversed(seq)``."""
    return seq_adjoint(_parts(g)[::-1], seq)


def reversed_tangent(t, seq):
    """Tangent of ``reversed(seq)``."""
    return Adjoints(seq_items(t, seq)[::-1])


def _mapping(x, what):
    if not isinstance(x, _Mapping):
        raise _unsupported(f"{what} was differentiated as the method of a dict, but it was "
                           f"called on a {type(x).__name__}",
                           hint="srcgrad knows the methods of dicts and lists only")


def get_dx(g, x, key):
    """Adjoint of the dict ``x`` in ``x.get(key, default)``."""
    _mapping(x, ".get")
    out = AdjointDict()
    if key in x:
        out[key] = g
    return out


def get_default_dx(g, x, key, default):
    """Adjoint of ``default`` in ``x.get(key, default)``."""
    _mapping(x, ".get")
    return zeros_like(default) if key in x else g


def get_tangent(t, x, key, ans):
    """Tangent of ``x.get(key, default)`` from the tangent ``t`` of ``x``."""
    _mapping(x, ".get")
    if key not in x or type(t) is float:
        return zeros_like(ans)
    if isinstance(t, AdjointDict) or key in t:
        return t[key]
    return zeros_like(ans)


def get_default_tangent(t, x, key, ans):
    """Tangent of ``x.get(key, default)`` from the tangent ``t`` of ``default``."""
    _mapping(x, ".get")
    return zeros_like(ans) if key in x else t


def values_dx(g, x):
    """Adjoint of the dict ``x`` in ``x.values()``."""
    _mapping(x, ".values")
    return AdjointDict(zip(x, _parts(g)))


def values_tangent(t, x):
    """Tangent of ``x.values()`` from the tangent ``t`` of the dict ``x``."""
    _mapping(x, ".values")
    return Adjoints(_key(t, k) if type(t) is not float else 0.0 for k in x)


def items_dx(g, x):
    """Adjoint of the dict ``x`` in ``x.items()``."""
    _mapping(x, ".items")
    return AdjointDict(zip(x, (_part(p, 1) for p in _parts(g))))


def items_tangent(t, x):
    """Tangent of ``x.items()`` from the tangent ``t`` of the dict ``x``."""
    _mapping(x, ".items")
    return Adjoints(Adjoints([0.0, _key(t, k) if type(t) is not float else 0.0]) for k in x)


def view_sum_dx(g, view):
    """Adjoint of the dict view in ``sum(d.values())``: ``g`` for each item."""
    return Adjoints(_own(unbroadcast(g, e)) for e in view)


# ---------------------------------------------------------------------------
# Array constructions differentiable in their values: linspace, arange, full,
# full_like, bincount.  A result of an integer dtype is piecewise constant: its
# derivative is zero.

def _float_result(dtype, default=float):
    dt = np.dtype(default if dtype is None else dtype)
    return np.issubdtype(dt, np.inexact)


def _linspace_weights(num, endpoint):
    """``linspace(a, b, num)`` is ``a + (b - a) * w``: the weights ``w``."""
    num = operator_index(num)
    if num <= 1:
        return np.zeros(max(num, 0))
    return np.arange(num) / (num - 1 if endpoint else num)


def operator_index(n):
    import operator
    return operator.index(n)


def linspace_dx(g, start, stop, num=50, endpoint=True, dtype=None, axis=0, which=0):
    """Adjoint of ``start`` (``which`` 0) or ``stop`` (1) in
    ``np.linspace(start, stop, num, endpoint, axis=axis)``."""
    x = start if which == 0 else stop
    if not _float_result(dtype, np.result_type(start, stop, float)) or type(g) is float:
        return zeros_like(x) if type(g) is not float else 0.0
    w = _linspace_weights(num, endpoint)
    if which == 0:
        w = 1.0 - w
    gm = np.moveaxis(np.asarray(g), axis, 0)
    return unbroadcast(np.tensordot(w, gm, axes=(0, 0)), x)


def linspace_tangent(t, start, stop, num=50, endpoint=True, dtype=None, axis=0, which=0,
                     ans=None):
    """Tangent of ``np.linspace(start, stop, ...)`` from the tangent ``t`` of
    ``start`` (``which`` 0) or ``stop`` (1)."""
    if not np.issubdtype(np.asarray(ans).dtype, np.inexact):
        return zeros_like(ans)
    w = _linspace_weights(num, endpoint)
    if which == 0:
        w = 1.0 - w
    rest = np.moveaxis(ans, axis, 0).shape[1:]
    out = w.reshape((-1,) + (1,) * len(rest)) * np.broadcast_to(t, rest)
    return np.moveaxis(out, 0, axis).astype(ans.dtype, copy=False)


def arange_dx(g, start, stop=None, step=1, dtype=None, which=0):
    """Adjoint of ``start`` (``which`` 0) or ``step`` (2) in
    ``np.arange(start, stop, step)``: the number of values is piecewise
    constant, value ``k`` is ``start + k * step``."""
    x = start if which == 0 else step
    if type(g) is float or which == 0 and stop is None or \
            not _float_result(dtype, np.result_type(start, stop if stop is not None else 0,
                                                    step)):
        return zeros_like(x)
    g = np.asarray(g)
    d = np.sum(g) if which == 0 else np.sum(g * np.arange(g.shape[0]))
    return unbroadcast(d, x)


def arange_tangent(t, start, stop=None, step=1, which=0, ans=None):
    """Tangent of ``np.arange(start, stop, step)`` from the tangent ``t`` of
    ``start`` (``which`` 0) or ``step`` (2)."""
    if which == 0 and stop is None or not np.issubdtype(ans.dtype, np.inexact):
        return zeros_like(ans)
    k = np.ones(ans.shape) if which == 0 else np.arange(ans.shape[0], dtype=float)
    return (k * t).astype(ans.dtype, copy=False)


def full_dx(g, fill_value, like_dtype=None, dtype=None):
    """Adjoint of ``fill_value`` in ``np.full(shape, fill_value)`` /
    ``np.full_like(a, fill_value)`` (``like_dtype``: the dtype of ``a``)."""
    default = like_dtype if like_dtype is not None else np.result_type(fill_value)
    if type(g) is float:
        return 0.0 if np.ndim(fill_value) == 0 else zeros_like(fill_value)
    if not _float_result(dtype, default):
        return zeros_like(fill_value)
    return unbroadcast(g, fill_value)


def full_tangent(t, ans):
    """Tangent of ``np.full(shape, fill_value)`` / ``np.full_like(a, fill_value)``
    from the tangent ``t`` of ``fill_value``."""
    if not np.issubdtype(ans.dtype, np.inexact):
        return zeros_like(ans)
    return np.array(np.broadcast_to(t, ans.shape), dtype=ans.dtype)


def dtype_of(a):
    """The dtype of ``a`` (an array or a number)."""
    return np.asarray(a).dtype


def bincount_dw(g, x, weights):
    """Adjoint of ``weights`` in ``np.bincount(x, weights)``."""
    if type(g) is float:
        return zeros_like(weights)
    return unbroadcast(np.asarray(g)[np.asarray(x)], weights)


# ---------------------------------------------------------------------------
# np.r_[a, b, ...] (concatenation along the first axis, scalars as 1-element
# arrays) and np.c_[a, b, ...] (along the last axis, 1-d arrays as columns)

def _index_concat_item(e, kind):
    a = np.asarray(e)
    if kind == "r":
        return np.atleast_1d(a)
    if a.ndim == 0:
        return a.reshape(1, 1)
    return a[:, None] if a.ndim == 1 else a


def index_concat_dx(g, kind, which, *items):
    """Adjoint of item ``which`` of ``np.r_[items]`` (``kind`` "r") or
    ``np.c_[items]`` ("c")."""
    x = items[which]
    if type(g) is float:
        return zeros_like(x)
    axis = 0 if kind == "r" else -1
    widths = [_index_concat_item(e, kind).shape[axis] for e in items]
    start = sum(widths[:which])
    part = np.take(np.asarray(g), np.arange(start, start + widths[which]), axis=axis)
    part = part.reshape(np.shape(x))
    return float(part) if type(x) in _SCALARS else part


def index_concat_tangent(t, kind, which, *items):
    """Tangent of ``np.r_[items]`` / ``np.c_[items]`` from the tangent ``t``
    of item ``which`` (the others are constants)."""
    parts = [np.zeros(np.shape(e)) for e in items]
    parts[which] = np.broadcast_to(t, np.shape(items[which]))
    return np.r_[tuple(parts)] if kind == "r" else np.c_[tuple(parts)]


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


def add_item_dv(g, key, v):
    """Adjoint of ``v`` in ``add_item(d, x, key, v)`` from the adjoint ``g``
    of its result: the part of ``g`` at ``key``."""
    if isinstance(g, dict):
        return g.get(key, 0.0)
    if isinstance(g, list):
        return g[key]
    if type(g) is float:
        return 0.0
    return unbroadcast(np.asarray(g)[key], v)


# -- element writes into a value that may be a list or an array ---------------------


def own(v):
    """``v`` itself, or a copy if it is an array (what ``x[key] = ...``
    overwrites, saved before the write: a slice of an array is a view)."""
    return v.copy() if type(v) is np.ndarray else v


def item_adjoint(d, key, v):
    """Adjoint of ``v`` in ``x[key] = v`` from the adjoint ``d`` of ``x``
    after the write, ``x`` a list or an array: the list element's adjoint,
    or the written elements' adjoints (a copy, summed down to ``v``'s
    shape where ``v`` was broadcast)."""
    if isinstance(d, np.ndarray):
        return unbroadcast(written_adjoint(d, key), v)
    return d[key]


def item_adjoint_t(g, d, key, v):
    """The transpose of :func:`item_adjoint` in ``d``."""
    if isinstance(d, np.ndarray):
        from srcgrad.runtime.forward import rebroadcast, written_adjoint_t
        return written_adjoint_t(rebroadcast(g, written_adjoint(d, key)), d, key)
    return add_item(0.0, d, key, g)


def sum_dx_t(h, g, iterable):
    """The transpose of :func:`sum_dx` in ``g``: the adjoints ``h`` of the
    elements summed back (each reduced to ``g``'s shape)."""
    from srcgrad.runtime.forward import rebroadcast
    if isinstance(iterable, (list, tuple)):
        total = 0.0
        for hk in h:
            total = total + rebroadcast(hk, g)
        return total
    if isinstance(iterable, dict):
        return zeros_like(g)
    return unbroadcast(h, g)


def _dense(g, like):
    if isinstance(like, (list, tuple)):
        return [_dense(_part(g, i), e) for i, e in enumerate(like)]
    return np.broadcast_to(np.asarray(g, dtype=float), np.shape(like))


def array_dx_t(g, a, obj, dtype=None):
    """Adjoint of ``a`` in ``array_dx(a, obj, dtype)``: the parts of ``g``
    stacked back into an array of the shape of ``a``."""
    if isinstance(obj, (list, tuple)):
        return np.reshape(np.array(_dense(g, obj), dtype=float), np.shape(a))
    return astype_dx(g, a, None)


def _sorted_order(iterable, key=None, reverse=False):
    """The positions of the items of ``iterable`` in ``sorted(iterable, key=key,
    reverse=reverse)`` order (Python's sort is stable, and so is this)."""
    if isinstance(iterable, _Iterator) or not _sized(iterable):
        raise _unsupported("sorted(...) of an iterator is not differentiated",
                           hint="sort a list or an array: sorted(list(...))")
    items = list(iterable)
    k = (lambda i: items[i]) if key is None else (lambda i: key(items[i]))
    return sorted(range(len(items)), key=k, reverse=reverse)


def sorted_dx(g, iterable, key=None, reverse=False):
    """Adjoint of the iterable in ``sorted(iterable, key=..., reverse=...)``:
    each item's adjoint goes back to where the item came from."""
    order = _sorted_order(iterable, key, reverse)
    parts = _parts(g)
    back = [0.0] * len(order)
    for j, i in enumerate(order):
        if j < len(parts):
            back[i] = parts[j]
    return seq_adjoint(back, iterable)


def sorted_tangent(t, iterable, key=None, reverse=False):
    """Tangent of ``sorted(iterable, ...)``: the items' tangents in sorted order."""
    order = _sorted_order(iterable, key, reverse)
    items = seq_items(t, iterable)
    return Adjoints(items[i] for i in order)

def restructure_t(h, a):
    """The transpose of :func:`restructure` in the adjoint ``a``."""
    if isinstance(h, (list, tuple, dict)) or _is_record(h):
        return as_adjoint(h)
    from srcgrad.runtime.forward import rebroadcast
    return rebroadcast(h, a)


def is_view(value, array):
    """Whether ``value`` (made as ``array[index]``) is a view of ``array``'s
    memory, so that it changes with ``array``.  An array held in a list, a
    tuple or a dict is that container's element itself, shared with whoever
    made the container (the caller): writing into it is refused."""
    if type(value) is np.ndarray and isinstance(array, (list, tuple, dict)):
        raise _unsupported("an array read out of a list, tuple or dict is written in place "
                           "(the container, maybe the caller's, would change with it)",
                           hint="write into a copy: a = xs[0].copy(); a[1] = y")
    return type(value) is np.ndarray and isinstance(array, np.ndarray) and \
        np.may_share_memory(value, array)

# -- soundness (issue #10): run-time refusals, kinks, sequences ----------------


def _unsupported(message, hint=None):
    """The error for a derivative srcgrad does not know, found at run time
    (the arguments that decide it were not constants in the source)."""
    from srcgrad.errors import UnsupportedError
    return UnsupportedError("srcgrad: " + message + (f" ({hint})" if hint else ""))


def _lengths_differ(n, m):
    return _unsupported(f"adding the adjoints of sequences of lengths {n} and {m}: a list "
                        f"changed its length where srcgrad assumed it did not",
                        hint="build lists of one length on every path, or use arrays")


def svd_unsupported():
    """``(message, hint)``: np.linalg.svd with U and V is not differentiated."""
    return ("np.linalg.svd is differentiated for the singular values only",
            "call np.linalg.svd(a, compute_uv=False) or np.linalg.svdvals(a)")


def pad_unsupported(mode, reflect_type="even"):
    """``(message, hint)`` when ``np.pad`` with ``mode`` is not
    differentiated, else None."""
    hint = ("pad with mode 'constant', 'edge', 'reflect', 'symmetric', 'wrap' or 'mean' "
            "(reflect_type 'even' or 'odd')")
    if not isinstance(mode, str) or \
            mode not in ("constant", "edge", "reflect", "symmetric", "wrap", "mean"):
        return f"no derivative of np.pad with mode={mode!r}", hint
    if reflect_type not in ("even", "odd"):
        return f"no derivative of np.pad with reflect_type={reflect_type!r}", hint
    return None


def pad_tangent(t, pad_width, mode="constant", stat_length=None, reflect_type="even"):
    """Tangent of ``array`` in ``np.pad(array, pad_width, mode)`` (the
    linear modes: constants pad with zeros, the others pad ``t`` alike)."""
    problem = pad_unsupported(mode, reflect_type)
    if problem:
        raise _unsupported(*problem)
    if mode == "constant":
        return np.pad(t, pad_width)
    if mode == "mean":
        return np.pad(t, pad_width, mode, stat_length=stat_length)
    if mode in ("reflect", "symmetric"):
        return np.pad(t, pad_width, mode, reflect_type=reflect_type)
    return np.pad(t, pad_width, mode)


def pad_values_dx(g, array, pad_width, constant_values):
    """Adjoint of ``constant_values`` in ``np.pad(array, pad_width,
    constant_values=...)``: the padding is affine in them, so each gets the
    sum of ``g`` where its value is written (a map with at most
    ``2 * ndim`` inputs, taken one unit value at a time)."""
    nd = np.ndim(array)
    pairs = np.zeros((nd, 2))
    out = np.zeros((nd, 2))
    base = np.zeros(np.shape(array))
    for i in range(nd):
        for j in range(2):
            pairs[i, j] = 1.0
            out[i, j] = np.sum(g * np.pad(base, pad_width, constant_values=pairs))
            pairs[i, j] = 0.0
    return unbroadcast(_as_value_pairs(out, constant_values, nd), constant_values)


def _as_value_pairs(d, values, nd):
    """``d`` (one number per axis and side) summed back to the form in which
    ``values`` was given (a number, ``(v,)``, ``(before, after)``, pairs)."""
    shape = np.shape(values)
    if len(shape) == 2 and shape == (2, 1) and nd != 2:
        return d.sum(axis=0).reshape(2, 1)
    if np.size(values) == 2 and shape != (2, 1):
        return np.sum(d, axis=0).reshape(shape)
    return d


def pad_values_tangent(t, array, pad_width):
    """Tangent of ``constant_values`` in ``np.pad``: the padding of zeros
    with the values' tangents."""
    return np.pad(np.zeros(np.shape(array)), pad_width, constant_values=t)


def div_or_zero(num, den):
    """``num / den``, 0 where ``den`` is 0.  The derivative of ``np.std`` is
    ``g / (2 std)`` times that of ``np.var``: where all elements reduced are
    equal (one element, or a constant slice) std has its minimum, a kink for
    several elements (a constant for one), and srcgrad takes the subgradient
    0 there (NumPy-based tracers give nan)."""
    if type(den) is float or type(den) is int:
        return num / den if den != 0 else 0.0 * num
    zero = np.equal(den, 0)
    return np.where(zero, 0.0, np.divide(num, np.where(zero, 1.0, den)))


def _seq_parts(pieces, seq):
    """The adjoints ``pieces`` of the elements of ``seq`` (a list or tuple of
    arrays, or an array: a sequence of its rows), as ``Adjoints``, or as one
    array of ``seq``'s shape when ``seq`` is an array."""
    if type(seq) is np.ndarray:
        return _stack_parts(pieces, seq)
    return Adjoints(pieces)


def _stack_parts(pieces, x):
    """One adjoint per row of the array ``x`` as an array of ``x``'s shape
    (a number in ``pieces`` stands for a row of that constant)."""
    if len(pieces) == 0:
        return np.zeros(np.shape(x), dtype=np.result_type(x, float))
    rows = [np.broadcast_to(np.asarray(p, dtype=np.result_type(p, float)), np.shape(x)[1:])
            for p in pieces]
    return np.stack(rows).reshape(np.shape(x))


def sequence_dx_t(g, like):
    """``g`` (the adjoint of the pieces of ``like``, ``Adjoints`` or an array
    of rows) as the list of those pieces' arrays (vjp of the pieces helpers)."""
    return [np.asarray(p, dtype=float) * np.ones(np.shape(e)) for p, e in zip(g, like)]


def var_dx_da(gv, x, axis=None, ddof=0, keepdims=False, correction=None):
    """``var_dx(a, x, ...)`` is linear in ``a``: the transposed map applied to
    ``gv`` (a cotangent of ``x``'s shape), reduced to the shape of ``a``."""
    return np.sum(gv * var_dx(1.0, x, axis, ddof, keepdims, correction),
                  axis=None if axis is None else _axes(axis, np.ndim(x)), keepdims=bool(keepdims))


# -- derivatives of norm_dx (second derivatives of np.linalg.norm) -----------------
# norm_dx(a, x, n, ...) with the norm ``n`` a parameter of its own: for vector norms
# and the Frobenius norm it is elementwise in ``x`` (a diagonal Jacobian), linear in
# the adjoint ``a``; 1, inf and 0 norms are piecewise constant in ``x`` and ``n``.


def _norm_kind(x, ord, axis):
    """``(x as a float array, reduced axes, kind)``: kind "2" (the 2-norm of
    a vector, Frobenius), "p" (another vector p-norm), "flat" (piecewise
    constant derivative: 1, inf, -inf, 0 and the matrix 1 and inf norms) or
    "svd" (the nuclear and spectral matrix norms), as in :func:`norm_dx`."""
    x = np.asarray(x)
    x = x.astype(np.result_type(x.dtype, float), copy=False)
    nd = x.ndim
    if axis is None and (ord is None or nd == 1):
        if ord is None or ord == 2 or nd == 1 and ord == "fro":
            return x, tuple(range(nd)), "2" if nd else "flat"
        axis = 0
    if axis is None:
        axis = (0, 1)
    axes = _axes(axis, nd)
    if len(axes) == 1:
        if ord is None or ord == 2:
            return x, axes, "2"
        if ord in (1, np.inf, -np.inf, 0):
            return x, axes, "flat"
        return x, axes, "p"
    if ord is None or ord == "fro":
        return x, axes, "2"
    if ord in (1, np.inf):
        return x, axes, "flat"
    return x, axes, "svd"


def _norm_svd_refused():
    return _unsupported("no second derivative of the nuclear or spectral matrix norm",
                        hint="use the Frobenius norm, or srcgrad.jacobian of the gradient")


def norm_dx_x(a, x, n, t, ord=None, axis=None, keepdims=False):
    """Derivative of ``norm_dx(a, x, n, ...)`` in ``x`` along ``t`` (also its
    transpose: the Jacobian is diagonal)."""
    x, axes, kind = _norm_kind(x, ord, axis)
    if kind == "flat":
        return np.zeros(np.shape(x))
    if kind == "svd":
        raise _norm_svd_refused()
    ak, nk = _keep(a, x, axes, keepdims), _keep(n, x, axes, keepdims)
    safe = np.where(nk == 0, 1.0, nk)
    if kind == "2":
        return np.where(nk == 0, 0.0, ak * t / safe)
    return np.where(nk == 0, 0.0, ak * (ord - 1) * np.abs(x) ** (ord - 2) * t / safe ** (ord - 1))


def _norm_dn(a, x, n, ord, axis, keepdims):
    """The partial derivative of ``norm_dx(a, x, n, ...)`` in ``n``, per
    element of ``x`` (to be multiplied by the expanded tangent of ``n``)."""
    x, axes, kind = _norm_kind(x, ord, axis)
    if kind == "flat":
        return x, axes, np.zeros(np.shape(x))
    if kind == "svd":
        raise _norm_svd_refused()
    ak, nk = _keep(a, x, axes, keepdims), _keep(n, x, axes, keepdims)
    safe = np.where(nk == 0, 1.0, nk)
    if kind == "2":
        return x, axes, np.where(nk == 0, 0.0, -ak * x / (safe * safe))
    return x, axes, np.where(nk == 0, 0.0, -(ord - 1) * ak * np.sign(x) * np.abs(x) ** (ord - 1)
                             / safe ** ord)


def norm_dx_n(a, x, n, t, ord=None, axis=None, keepdims=False):
    """Derivative of ``norm_dx(a, x, n, ...)`` in ``n`` along ``t`` (the
    shape of ``n``)."""
    x, axes, d = _norm_dn(a, x, n, ord, axis, keepdims)
    return d * _keep(t, x, axes, keepdims)


def norm_dx_n_t(a, x, n, gx, ord=None, axis=None, keepdims=False):
    """Transpose of :func:`norm_dx_n`: ``gx`` (the shape of ``x``) summed
    over the reduced axes, in the shape of ``n``."""
    x, axes, d = _norm_dn(a, x, n, ord, axis, keepdims)
    return unbroadcast(np.sum(gx * d, axis=axes, keepdims=bool(keepdims)), n)


def norm_dx_a_t(gx, x, n, ord=None, axis=None, keepdims=False):
    """Transpose of ``a -> norm_dx(a, x, n, ...)``: ``gx`` (the shape of
    ``x``) times the partial derivatives, summed over the reduced axes."""
    x, axes, kind = _norm_kind(x, ord, axis)
    partial = norm_dx(np.ones(np.shape(n)), x, n, ord, axis, keepdims)
    return np.sum(gx * partial, axis=axes, keepdims=bool(keepdims))


# -- derivatives of einsum_dx (second derivatives of np.einsum) ------------------------
# einsum_dx(a, subscripts, i, x0, x1, x2) is linear in the adjoint ``a`` and in every
# operand but the i-th (whose values it does not read): <a, einsum(x0, x1, x2)> is
# multilinear, and each of these is einsum_dx or einsum with one slot replaced.


def _einsum_slots(operands, j, value):
    ops = [op for op in operands if op is not None]
    ops[j] = value
    return ops


def einsum_dx_t(gx, subscripts, i, *operands):
    """Transpose of ``a -> einsum_dx(a, subscripts, i, *operands)``: the
    einsum with operand ``i`` replaced by ``gx``."""
    return np.einsum(subscripts, *_einsum_slots(operands, i, gx))


def einsum_dx_slot(a, subscripts, i, j, v, *operands):
    """``einsum_dx(a, subscripts, i, ...)`` with operand ``j`` replaced by
    ``v`` (the derivative in operand ``j`` along ``v``; zero for ``j == i``)."""
    if j == i:
        return np.zeros(np.shape([op for op in operands if op is not None][i]))
    return einsum_dx(a, subscripts, i, *_einsum_slots(operands, j, v))


def einsum_dx_swap(a, subscripts, i, j, gx, *operands):
    """Transpose of :func:`einsum_dx_slot` in ``v``: the adjoint of operand
    ``j`` with operand ``i`` replaced by ``gx`` (zero for ``j == i``)."""
    if j == i:
        return np.zeros(np.shape([op for op in operands if op is not None][j]))
    return einsum_dx(a, subscripts, j, *_einsum_slots(operands, i, gx))


def _einsum_letters(spec, operands):
    """Explicit einsum subscripts with each ellipsis replaced by letters of
    its own (right-aligned, as NumPy broadcasts them)."""
    ins, arrow, out = spec.partition("->")
    ins = ins.split(",")
    used = {c for c in spec if c.isalpha()}
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    counts = [np.ndim(op) - (len(s) - 3) for s, op in zip(ins, operands) if "..." in s]
    n = max(counts, default=0)
    letters = "".join(free[:n])
    new = [s.replace("...", letters[n - (np.ndim(op) - (len(s) - 3)):]) if "..." in s else s
           for s, op in zip(ins, operands)]
    if not arrow:                         # implicit: the ellipsis first, then single letters
        joined = "".join(s for s in ins).replace(".", "")
        out = "..." + "".join(sorted(c for c in set(joined) if joined.count(c) == 1))
    return ",".join(new) + "->" + out.replace("...", letters)




# -- np.cumprod where the array has zeros -------------------------------------------


def _cumprod_partials(a):
    """For ``a`` of shape (..., n): ``C[..., k, i] = prod(a[..., j] for j <= i,
    j != k)`` where ``k <= i`` (0 elsewhere): the derivative of the i-th
    cumulative product in ``a[..., k]``, exact with zeros in ``a``."""
    n = a.shape[-1]
    rep = np.repeat(a[..., None, :], n, axis=-2)          # [..., k, j] = a[..., j]
    idx = np.arange(n)
    rep[..., idx, idx] = 1.0                               # ... with a[k] left out
    C = np.cumprod(rep, axis=-1)
    return np.where(idx[None, :] >= idx[:, None], C, 0.0)


def cumprod_exact_dx(g, a, axis=None):
    """Adjoint of ``a`` in ``np.cumprod(a, axis)``, exact also where ``a``
    has zeros (O(n^2) per line: used only then)."""
    a = np.asarray(a, dtype=np.result_type(a, float))
    shape = a.shape
    if axis is None:
        a, g, ax = a.reshape(-1), np.reshape(g, -1), 0
    else:
        ax = int(axis) % a.ndim
    am = np.moveaxis(a, ax, -1)
    gm = np.moveaxis(np.broadcast_to(g, a.shape), ax, -1)
    d = np.einsum("...ki,...i->...k", _cumprod_partials(am), gm)
    return np.moveaxis(d, -1, ax).reshape(shape)


def cumprod_tangent(t, a, ans, axis=None):
    """Tangent of ``np.cumprod(a, axis)``: ``ans * cumsum(t / a)`` where
    ``a`` has no zeros, else the exact sum of the partial derivatives."""
    a = np.asarray(a, dtype=np.result_type(a, float))
    if np.all(a != 0):
        if axis is None:
            return ans * np.cumsum(np.ravel(t / a))
        return ans * np.cumsum(t / a, axis=axis)
    if axis is None:
        a, t, ax = a.reshape(-1), np.reshape(np.broadcast_to(t, a.shape), -1), 0
    else:
        ax = int(axis) % a.ndim
        t = np.broadcast_to(t, a.shape)
    am, tm = np.moveaxis(a, ax, -1), np.moveaxis(t, ax, -1)
    return np.moveaxis(np.einsum("...ki,...k->...i", _cumprod_partials(am), tm), -1, ax)


# -- np.linalg.det of singular matrices -------------------------------------------------


def cofactor(a):
    """The cofactor matrix of ``a`` (..., n, n): the derivative of ``det(a)``,
    ``det(a) inv(a)^T`` where ``a`` is invertible, and exact (through the SVD
    ``a = U S Vh``: ``det(U) det(Vh) U diag(prod of the other s) Vh``) where it
    is singular."""
    a = np.asarray(a, dtype=np.result_type(a, float))
    u, s, vh = np.linalg.svd(a)
    ones = np.ones(s.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * (u * (left * right)[..., None, :]) @ vh


def check_method(obj, cls, name):
    """Generated code calls ``cls.name`` for ``obj.name``: make sure ``obj``
    does not override it (a subclass's method was not what was inlined)."""
    if getattr(type(obj), name, None) is not getattr(cls, name):
        from srcgrad.errors import SrcgradError
        raise SrcgradError(
            f"the gradient was generated for {cls.__qualname__}.{name}, but this "
            f"{type(obj).__qualname__} overrides {name}: differentiate the subclass's "
            f"method (srcgrad.grad({type(obj).__qualname__}.<method>))")
