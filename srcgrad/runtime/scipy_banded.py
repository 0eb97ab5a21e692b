"""Helpers of the rules for ``scipy.linalg.solve_banded`` (in
``srcgrad/rules/scipy/linalg.py``): moving between the banded storage ``ab``
(``ab[u + i - j, j] == a[i, j]``) and the dense matrix, and the storage of
the transposed matrix.  Each is linear in its array argument, and the
adjoint of one is another (entries of ``ab`` outside the band, its unused
corners, get 0), so the rules are one line each.  Needs only NumPy;
imported only from those rules.

>>> ab = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 0.0]])
>>> banded_dense((1, 1), ab)
array([[3., 1., 0.],
       [6., 4., 2.],
       [0., 7., 5.]])
>>> banded_t((1, 1), ab)
array([[0., 6., 7.],
       [3., 4., 5.],
       [1., 2., 0.]])
"""

import numpy as np

from srcgrad.runtime.base import unsupported


def _band(l_and_u, n):
    """The rows and columns of ``ab`` inside the band, and the rows of the
    dense matrix they stand for."""
    lower, upper = (int(k) for k in l_and_u)
    k, j = np.meshgrid(np.arange(lower + upper + 1), np.arange(n), indexing="ij")
    i = k - upper + j
    inside = (i >= 0) & (i < n)
    return k[inside], j[inside], i[inside]


def _storage(l_and_u, ab):
    if np.ndim(ab) != 2:
        raise unsupported("scipy.linalg.solve_banded is differentiated with ab of shape "
                          "(l + u + 1, M), not a batch of them",
                          "solve each system in a loop")
    return np.asarray(ab)


def banded_dense(l_and_u, ab):
    """The dense matrix ``a`` that ``ab`` stores (the corners of ``ab`` unread)."""
    ab = _storage(l_and_u, ab)
    n = ab.shape[1]
    k, j, i = _band(l_and_u, n)
    out = np.zeros((n, n), dtype=np.result_type(ab, float))
    out[i, j] = ab[k, j]
    return out


def banded_read(l_and_u, a):
    """The banded storage of the dense (n, n) matrix ``a``'s band (the
    adjoint of :func:`banded_dense`: zeros in the corners)."""
    a = np.asarray(a)
    n = a.shape[-1]
    k, j, i = _band(l_and_u, n)
    out = np.zeros((int(l_and_u[0]) + int(l_and_u[1]) + 1, n), dtype=np.result_type(a, float))
    out[k, j] = a[i, j]
    return out


def banded_t(l_and_u, ab):
    """The storage, with ``(u, l)``, of the transposed matrix (zeros in its corners)."""
    return banded_read(tuple(l_and_u)[::-1], np.transpose(banded_dense(l_and_u, ab)))


def banded_outer(l_and_u, z, x):
    """The band of ``z x^T`` summed over the right-hand sides (the last axis of a
    2-d ``x``, and any batch axes before it), in banded storage: the adjoint of
    ``ab`` in ``x = solve_banded(l_and_u, ab, b)`` is ``-banded_outer(l_and_u, z, x)``
    with ``z`` the solve of the transposed system with the result's adjoint."""
    z, x = np.asarray(z), np.asarray(x)
    if x.ndim == 1:
        outer = np.outer(z, x)
    else:
        n = x.shape[-2]
        outer = np.sum(np.reshape(np.einsum("...ik,...jk->...ij", z, x), (-1, n, n)), axis=0)
    return banded_read(l_and_u, outer)
