"""Adjoints and tangents of products: matmul, dot, inner, tensordot, einsum, kron.

``einsum_dx(a, subscripts, i, x0, x1, x2)`` is linear in the adjoint ``a``
and in every operand but the i-th (whose values it does not read):
``<a, einsum(x0, x1, x2)>`` is multilinear, and each of its derivatives
(``einsum_dx_t``, ``einsum_dx_slot``, ``einsum_dx_swap``) is ``einsum_dx``
or ``einsum`` with one slot replaced.  The batched tangents of ``matmul``
and ``dot`` and of their adjoints close the module.

>>> dot_dx(2.0, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
array([6., 8.])
"""

import numpy as np

from srcgrad.runtime.batched import bx, per_direction
from srcgrad.runtime.broadcast import unbroadcast


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


def einsum_tangent(subscripts, i, t, *operands):
    """Tangent of ``np.einsum(subscripts, *operands)`` in operand ``i``: the
    same contraction with that operand replaced by its tangent (trailing
    ``None`` operands are the rule's unused slots)."""
    return _contract(subscripts, _einsum_slots(operands, i, t))


def _einsum_slots(operands, j, value):
    ops = [op for op in operands if op is not None]
    ops[j] = value
    return ops


def _contract(subscripts, ops):
    """``np.einsum(subscripts, *ops)`` of one to three operands, written out
    (second derivatives read this code: no ``*``)."""
    if len(ops) == 1:
        return np.einsum(subscripts, ops[0])
    if len(ops) == 2:
        return np.einsum(subscripts, ops[0], ops[1])
    return np.einsum(subscripts, ops[0], ops[1], ops[2])


def _einsum_dx_of(a, subscripts, i, ops):
    """``einsum_dx(a, subscripts, i, *ops)``, written out (no ``*``)."""
    if len(ops) == 1:
        return einsum_dx(a, subscripts, i, ops[0])
    if len(ops) == 2:
        return einsum_dx(a, subscripts, i, ops[0], ops[1])
    return einsum_dx(a, subscripts, i, ops[0], ops[1], ops[2])


def einsum_dx_t(gx, subscripts, i, *operands):
    """Transpose of ``a -> einsum_dx(a, subscripts, i, *operands)``: the
    einsum with operand ``i`` replaced by ``gx``."""
    return _contract(subscripts, _einsum_slots(operands, i, gx))


def einsum_dx_slot(a, subscripts, i, j, v, *operands):
    """``einsum_dx(a, subscripts, i, ...)`` with operand ``j`` replaced by
    ``v`` (the derivative in operand ``j`` along ``v``; zero for ``j == i``)."""
    if j == i:
        return np.zeros(np.shape([op for op in operands if op is not None][i]))
    return _einsum_dx_of(a, subscripts, i, _einsum_slots(operands, j, v))


def einsum_dx_swap(a, subscripts, i, j, gx, *operands):
    """Transpose of :func:`einsum_dx_slot` in ``v``: the adjoint of operand
    ``j`` with operand ``i`` replaced by ``gx`` (zero for ``j == i``)."""
    if j == i:
        return np.zeros(np.shape([op for op in operands if op is not None][j]))
    return _einsum_dx_of(a, subscripts, j, _einsum_slots(operands, i, gx))


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


def _pad_batch(tk, extra):
    """``tk`` (directions first) with ``extra`` axes of 1 after the first, so
    that the direction axis does not broadcast against another operand's
    batch axes."""
    return tk.reshape(tk.shape[:1] + (1,) * extra + tk.shape[1:]) if extra > 0 else tk


def b_matmul_x(t, y):
    """Batched tangent of ``x @ y`` along ``x`` (``t``: ``x.shape + (K,)``)."""
    t = np.asarray(t)
    xd, yd = t.ndim - 1, np.ndim(y)
    if xd == 1:
        if yd == 1:
            return y @ t
        return np.swapaxes(t.T @ y, -1, -2)
    if yd == 1:
        return np.swapaxes(t, -1, -2) @ y
    return np.moveaxis(_pad_batch(np.moveaxis(t, -1, 0), yd - xd) @ y, 0, -1)


def b_matmul_y(x, t):
    """Batched tangent of ``x @ y`` along ``y`` (``t``: ``y.shape + (K,)``)."""
    t = np.asarray(t)
    xd, yd = np.ndim(x), t.ndim - 1
    if yd == 1:
        return x @ t
    if xd == 1:
        return np.moveaxis(x @ np.moveaxis(t, -1, 0), 0, -1)
    return np.moveaxis(x @ _pad_batch(np.moveaxis(t, -1, 0), xd - yd), 0, -1)


def b_dot_a(t, b, K):
    """Batched tangent of ``np.dot(a, b)`` along ``a``."""
    nd = np.ndim(t) - 1
    if nd == 0:
        return t * bx(b)
    if np.ndim(b) == 0:
        return t * b
    if nd <= 2 and np.ndim(b) <= 2:
        return b_matmul_x(t, b)
    return per_direction(lambda tk: np.dot(tk, b), t, K)


def b_dot_b(a, t, K):
    """Batched tangent of ``np.dot(a, b)`` along ``b``."""
    nd = np.ndim(t) - 1
    if np.ndim(a) == 0:
        return a * t
    if nd == 0:
        return bx(a) * t
    if nd <= 2 and np.ndim(a) <= 2:
        return b_matmul_y(a, t)
    return per_direction(lambda tk: np.dot(a, tk), t, K)


def b_matmul_dx_a(t, x, y, K):
    """Batched tangent of ``matmul_dx(a, x, y)`` along the adjoint ``a``."""
    if np.ndim(x) == 2 and np.ndim(y) == 2:
        return np.moveaxis(np.moveaxis(t, -1, 0) @ y.T, 0, -1)
    return per_direction(lambda tk: matmul_dx(tk, x, y), t, K)


def b_matmul_dy_a(t, x, y, K):
    """Batched tangent of ``matmul_dy(a, x, y)`` along the adjoint ``a``."""
    if np.ndim(x) == 2 and np.ndim(y) == 2:
        return b_matmul_y(x.T, t)
    return per_direction(lambda tk: matmul_dy(tk, x, y), t, K)


def b_matmul_dx_y(a, x, t, K):
    """Batched tangent of ``matmul_dx(a, x, y)`` along the factor ``y``."""
    if np.ndim(x) == 2 and np.ndim(a) == 2 and np.ndim(t) == 3:
        return np.moveaxis(a @ np.swapaxes(np.moveaxis(t, -1, 0), -1, -2), 0, -1)
    return per_direction(lambda tk: matmul_dx(a, x, tk), t, K)


def b_matmul_dy_x(a, t, y, K):
    """Batched tangent of ``matmul_dy(a, x, y)`` along the factor ``x``."""
    if np.ndim(y) == 2 and np.ndim(a) == 2 and np.ndim(t) == 3:
        return np.moveaxis(np.swapaxes(np.moveaxis(t, -1, 0), -1, -2) @ a, 0, -1)
    return per_direction(lambda tk: matmul_dy(a, tk, y), t, K)


def b_dot_dx_a(t, x, y, K):
    """Batched tangent of ``dot_dx(a, x, y)`` along ``a``."""
    if np.ndim(x) == 2 and np.ndim(y) == 2:
        return b_matmul_dx_a(t, x, y, K)
    return per_direction(lambda tk: dot_dx(tk, x, y), t, K)


def b_dot_dy_a(t, x, y, K):
    """Batched tangent of ``dot_dy(a, x, y)`` along ``a``."""
    if np.ndim(x) == 2 and np.ndim(y) == 2:
        return b_matmul_dy_a(t, x, y, K)
    return per_direction(lambda tk: dot_dy(tk, x, y), t, K)
