"""Jacobians, Hessian-vector products and Hessians.

* ``jacobian(f, wrt, mode)``: the full Jacobian by batched forward mode (a
  block of input directions per generated ``jvp`` pass) or batched reverse
  mode (a block of output cotangents per pass of a batched ``vjp``: the
  batched forward transform of the generated ``vjp`` w.r.t. its cotangent);
  ``mode="auto"`` picks, at call time, forward mode when the input is
  smaller than the output.  With ``sparsity=`` it is
  :func:`srcgrad.api.sparse.sparse_jacobian` (compressed passes).
* ``hvp(f, wrt)``: **forward over reverse** — the forward transform applied
  to the source of the gradient ``srcgrad.grad(f)`` generated (tape, runtime
  helpers and all; see :mod:`srcgrad.generated` and
  :mod:`srcgrad.rules.runtime_rules`).  The result is one generated function,
  ``hvp_f(*args, t_x)``, that ``srcgrad.source`` prints.
* ``hessian(f, wrt)``: the Jacobian of the gradient by forward over reverse.

Forward mode pushes the directions through the generated code in **batches**:
one pass of a batched ``jvp`` (``hvp``) whose tangents carry a last axis of
up to ``batch`` directions (:class:`srcgrad.forward.BatchedForward`), the unit
directions of the inputs as its columns.  Where the batched code cannot be
generated the directions are looped over in Python, one generated pass
each, and the reason is shown by ``srcgrad.source`` (see docs/modes.md,
"Batched directions").  Everything is cached in :data:`srcgrad.compiler.pipeline._CACHE`
under keys of its own.  The pieces shared with the sparse versions
(:mod:`srcgrad.api.sparse`: argument binding, the batched ``vjp`` and
``hvp``, the fallback loop) are in :mod:`srcgrad.api.blocks`.
"""

import copy
import functools

import numpy as np

from srcgrad.api import reverse as api
from srcgrad.api.blocks import leaf, leaf_paths, structured, with_leaf, zero_leaves
from srcgrad.api.blocks import (BATCH, CACHE_ELEMENTS, MIN_BATCH, MODES, _Call, _as_result,  # noqa: F401
                                _basis, _batched_or_loop, _cache_get, _cache_put,
                                _check_batched, _describe, _generate_batched, _key, _like, _name,
                                _pass_size, _qualname, _signature, _size, _underlying,
                                _vjp_batched, _zero, api_vjp_no_value, hvp, hvp_batched)
from srcgrad.api.driver import DRIVER
from srcgrad.api.variadic import specialising, takes_varargs
from srcgrad.compiler import pipeline
from srcgrad.errors import SrcgradError
from srcgrad.runtime.boundary import check_argument, holds_complex
from srcgrad.compiler.pipeline import _no_complex_jacobians
from srcgrad.api.forward import _cached as _jvp_cached


# -- jacobian -----------------------------------------------------------------

def _primal(fun, args, kwargs):
    """``fun(*args, **kwargs)`` on copies of the arguments that are objects or
    containers (the function may change those, as a method changing its
    object does; the generated code after it must see them as they were)."""
    own = [a if isinstance(a, (float, int, complex, np.ndarray, np.generic)) else copy.deepcopy(a)
           for a in args]
    return fun(*own, **{k: v if isinstance(v, (float, int, np.ndarray)) else copy.deepcopy(v)
                        for k, v in kwargs.items()})


def _forward_columns(jvp_fn, call, single):
    """The Jacobian by forward mode: one jvp per direction of each ``wrt``
    argument.  Returns ``(value, [J_i])``."""
    value, blocks = None, []
    zeros = [_zero(x) for x in call.values]
    for i, x in enumerate(call.values):
        columns = []
        for e in _basis(x):
            tangents = list(zeros)
            tangents[i] = e
            value, t = jvp_fn(*call.positional, *tangents, **call.keywords)
            columns.append(np.asarray(t, dtype=float))
        if value is None:      # an empty argument: the value still decides the shape
            value, _ = jvp_fn(*call.positional, *zeros, **call.keywords)
        out_shape = np.shape(value)
        # columns[k] is d value / d x_k: move the input axes last
        cols = np.asarray(columns, dtype=float).reshape((_size(x),) + out_shape)
        J = np.moveaxis(cols, 0, -1) if cols.ndim > 1 else cols
        blocks.append(_as_result(J, out_shape, np.shape(x)))
    return value, blocks


def _unit_tangents(call, start, K):
    """The tangents of the directions ``start .. start + K`` of all the
    ``wrt`` arguments together (in order, each in C order): for each
    argument an array of its shape plus a last axis of ``K``, holding the
    unit directions that fall in it."""
    tangents, offset = [], 0
    for x in call.values:
        n = _size(x)
        T = np.zeros((n, K))
        lo, hi = max(start, offset), min(start + K, offset + n)
        if lo < hi:
            idx = np.arange(lo, hi)
            T[idx - offset, idx - start] = 1.0
        tangents.append(T.reshape(np.shape(x) + (K,)))
        offset += n
    return tangents


def _split_columns(cols, call, out_shape):
    """``cols`` (``out_shape + (N,)``, one column per direction of all the
    arguments) as one block per argument, shaped ``out_shape + x.shape``."""
    blocks, offset = [], 0
    for x in call.values:
        n = _size(x)
        blocks.append(_as_result(cols[..., offset:offset + n], out_shape, np.shape(x)))
        offset += n
    return blocks


def _forward_batched(jvpb_fn, call, batch):
    """The Jacobian by batched forward mode: one pass of the batched jvp per
    ``batch`` directions.  Returns ``(value, [J_i])``."""
    total = sum(_size(x) for x in call.values)
    chunks, value = [], None
    step = _pass_size(batch, total)
    for start in range(0, total, step):
        K = min(step, total - start)
        value, t = jvpb_fn(*call.positional, *_unit_tangents(call, start, K), **call.keywords)
        chunks.append(_check_batched(t, np.shape(value) + (K,), "jvp"))
    out_shape = np.shape(value)
    cols = chunks[0] if len(chunks) == 1 else np.concatenate(chunks, axis=-1)
    return value, _split_columns(cols, call, out_shape)


def _reverse_batched(vjpb_fn, call, single, value, batch):
    """The Jacobian by batched reverse mode: one pass of the batched vjp per
    ``batch`` elements of the result (unit cotangents on the last axis).
    Returns ``[J_i]``."""
    out_shape = np.shape(value)
    m = _size(value)
    zero = _zero(value)
    step = _pass_size(batch, m)
    chunks = [[] for _ in call.values]
    for start in range(0, m, step):
        K = min(step, m - start)
        E = np.zeros((m, K))
        E[np.arange(start, start + K), np.arange(K)] = 1.0
        r = vjpb_fn(*call.positional, zero, E.reshape(out_shape + (K,)), **call.keywords)
        r = (r,) if single else tuple(r)
        for i, x in enumerate(call.values):
            chunks[i].append(_check_batched(r[i], np.shape(x) + (K,), "vjp"))
    blocks = []
    for i, x in enumerate(call.values):
        rows = chunks[i][0] if len(chunks[i]) == 1 else np.concatenate(chunks[i], axis=-1)
        blocks.append(_as_result(np.moveaxis(rows, -1, 0), out_shape, np.shape(x)))
    return blocks


def _reverse_rows(vjp_fn, call, single, value):
    """The Jacobian by reverse mode: one vjp per element of the result
    ``value``."""
    out_shape = np.shape(value)
    rows = []
    for e in _basis(value):
        _, cot = vjp_fn(*call.positional, e, **call.keywords)
        rows.append((cot,) if single else cot)
    blocks = []
    for i, x in enumerate(call.values):
        r = [np.asarray(row[i], dtype=float) for row in rows]
        blocks.append(_as_result(r, out_shape, np.shape(x)))
    return blocks


def jacobian(fun=None, wrt=0, mode="auto", batch=BATCH, sparsity=None):
    """The Jacobian of ``fun`` with respect to argument ``wrt``.

    Returns a function with ``fun``'s signature returning an array of shape
    ``result.shape + argument.shape`` (``J[i..., j...] = d result[i...] / d
    arg[j...]``, as ``jax.jacobian``); for a tuple ``wrt``, a tuple of them.
    ``mode="forward"`` pushes the unit directions of the arguments through a
    batched ``jvp``, up to ``batch`` directions per pass (``batch=None``: one
    ``jvp`` call per direction); ``"reverse"`` pushes unit cotangents of the
    result through a batched ``vjp`` the same way (``batch=None``: one
    ``vjp`` call per element of the result); ``"auto"`` (the default)
    decides at each call: forward when the arguments have fewer elements
    than the result, else reverse.  ``sparsity`` (a ``scipy.sparse``
    pattern of shape ``(result.size, arg.size)``, or ``"detect"``): a
    ``scipy.sparse.csr_matrix`` by compressed passes, one direction per
    colour (:mod:`srcgrad.api.sparse`).
    ``srcgrad.source`` shows the generated code it calls."""
    if fun is None:
        return functools.partial(jacobian, wrt=wrt, mode=mode, batch=batch, sparsity=sparsity)
    if mode not in MODES:
        raise SrcgradError(f"mode must be one of {MODES}, not {mode!r}")
    if batch is not None and (not isinstance(batch, int) or batch < 0):
        raise SrcgradError(f"batch must be a positive int, or 0 or None (no batching), "
                           f"not {batch!r}")
    batch = batch or None
    if getattr(fun, "srcgrad_jacobian_of", None) is not None:
        return _jacobian_of_jacobian(fun, wrt)
    if sparsity is None and takes_varargs(fun):
        return specialising("jacobian", jacobian, fun, wrt, mode=mode, batch=batch)
    if sparsity is not None:
        from srcgrad.api.sparse import sparse_jacobian      # imports SciPy
        return sparse_jacobian(fun, wrt, mode, batch or BATCH, sparsity)
    key = ("jacobian", _key(wrt), mode, batch)
    made = _cache_get(fun, key)
    if made is not None:
        return made
    names, single = pipeline.normalise_wrt(fun, _key(wrt), distinct=True)
    wrt_key = _key(wrt)
    jvp_fn = _jvp_cached(fun, wrt_key) if mode in ("auto", "forward") else None
    vjp_fn = api.vjp(fun, wrt=wrt_key) if mode in ("auto", "reverse") else None
    jvpb_fn, why_not = None, "batch=None"
    if jvp_fn is not None and batch:
        jvpb_fn, why_not = _generate_batched(lambda: _jvp_cached(fun, wrt_key, batched=True))
    vjpb_fn, why_not_rev = None, "batch=None"
    if vjp_fn is not None and batch:
        vjpb_fn, why_not_rev = _generate_batched(lambda: _vjp_batched(fun, wrt_key))

    def jac(*args, **kwargs):
        call = _Call(fun, names, args, kwargs)
        if any(holds_complex(x) for x in call.values):
            _no_complex_jacobians(None)
        use_forward = mode == "forward"
        value = None
        if mode == "auto":
            # one primal run decides: forward when the input is smaller
            value = _primal(fun, args, kwargs)
            use_forward = sum(_size(x) for x in call.values) < _size(value)
        if use_forward:
            def looped():
                return _forward_columns(jvp_fn, call, single)
            if jvpb_fn is None or not sum(_size(x) for x in call.values):
                value, blocks = looped()
            else:
                value, blocks = _batched_or_loop(lambda: _forward_batched(jvpb_fn, call, batch),
                                                 looped, "jacobian")
        else:
            for n, x in zip(names, call.values):
                check_argument(x, n)     # (the batched pass differentiates the cotangent)
            if value is None:
                value = _primal(fun, args, kwargs)

            def looped_rows():
                return _reverse_rows(vjp_fn, call, single, value)
            if vjpb_fn is None or not _size(value) or not all(_size(x) for x in call.values):
                blocks = looped_rows()
            else:
                blocks = _batched_or_loop(
                    lambda: _reverse_batched(vjpb_fn, call, single, value, batch),
                    looped_rows, "jacobian")
        blocks = [_like(b, value, x) for b, x in zip(blocks, call.values)]
        return blocks[0] if single else tuple(blocks)

    jac.__name__ = jac.__qualname__ = f"jacobian_{_name(fun)}"
    jac.srcgrad_jacobian_of = (fun, wrt_key)
    jac.__wrapped_fun__ = fun
    jac.srcgrad_batched = jvpb_fn
    jac.srcgrad_batched_reverse = vjpb_fn
    if jvpb_fn is not None:
        fwd = (f"the batched jvp below, one pass per at most {batch} input elements, fewer "
               f"for large inputs (the unit directions as the last axis of its tangents)")
        jvp_piece = jvpb_fn
    else:
        fwd = f"one call of the jvp below per input element (not batched: {why_not})"
        jvp_piece = jvp_fn
    if vjpb_fn is not None:
        rev = (f"the batched vjp below (forward mode, batched, over the generated vjp w.r.t. "
               f"its cotangent), one pass per at most {batch} output elements (unit "
               f"cotangents as the last axis)")
        vjp_piece = vjpb_fn
    else:
        rev = f"one call of the vjp below per output element (not batched: {why_not_rev})"
        vjp_piece = vjp_fn
    how = {"forward": fwd, "reverse": rev,
           "auto": f"forward mode ({fwd}) when the input is smaller than the output, else "
                   f"reverse mode ({rev})"}
    pieces = [p for p in (jvp_piece, vjp_piece) if p is not None]
    _describe(jac, f"srcgrad.jacobian({_qualname(fun)}, mode={mode!r}): {how[mode]}",
              pieces, fun)
    return _cache_put(fun, key, jac)


# -- hvp and hessian ----------------------------------------------------------

def _hessian_batched(hb, call, single, batch):
    """``blocks[j][i] = d grad_i / d x_j`` by the batched hvp, ``batch``
    directions per pass."""
    total = sum(_size(x) for x in call.values)
    chunks = [[] for _ in call.values]
    step = _pass_size(batch, total)
    for start in range(0, total, step):
        K = min(step, total - start)
        hv = hb(*call.positional, *_unit_tangents(call, start, K), **call.keywords)
        hv = (hv,) if single else tuple(hv)
        for i, x in enumerate(call.values):
            chunks[i].append(_check_batched(hv[i], np.shape(x) + (K,), "hvp"))
    cols = [c[0] if len(c) == 1 else np.concatenate(c, axis=-1) for c in chunks]
    rows = [_split_columns(cols[i], call, np.shape(x)) for i, x in enumerate(call.values)]
    return [[rows[i][j] for i in range(len(call.values))] for j in range(len(call.values))]


def _jacobian_of_jacobian(jac, wrt):
    """``jacobian(jacobian(f, wrt=a), wrt=b)``: ``J2[i..., j..., k...] = d^2 f_i /
    d a_j d b_k``, of shape ``f.shape + a.shape + b.shape``, from the forward
    transform over the generated vjp of ``f`` (one call per output element and
    direction of ``b``: forward over reverse, like ``hvp``)."""
    fun, inner = jac.srcgrad_jacobian_of
    key = ("jacobian2", _key(inner), _key(wrt))
    made = _cache_get(fun, key)
    if made is not None:
        return made
    a_names, a_single = pipeline.normalise_wrt(fun, inner)
    b_names, b_single = pipeline.normalise_wrt(fun, _key(wrt))
    if not (a_single and b_single):
        raise SrcgradError("jacobian(jacobian(f)) differentiates with respect to one argument at "
                           "each level (wrt=a position or a name, not a tuple)")
    v = api.vjp(fun, wrt=inner)
    jv = _jvp_cached(v, b_names[0])

    def jac2(*args, **kwargs):
        call = _Call(fun, b_names, args, kwargs)
        a = _Call(fun, a_names, args, kwargs).values[0]
        b = call.values[0]
        value = _primal(fun, args, kwargs)
        if any(structured(x) for x in (a, b, value)) or holds_complex((a, b, value)):
            raise SrcgradError("jacobian(jacobian(f)) takes real arrays and floats")
        out = np.zeros(np.shape(value) + np.shape(a) + np.shape(b))
        flat = out.reshape(_size(value), _size(a), _size(b))
        for i, e in enumerate(_basis(value)):
            for k, t in enumerate(_basis(b)):
                _, (_, tangent) = jv(*call.positional, e, t, **call.keywords)
                flat[i, :, k] = np.ravel(tangent)
        return _like(float(out) if out.ndim == 0 else out, value, a, b)

    jac2.__name__ = jac2.__qualname__ = f"jacobian_{jac.__name__}"
    _describe(jac2, f"srcgrad.jacobian(srcgrad.jacobian({_qualname(fun)})): one call of the jvp "
                    f"below (forward over the generated vjp) per element of the result and "
                    f"direction", [jv], fun)
    return _cache_put(fun, key, jac2)


def hessian(fun=None, wrt=0, batch=BATCH, sparsity=None):
    """The Hessian of ``fun``'s scalar result with respect to ``wrt``: an
    array of shape ``x.shape + x.shape``; for a tuple ``wrt`` the blocks
    ``H[i][j]`` (shape ``x_i.shape + x_j.shape``), as ``jax.hessian``.
    Forward over reverse: one pass of the batched ``hvp`` per ``batch``
    elements of the arguments (``batch=None``: one ``hvp`` call per
    element).  ``sparsity`` (a symmetric ``scipy.sparse`` pattern, or
    ``"detect"``): a ``scipy.sparse.csr_matrix`` by star colouring, one
    batched hvp direction per colour (:mod:`srcgrad.api.sparse`)."""
    if fun is None:
        return functools.partial(hessian, wrt=wrt, batch=batch, sparsity=sparsity)
    if batch is not None and (not isinstance(batch, int) or batch < 0):
        raise SrcgradError(f"batch must be a positive int, or 0 or None (no batching), "
                           f"not {batch!r}")
    batch = batch or None
    if sparsity is None and takes_varargs(fun):
        return specialising("hessian", hessian, fun, wrt, batch=batch)
    if sparsity is not None:
        from srcgrad.api.sparse import sparse_hessian       # imports SciPy
        return sparse_hessian(fun, wrt, batch or BATCH, sparsity)
    key = ("hessian", _key(wrt), batch)
    made = _cache_get(fun, key)
    if made is not None:
        return made
    names, single = pipeline.normalise_wrt(fun, _key(wrt))
    h = hvp(fun, wrt=_key(wrt))
    hb, why_not = None, "batch=None"
    if batch:
        hb, why_not = _generate_batched(lambda: hvp_batched(fun, wrt=_key(wrt)))

    def hess(*args, **kwargs):
        call = _Call(fun, names, args, kwargs)
        if any(structured(x) for x in call.values):
            if not single:
                raise SrcgradError("hessian with respect to several arguments takes arrays and "
                                   "floats; for a dict, list or dataclass argument differentiate "
                                   "with respect to it alone (wrt=one argument)")
            return structured_hessian(call)
        if hb is not None and sum(_size(x) for x in call.values):
            blocks = _batched_or_loop(lambda: _hessian_batched(hb, call, single, batch),
                                      lambda: looped(call), "hessian")
        else:
            blocks = looped(call)
        # blocks[j][i] = d grad_i / d x_j
        v = call.values
        blocks = [[_like(b, v[i], v[j]) for i, b in enumerate(row)] for j, row in enumerate(blocks)]
        if single:
            return blocks[0][0]
        return tuple(tuple(blocks[j][i] for j in range(len(names))) for i in range(len(names)))

    def structured_hessian(call):
        """``H[p][q]``: the block of leaf ``p`` differentiated by leaf ``q``
        (each a key, index or field name, or a tuple of them for nested
        containers), of shape ``leaf_p.shape + leaf_q.shape``."""
        x = call.values[0]
        paths = list(leaf_paths(x))
        zero = zero_leaves(x)
        columns = {q: [] for q in paths}
        for q in paths:
            for e in _basis(leaf(x, q)):
                columns[q].append(h(*call.positional, with_leaf(zero, q, e), **call.keywords))

        def key(p):
            return p[0] if len(p) == 1 else p
        out = {}
        for p in paths:
            xp = leaf(x, p)
            out[key(p)] = {}
            for q in paths:
                xq = leaf(x, q)
                cols = np.asarray([np.asarray(leaf(hv, p), dtype=float) for hv in columns[q]])
                cols = cols.reshape((_size(xq),) + np.shape(xp))
                block = np.moveaxis(cols, 0, -1) if cols.ndim > 1 else cols
                out[key(p)][key(q)] = _like(_as_result(block, np.shape(xp), np.shape(xq)), xp, xq)
        return out

    def looped(call):
        zeros = [_zero(x) for x in call.values]
        blocks = []
        for j, xj in enumerate(call.values):
            columns = []
            for e in _basis(xj):
                v = list(zeros)
                v[j] = e
                hv = h(*call.positional, *v, **call.keywords)
                columns.append((hv,) if single else tuple(hv))
            row = []
            for i, xi in enumerate(call.values):
                cols = np.asarray([np.asarray(c[i], dtype=float) for c in columns], dtype=float)
                cols = cols.reshape((_size(xj),) + np.shape(xi))
                block = np.moveaxis(cols, 0, -1) if cols.ndim > 1 else cols
                row.append(_as_result(block, np.shape(xi), np.shape(xj)))
            blocks.append(row)
        return blocks

    hess.__name__ = hess.__qualname__ = f"hessian_{_name(fun)}"
    hess.srcgrad_batched = hb
    if hb is not None:
        how = (f"one pass of the batched hvp below (forward over reverse, the unit directions "
               f"as the last axis of its tangents) per at most {batch} input elements, fewer "
               f"for large inputs")
    else:
        how = (f"one call of the hvp below (forward over reverse) per input element "
               f"(not batched: {why_not})")
    _describe(hess, f"srcgrad.hessian({_qualname(fun)}): {how}", [hb or h], fun)
    return _cache_put(fun, key, hess)


DRIVER.provide(hvp=hvp)
