"""What ``jacobian``, ``hessian`` and the sparse versions share: a call's
arguments bound as the generated functions take them, batch sizes, the
generated batched ``vjp`` and ``hvp`` (with their caches), and running a
batched pass with the one-direction-at-a-time loop as fallback.
"""

import copy
import functools
import inspect
import math
import warnings
import weakref

import numpy as np

from srcgrad.api import reverse as api
from srcgrad.api.classes import PerClass
from srcgrad.api.driver import DRIVER
from srcgrad.api.variadic import specialising, takes_varargs
from srcgrad.compiler import pipeline
from srcgrad.compiler.boundary import Boundary
from srcgrad.compiler.pipeline import forward_transform
from srcgrad.runtime.base import is_record
from srcgrad.errors import SrcgradError

MODES = ("auto", "forward", "reverse")

#: at most this many directions per batched pass (jacobian and hessian) ...
BATCH = 256
#: ... and fewer for large inputs: a pass's tangents of the inputs then hold
#: about this many numbers (512 KB), so that the batched arrays stay in cache
#: (the Hessian of Rosenbrock n=1000 takes 8 ms with 64 directions per pass,
#: 62 ms with 256); never fewer than MIN_BATCH directions
CACHE_ELEMENTS = 1 << 16
MIN_BATCH = 16


def _pass_size(batch, total):
    """Directions per batched pass for ``total`` input elements."""
    return max(1, min(batch, total, max(MIN_BATCH, CACHE_ELEMENTS // max(total, 1))))


# -- caching ------------------------------------------------------------------

_cache_get, _cache_put, _key = pipeline.cache_get, pipeline.cache_put, pipeline.wrt_key


# -- arguments ----------------------------------------------------------------

class _Call:
    """One call's arguments, bound to ``fun``'s signature and split as the
    generated jvp, vjp and hvp take them (``signature.with_extra_parameters``):
    ``positional``, the values of the positional parameters without a
    default (the directions or the cotangent go after them), and
    ``keywords``, those of the parameters with a default and of the
    keyword-only ones (defaults filled in)."""

    def __init__(self, fun, names, args, kwargs):
        sig = _signature(fun)
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        P = inspect.Parameter
        self.positional, self.keywords = [], {}
        for p in sig.parameters.values():
            if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
                self.positional.append(bound.arguments[p.name])
            elif p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY):
                self.keywords[p.name] = bound.arguments[p.name]
            else:
                raise SrcgradError(f"{_qualname(fun)} takes *args or **kwargs")
        self.names = names
        for n in names:
            if sig.parameters[n].kind is P.KEYWORD_ONLY:
                raise SrcgradError(f"jacobian, hvp and hessian differentiate positional "
                                   f"parameters; {n!r} is keyword-only")
        self.values = [bound.arguments[n] for n in names]


_SIGNATURES = weakref.WeakKeyDictionary()


def _signature(fun):
    try:
        return _SIGNATURES[fun]
    except (KeyError, TypeError):
        sig = inspect.signature(fun)
    try:
        _SIGNATURES[fun] = sig
    except TypeError:
        pass
    return sig


def _underlying(fun):
    """The function a ``functools.partial`` or a bound method calls."""
    while isinstance(fun, functools.partial):
        fun = fun.func
    return getattr(fun, "__func__", fun)


def _name(fun):
    return getattr(_underlying(fun), "__name__", "function")


def _qualname(fun):
    return getattr(_underlying(fun), "__qualname__", _name(fun))


def _zero(x):
    return 0.0 if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else np.zeros(np.shape(x))


def _basis(x):
    """The unit directions of ``x``'s shape, in C order (a Python float for a
    Python-float ``x``)."""
    shape = np.shape(x)
    if not shape and not isinstance(x, np.ndarray):
        yield 1.0
        return
    for k in range(int(np.prod(shape))):
        e = np.zeros(int(np.prod(shape)))
        e[k] = 1.0
        yield e.reshape(shape)


def _size(x):
    return math.prod(np.shape(x))


# -- structured arguments (dicts, lists, tuples, dataclasses, named tuples) ----------

def structured(x):
    """Whether ``x`` is a container of arrays and floats rather than one."""
    return isinstance(x, (dict, list, tuple)) or is_record(x)


def leaf_paths(x, prefix=()):
    """The paths (tuples of keys, indices or field names) of ``x``'s float
    and floating-point array leaves, in order."""
    if isinstance(x, dict):
        items = x.items()
    elif isinstance(x, (list, tuple)):
        items = zip(getattr(x, "_fields", range(len(x))), x)
    elif is_record(x):
        items = vars(x).items()
    else:
        if isinstance(x, (float, np.floating)) or isinstance(x, np.ndarray) and \
                x.dtype.kind == "f":
            yield prefix
        return
    for k, v in items:
        yield from leaf_paths(v, prefix + (k,))


def leaf(x, path):
    """The leaf of ``x`` at ``path``."""
    for k in path:
        x = x[k] if isinstance(x, dict) or isinstance(x, (list, tuple)) and \
            not isinstance(k, str) else getattr(x, k)
    return x


def with_leaf(x, path, value):
    """A copy of ``x`` (its containers copied along ``path``) with ``value``
    at ``path``."""
    if not path:
        return value
    k, rest = path[0], path[1:]
    if isinstance(x, dict):
        out = dict(x)
        out[k] = with_leaf(x[k], rest, value)
        return out
    if isinstance(x, (list, tuple)):
        i = x._fields.index(k) if isinstance(k, str) else k
        parts = list(x)
        parts[i] = with_leaf(x[i], rest, value)
        return type(x)._make(parts) if hasattr(x, "_fields") else type(x)(parts)
    out = copy.copy(x)
    object.__setattr__(out, k, with_leaf(getattr(x, k), rest, value))
    return out


def zero_leaves(x):
    """``x`` with every float and floating-point array leaf zero."""
    for p in leaf_paths(x):
        x = with_leaf(x, p, _zero(leaf(x, p)))
    return x


def _as_result(rows, out_shape, in_shape):
    """Stack ``rows`` into an array of shape ``out_shape + in_shape`` (a
    Python float for a scalar of scalar)."""
    J = np.asarray(rows, dtype=float)
    if not out_shape and not in_shape:
        return float(J.reshape(()))
    return J.reshape(tuple(out_shape) + tuple(in_shape))


def _like(block, *values):
    """``block`` (float64) in the floating dtype of ``values`` (the result
    and the argument of a Jacobian block): float32 ones give float32."""
    dtypes = [v.dtype for v in values if isinstance(v, (np.ndarray, np.floating))
              and v.dtype.kind == "f"]
    if not dtypes:
        return block
    dtype = np.result_type(*dtypes)
    if dtype == np.float64:
        return block
    return block.astype(dtype) if isinstance(block, np.ndarray) else dtype.type(block)


def _describe(made, what, pieces, fun):
    """Give a wrapper ``made`` what ``srcgrad.source`` reads: the source of the
    generated functions it calls, headed by a comment saying how."""
    texts = [f"# {what}"]
    injected = {}
    for p in pieces:
        if isinstance(p, PerClass) and not p.versions:
            texts.append(f"# {p.__name__}: made for the classes of {', '.join(p.params)} "
                         f"when called (srcgrad.source({p.__name__}) shows those made)")
            continue
        texts.append(api.source(p))
        injected.update(getattr(p, "srcgrad_injected", {}))
    made.srcgrad_source = "\n\n".join(texts)
    made.srcgrad_injected = injected
    made.__doc__ = f"Generated by srcgrad from {_qualname(fun)} ({what.split(':')[0]})."
    made.__module__ = fun.__module__
    return made



# -- batched passes -----------------------------------------------------------

def _check_batched(t, shape, what):
    t = np.asarray(t, dtype=float)
    if t.shape != shape:
        raise ValueError(f"the batched {what} returned a tangent of shape {t.shape}, "
                         f"expected {shape}")
    return t


def _batched_or_loop(batched, looped, what):
    """Run ``batched()``; if it fails, warn with the reason and run ``looped()``
    (one generated pass per direction, always right)."""
    try:
        return batched()
    except SrcgradError:            # a refusal (an argument's type ...): the loop refuses too
        raise
    except Exception as e:          # noqa: BLE001  (any failure: the loop is exact)
        warnings.warn(f"srcgrad.{what}: the batched pass failed ({type(e).__name__}: "
                      f"{e}); computing it one direction at a time", RuntimeWarning,
                      stacklevel=3)
        return looped()


def _generate_batched(make):
    """``(function, None)``, or ``(None, reason)`` when the batched code
    cannot be generated."""
    try:
        return make(), None
    except Exception as e:          # noqa: BLE001
        return None, f"{type(e).__name__}: {e}"


def _vjp_batched(fun, wrt):
    """The batched vjp of ``fun``: ``vjpb(*positional, cotangent, t_cotangent,
    **keywords)`` returns the cotangents of the ``wrt`` arguments for the
    ``K`` cotangents of the result on the last axis of ``t_cotangent`` (each
    an array of the argument's shape plus that axis).  It is the batched
    forward transform applied to the generated vjp (no value) with respect to
    its cotangent: the vjp is linear in it, so the tangent of its result is
    ``J^T`` applied to the block, and the reverse sweep runs once with the
    ``K`` cotangents on a last axis (the primal sweep once; ``cotangent`` is
    passed as zeros)."""
    key = ("vjp_batched", _key(wrt))
    made = _cache_get(fun, key)
    if made is not None:
        return made
    names, single = pipeline.normalise_wrt(fun, _key(wrt), distinct=True)
    v = api_vjp_no_value(fun, names, single)
    P = inspect.Parameter
    cot = [p.name for p in _signature(v).parameters.values()          # the last one without
           if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD) and p.default is p.empty][-1]
    made = forward_transform(v, [cot], DRIVER, with_value=False, batched=True,
                             name=f"vjp_batched_{_name(fun)}",
                             boundary=Boundary((cot,), "cotangents", False))
    made.__doc__ = (f"Generated by srcgrad from {_qualname(fun)} (batched reverse mode: forward "
                    f"mode, batched, over its generated vjp, w.r.t. the cotangent).")
    return _cache_put(fun, key, made)


def api_vjp_no_value(fun, names, single):
    """The generated vjp of ``fun`` returning the cotangents only."""
    key = ("vjp_no_value", tuple(names))
    made = _cache_get(fun, key)
    if made is None:
        made = _cache_put(fun, key, pipeline.reverse_transform(
            fun, list(names), DRIVER, with_value=False, as_tuple=not single, cotangent=True))
    return made



# -- hvp ----------------------------------------------------------------------

def hvp(fun=None, wrt=0):
    """The Hessian-vector product of ``fun``'s scalar result, by forward mode
    over the generated reverse-mode gradient.

    Returns a generated function taking ``fun``'s positional parameters
    without a default, then one direction per ``wrt`` argument (``t_<name>``,
    of that argument's shape); ``fun``'s parameters with a default are
    keyword-only in it, with the same defaults (docs/modes.md).  It returns
    ``H v``: the directional derivative of the gradient (a tuple for a tuple
    ``wrt``).  One forward pass over the gradient's code, about two
    to four times the cost of the gradient; ``srcgrad.source(h)`` shows it."""
    if fun is None:
        return functools.partial(hvp, wrt=wrt)
    if takes_varargs(fun):
        return specialising("hvp", hvp, fun, wrt)
    return _hvp(fun, wrt, batched=False)


def _hvp(fun, wrt, batched):
    """The generated hvp (batched: directions on a last axis), cached."""
    kind = "hvp_batched" if batched else "hvp"
    key = (kind, _key(wrt))
    made = _cache_get(fun, key)
    if made is not None:
        return made
    names, single = pipeline.normalise_wrt(fun, _key(wrt), distinct=True)
    g = api.grad(fun, wrt=_key(wrt))

    def make(gradient, name):
        out = forward_transform(gradient, names, DRIVER, with_value=False, name=name,
                                batched=batched, boundary=Boundary(names, "derivatives", not single))
        out.srcgrad_gradient = gradient
        return out
    if isinstance(g, PerClass):        # osc.energy(x): forward over each class's gradient
        made = PerClass(fun, g.params, lambda classes, name: make(g.for_classes(**classes), name),
                        f"{kind}_{_name(fun)}", False)
        return _cache_put(fun, key, made)
    made = make(g, f"{kind}_{_name(fun)}")
    how = ", batched: forward mode over its generated gradient, directions on a last axis" \
        if batched else ": forward mode over its generated gradient"
    made.__doc__ = f"Generated by srcgrad from {_qualname(fun)} (srcgrad.hvp{how})."
    return _cache_put(fun, key, made)


def hvp_batched(fun, wrt=0):
    """:func:`hvp` for a batch of directions in one pass: each direction
    argument has its argument's shape plus a last axis of ``K`` directions,
    and so has each ``H V`` returned (forward mode, batched, over the
    generated gradient)."""
    if takes_varargs(fun):
        return specialising("hvp_batched", hvp_batched, fun, wrt)
    return _hvp(fun, wrt, batched=True)
