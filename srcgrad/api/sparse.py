"""Sparse Jacobians and Hessians: colouring and compressed passes.

``jacobian(f, sparsity=P)`` and ``hessian(f, sparsity=P)`` call
:func:`sparse_jacobian` and :func:`sparse_hessian`.  ``P`` is a
``scipy.sparse`` matrix (or a 2-D array) whose stored entries are the
possible nonzeros of the Jacobian ``(f(x).size, x.size)`` or Hessian
``(x.size, x.size)``, elements in C order, or ``"detect"``
(:mod:`srcgrad.api.sparsity` finds it at each call).  SciPy is imported only
here.

* Jacobian, forward: a greedy **distance-1 colouring of the columns** (two
  columns that share a row get different colours; largest degree first), the
  seed matrix ``S`` (``S[j, colour(j)] = 1``), ``B = J S`` by the batched
  ``jvp`` (one pass, ``c`` directions), and ``J[i, j] = B[i, colour(j)]``.
  Reverse: the same for the rows with the batched ``vjp`` (``B = S^T J``).
  ``mode="auto"`` takes the side with fewer colours.
* Hessian: a greedy **star colouring** of the adjacency graph of ``P``
  (distance-1, and every path on four vertices uses at least three colours;
  Gebremedhin, Manne and Pothen 2005, algorithm "star colouring 1"),
  ``B = H S`` by the batched hvp (forward over reverse), and the symmetric
  decompression: ``H[i, j] = B[i, colour(j)]`` when ``j`` is the only
  neighbour of ``i`` of its colour, else ``B[j, colour(i)]``.

>>> import numpy as np
>>> P = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]])
>>> colour_columns(P).tolist()
[0, 1, 1, 0]
"""

import numpy as np
import scipy.sparse as sps

from srcgrad.api import blocks
from srcgrad.api.forward import _cached as _jvp_cached
from srcgrad.api.sparsity import hessian_sparsity, jacobian_sparsity
from srcgrad.compiler import pipeline
from srcgrad.errors import SrcgradError


def pattern(P, shape=None):
    """``P`` as a boolean CSR matrix of its stored entries."""
    if sps.issparse(P):
        P = sps.csr_matrix(P, copy=True)
        P.sum_duplicates()
        P.data = np.ones_like(P.data, dtype=bool)
        P = P.astype(bool)
    else:
        a = np.asarray(P)
        if a.ndim != 2:
            raise SrcgradError(f"sparsity must be a scipy.sparse matrix, a 2-D array or "
                               f"'detect', not {type(P).__name__}")
        P = sps.csr_matrix(a != 0)
    if shape is not None and P.shape != tuple(shape):
        raise SrcgradError(f"the sparsity pattern has shape {P.shape}, expected {tuple(shape)} "
                           f"(result elements x argument elements, C order)")
    return P


def _greedy(G, order):
    """Smallest free colour for each vertex of the adjacency (CSR) ``G``, in ``order``."""
    n = G.shape[0]
    colour = np.full(n, -1, dtype=np.int64)
    mark = np.full(n + 1, -1, dtype=np.int64)
    indptr, indices = G.indptr, G.indices
    for v in order:
        nb = colour[indices[indptr[v]:indptr[v + 1]]]
        mark[nb[nb >= 0]] = v
        c = 0
        while mark[c] == v:
            c += 1
        colour[v] = c
    return colour


def colour_columns(P):
    """Greedy distance-1 colouring of the columns of pattern ``P``: columns
    sharing a row get different colours (largest degree first)."""
    P = pattern(P).astype(np.int8)
    G = (P.T @ P).tocsr()
    G.setdiag(0)
    G.eliminate_zeros()
    degree = np.diff(G.indptr)
    return _greedy(G, np.argsort(-degree, kind="stable"))


def star_colouring(P):
    """Greedy star colouring of the adjacency graph of the symmetric pattern
    ``P`` (diagonal ignored): a distance-1 colouring in which every path on
    four vertices has at least three colours."""
    G = _graph(P)
    n = G.shape[0]
    indptr, indices = G.indptr, G.indices
    colour = np.full(n, -1, dtype=np.int64)
    degree = np.diff(indptr)
    for v in np.argsort(-degree, kind="stable"):
        forbidden = set()
        for w in indices[indptr[v]:indptr[v + 1]]:
            cw = colour[w]
            if cw >= 0:
                forbidden.add(cw)
            for x in indices[indptr[w]:indptr[w + 1]]:
                cx = colour[x]
                if x == v or cx < 0:
                    continue
                if cw < 0:
                    forbidden.add(cx)
                elif cx not in forbidden:
                    for y in indices[indptr[x]:indptr[x + 1]]:
                        if y != w and colour[y] == cw:
                            forbidden.add(cx)
                            break
        c = 0
        while c in forbidden:
            c += 1
        colour[v] = c
    return colour


def _graph(P):
    """The adjacency of the symmetric closure of ``P``, without the diagonal."""
    P = pattern(P).astype(np.int8)
    G = (P + P.T).tocsr()
    G.setdiag(0)
    G.eliminate_zeros()
    G.sort_indices()
    G.data[:] = 1
    return G


def _seed(colour):
    n, c = len(colour), int(colour.max()) + 1 if len(colour) else 0
    S = np.zeros((n, c))
    S[np.arange(n), colour] = 1.0
    return S


def _chunks(c, batch):
    step = max(1, min(c, batch or c))
    return [(s, min(s + step, c)) for s in range(0, c, step)]


class Plan:
    """How to read a sparse matrix of structure ``(rows, cols)`` off the
    compressed product ``B`` (``k x c``): entry ``t`` is ``B.flat[src[t]]``;
    the CSR structure and the order are worked out once."""

    def __init__(self, rows, cols, src, shape):
        order = sps.coo_matrix((np.arange(1, len(rows) + 1), (rows, cols)), shape=shape).tocsr()
        self.indptr, self.indices = order.indptr, order.indices
        self.src = np.asarray(src)[order.data - 1]
        self.shape = shape

    def __call__(self, B):
        return sps.csr_matrix((np.ascontiguousarray(B).ravel()[self.src], self.indices.copy(),
                               self.indptr.copy()), shape=self.shape)


def column_plan(P, colour):
    """``J`` (structure ``P``) from ``B = J S``: ``J[i, j] = B[i, colour(j)]``."""
    P = P.tocoo()
    c = _ncolours(colour)
    return Plan(P.row, P.col, P.row * c + colour[P.col], P.shape)


def row_plan(P, colour):
    """``J`` (structure ``P``) from ``B^T`` (``n x c``), ``B = S^T J``:
    ``J[i, j] = B^T[j, colour(i)]``."""
    P = P.tocoo()
    c = _ncolours(colour)
    return Plan(P.row, P.col, P.col * c + colour[P.row], P.shape)


def star_plan(P, colour):
    """``H`` (structure ``P + P^T`` and the diagonal) from ``B = H S``, for a
    star colouring: ``H[i, j] = B[i, colour(j)]`` when ``j`` is the only
    neighbour of ``i`` of its colour, else ``B[j, colour(i)]`` (then ``i`` is
    the only neighbour of ``j`` of its colour)."""
    G = _graph(P)
    n = G.shape[0]
    c = _ncolours(colour)
    counts = (G @ sps.csr_matrix(_seed(colour))).toarray() if n else np.zeros((0, 0))
    Gc = G.tocoo()
    i, j = Gc.row, Gc.col
    direct = counts[i, colour[j]] == 1
    other = counts[j, colour[i]] == 1
    if not np.all(direct | other):
        raise SrcgradError("internal error: the colouring is not a star colouring")
    src = np.where(direct, i * c + colour[j], j * c + colour[i])
    d = np.arange(n)
    return Plan(np.concatenate([i, d]), np.concatenate([j, d]),
                np.concatenate([src, d * c + colour[d]]), (n, n))


def _one_wrt(fun, wrt):
    names, single = pipeline.normalise_wrt(fun, pipeline.wrt_key(wrt), distinct=True)
    if not single:
        raise SrcgradError("a sparse Jacobian or Hessian takes one wrt argument, not a tuple")
    return names


class _Colourings:
    """A pattern's colourings, seeds and decompression plans, made once."""

    def __init__(self, P):
        self.P = P
        self._made = {}

    def _get(self, what, make):
        if what not in self._made:
            self._made[what] = make()
        return self._made[what]

    @property
    def cols(self):
        return self._get("cols", lambda: colour_columns(self.P))

    @property
    def rows(self):
        return self._get("rows", lambda: colour_columns(self.P.T))

    @property
    def star(self):
        return self._get("star", lambda: star_colouring(self.P))

    def seed(self, which):
        return self._get(("seed", which), lambda: _seed(getattr(self, which)))

    def plan(self, which):
        make = {"cols": column_plan, "rows": row_plan, "star": star_plan}[which]
        return self._get(("plan", which), lambda: make(self.P, getattr(self, which)))


def _ncolours(colour):
    return int(colour.max()) + 1 if len(colour) else 0


def _forward_block(jvpb, call, x, S, batch):
    """``(value, J S)`` (``m x c``) by the batched jvp, ``batch`` columns a pass."""
    value, parts = None, []
    for lo, hi in _chunks(S.shape[1], batch) or [(0, 0)]:
        value, t = jvpb(*call.positional, S[:, lo:hi].reshape(np.shape(x) + (hi - lo,)),
                        **call.keywords)
        parts.append(np.asarray(t, dtype=float).reshape(-1, hi - lo))
    return value, np.concatenate(parts, axis=1)


def _forward_looped(fun, key, call, x, S):
    """``(value, J S)`` by one generated jvp call per column of ``S``."""
    jvp = _jvp_cached(fun, key)
    value, cols = None, []
    for k in range(S.shape[1]):
        t = S[:, k].reshape(np.shape(x)) if isinstance(x, np.ndarray) else float(S[0, k])
        value, tk = jvp(*call.positional, t, **call.keywords)
        cols.append(np.ravel(np.asarray(tk, dtype=float)))
    if value is None:
        value = jvp(*call.positional, blocks._zero(x), **call.keywords)[0]
    return value, np.array(cols).T.reshape(blocks._size(value), S.shape[1])


def _reverse_block(vjpb, call, n, value, S, batch):
    """``(S^T J)^T`` (``n x c``) by the batched vjp, ``batch`` rows a pass."""
    zero, parts = blocks._zero(value), []
    for lo, hi in _chunks(S.shape[1], batch):
        r = vjpb(*call.positional, zero, S[:, lo:hi].reshape(np.shape(value) + (hi - lo,)),
                 **call.keywords)
        parts.append(np.asarray(r, dtype=float).reshape(n, hi - lo))
    return np.concatenate(parts, axis=1) if parts else np.zeros((n, 0))


def _reverse_looped(fun, key, call, n, value, S):
    """``(S^T J)^T`` by one generated vjp call per column of ``S``."""
    vjp = blocks.api.vjp(fun, wrt=key)
    cols = []
    for k in range(S.shape[1]):
        e = S[:, k].reshape(np.shape(value)) if isinstance(value, np.ndarray) else float(S[0, k])
        cols.append(np.ravel(np.asarray(vjp(*call.positional, e, **call.keywords)[1], float)))
    return np.array(cols).T.reshape(n, S.shape[1])


def _given(sparsity):
    """The colourings of a given pattern, or None for ``"detect"``."""
    if isinstance(sparsity, str):
        if sparsity != "detect":
            raise SrcgradError(f"sparsity must be a scipy.sparse matrix, a 2-D array or "
                               f"'detect', not {sparsity!r}")
        return None
    return _Colourings(pattern(sparsity))


def sparse_jacobian(fun, wrt=0, mode="auto", batch=blocks.BATCH, sparsity="detect"):
    """The Jacobian of ``fun`` w.r.t. the single argument ``wrt`` as a
    ``scipy.sparse.csr_matrix`` of shape ``(f(x).size, x.size)`` (C order),
    by compressed batched forward (``mode="forward"``) or reverse
    (``"reverse"``) passes, one direction per colour; ``"auto"`` takes the
    side with fewer colours.  ``sparsity``: the pattern, or ``"detect"``."""
    names = _one_wrt(fun, wrt)
    fixed = _given(sparsity)
    key = pipeline.wrt_key(wrt)
    jvpb = vjpb = why_f = why_r = None
    if mode in ("auto", "forward"):
        jvpb, why_f = blocks._generate_batched(lambda: _jvp_cached(fun, key, batched=True))
    if mode in ("auto", "reverse"):
        vjpb, why_r = blocks._generate_batched(lambda: blocks._vjp_batched(fun, key))
    find = jacobian_sparsity(fun, key)

    def jac(*args, **kwargs):
        call = blocks._Call(fun, names, args, kwargs)
        x = call.values[0]
        n = blocks._size(x)
        col = fixed if fixed is not None else _Colourings(find(*args, **kwargs))
        if col.P.shape[1] != n:
            pattern(col.P, (col.P.shape[0], n))
        forward = mode == "forward" or mode == "auto" and \
            _ncolours(col.cols) <= _ncolours(col.rows)
        if forward:
            S = col.seed("cols")
            def looped():
                return _forward_looped(fun, key, call, x, S)
            value, B = looped() if jvpb is None else blocks._batched_or_loop(
                lambda: _forward_block(jvpb, call, x, S, batch), looped, "jacobian")
            if col.P.shape != (blocks._size(value), n):
                pattern(col.P, (blocks._size(value), n))
            J = col.plan("cols")(B)
        else:
            value = fun(*args, **kwargs)
            if col.P.shape != (blocks._size(value), n):
                pattern(col.P, (blocks._size(value), n))
            S = col.seed("rows")
            def looped_rows():
                return _reverse_looped(fun, key, call, n, value, S)
            Bt = looped_rows() if vjpb is None else blocks._batched_or_loop(
                lambda: _reverse_block(vjpb, call, n, value, S, batch), looped_rows, "jacobian")
            J = col.plan("rows")(Bt)
        J.srcgrad_colours = _ncolours(col.cols if forward else col.rows)
        return J

    jac.__name__ = jac.__qualname__ = f"sparse_jacobian_{blocks._name(fun)}"
    pieces = [p for p in (jvpb, vjpb) if p is not None]
    side = {"forward": "columns", "reverse": "rows", "auto": "columns or rows, fewer colours"}
    unbatched = "; ".join(f"{w} not batched ({r}): one call per colour" for w, r in
                          (("forward", why_f), ("reverse", why_r)) if r)
    blocks._describe(jac, f"srcgrad.jacobian({blocks._qualname(fun)}, mode={mode!r}, "
                          f"sparsity=...): one pass of the batched code below per block of "
                          f"colours (distance-1 colouring of the {side[mode]})"
                          + (f"; {unbatched}" if unbatched else ""), pieces, fun)
    jac.colourings = fixed
    return jac


def sparse_hessian(fun, wrt=0, batch=blocks.BATCH, sparsity="detect"):
    """The Hessian of ``fun`` w.r.t. the single argument ``wrt`` as a
    ``scipy.sparse.csr_matrix`` (``x.size x x.size``): star colouring of the
    pattern, one batched hvp pass (forward over reverse) per block of
    colours, symmetric decompression."""
    names = _one_wrt(fun, wrt)
    fixed = _given(sparsity)
    key = pipeline.wrt_key(wrt)
    hb, why_not = blocks._generate_batched(lambda: blocks.hvp_batched(fun, wrt=key))
    find = hessian_sparsity(fun, key)

    def hess(*args, **kwargs):
        call = blocks._Call(fun, names, args, kwargs)
        x = call.values[0]
        n = blocks._size(x)
        col = fixed if fixed is not None else _Colourings(find(*args, **kwargs))
        if col.P.shape != (n, n):
            pattern(col.P, (n, n))
        S = col.seed("star")

        def looped():
            h = blocks.hvp(fun, wrt=key)
            return np.array([np.ravel(np.asarray(h(*call.positional, S[:, k].reshape(np.shape(x))
                                                   if isinstance(x, np.ndarray) else float(S[0, k]),
                                                   **call.keywords), dtype=float))
                             for k in range(S.shape[1])]).T.reshape(n, S.shape[1])

        def batched():
            parts = []
            for lo, hi in _chunks(S.shape[1], batch):
                hv = hb(*call.positional, S[:, lo:hi].reshape(np.shape(x) + (hi - lo,)),
                        **call.keywords)
                parts.append(np.asarray(hv, dtype=float).reshape(n, hi - lo))
            return np.concatenate(parts, axis=1) if parts else np.zeros((n, 0))
        B = looped() if hb is None else blocks._batched_or_loop(batched, looped, "hessian")
        H = col.plan("star")(B)
        H.srcgrad_colours = _ncolours(col.star)
        return H

    hess.__name__ = hess.__qualname__ = f"sparse_hessian_{blocks._name(fun)}"
    how = ("one pass of the batched hvp below (forward over reverse) per block of colours"
           if hb is not None else f"one call of the hvp below per colour (not batched: {why_not})")
    blocks._describe(hess, f"srcgrad.hessian({blocks._qualname(fun)}, sparsity=...): {how} "
                           f"(star colouring)", [hb or blocks.hvp(fun, wrt=key)], fun)
    hess.colourings = fixed
    return hess
