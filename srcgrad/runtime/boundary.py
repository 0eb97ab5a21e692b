"""Types at the boundary of generated code: checks on the way in, types on the way out.

A derivative is taken with respect to floats, complex numbers, their arrays
and containers of them; anything else named in ``wrt`` is refused when the
generated function is called (``check_argument``, first thing in the
function), never coerced.  A complex argument makes the generated code call
its version for complex arguments (``check_argument`` and ``check_real``
return True; docs/complex.md).  On the way out, each derivative gets the
type of what it is the derivative of (``like_argument``, ``like_value``):
the argument's dtype (a float32 array gets a float32 gradient), its
container type; a complex derivative of a real argument is refused (a
value became complex where srcgrad could not see it).  Both return at once for the
common case (a float, a float64 array).  The other checks refuse, when the
code runs, what the source alone could not decide: a non-scalar result of
``grad``, a loop over a non-sequence, a subclass overriding an inlined method.

>>> like_argument(np.ones(2), np.zeros(2, dtype=np.float32), "x").dtype
dtype('float32')
>>> check_real(2.0, "x") is None, check_argument(np.ones(2) * 1j, "z")
(True, True)
"""

import copy

import numpy as np

from srcgrad.errors import ArgumentTypeError, NonScalarOutputError, SrcgradError, UnsupportedError
from srcgrad.runtime.base import is_record
from srcgrad.runtime.structure import restructure


def check_argument(x, name):
    """Refuse argument ``name`` (named in ``wrt``) unless it is a float, a
    complex number, a floating-point or complex array or scalar, or a
    container of them; returns True when it holds complex numbers (the
    generated code then calls its version for complex arguments)."""
    t = type(x)
    if t is float or t is np.ndarray and x.dtype.kind == "f":
        return None
    return _check_argument(x, name, name)


def _type_name(x):
    if isinstance(x, np.ndarray):
        return f"an array of dtype {x.dtype}"
    if isinstance(x, np.generic):
        return f"a NumPy {type(x).__name__}"
    if x is None:
        return "None"
    name = type(x).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _check_argument(x, name, where, top=True):
    if isinstance(x, (float, np.floating)):
        return None
    if isinstance(x, np.ndarray):
        kind = x.dtype.kind
        if kind == "f":
            return None
        if kind == "c":
            return True
        if top:
            raise ArgumentTypeError(
                f"cannot differentiate with respect to '{name}': it is {_type_name(x)}, not "
                f"floating point\n  hint: pass {name}.astype(float) to differentiate with respect "
                f"to it, or differentiate with respect to another argument (wrt=...)")
        return None                # an integer array in a container: a number (see docs/modes.md)
    if isinstance(x, (complex, np.complexfloating)):
        return True
    if isinstance(x, (list, tuple)):
        return any([_check_argument(e, name, f"{where}[{i}]", False) for i, e in enumerate(x)]) or None
    if isinstance(x, dict):
        return any([_check_argument(e, name, f"{where}[{k!r}]", False) for k, e in x.items()]) or None
    if is_record(x) and not isinstance(x, type(np)):          # (a module is no record)
        return any([_check_argument(e, name, f"{where}.{k}", False)
                    for k, e in vars(x).items()]) or None
    if not top:
        return None                # other leaves (str, None, bool, int) carry no derivative
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
    return UnsupportedError(
        f"{what} is complex, but the value it belongs to is real: a value became complex where "
        f"srcgrad could not follow it (a negative Python float raised to a fractional power, "
        f"a library function that returned a complex number)\n  hint: keep that computation "
        f"real (float arrays: NumPy gives nan for a negative number to a fractional power), or "
        f"make the value complex where it starts (docs/complex.md)")


def _like_argument(d, x, name):
    if d is None:
        return d
    if isinstance(x, (complex, np.complexfloating)) or \
            isinstance(x, np.ndarray) and x.dtype.kind == "c":
        # a complex argument: a complex derivative (docs/complex.md)
        if isinstance(x, np.ndarray):
            if np.shape(d) == x.shape and getattr(d, "dtype", None) != x.dtype:
                return np.asarray(d, dtype=x.dtype)
            if np.ndim(d) == 0 and x.ndim > 0:
                return np.full(x.shape, d, dtype=x.dtype)
            return d
        return type(x)(d) if np.ndim(d) == 0 else d
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
    if isinstance(x, (list, tuple, dict)) or is_record(x):
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
    if is_record(x) and is_record(d):
        out = None
        for k, a in vars(d).items():
            if hasattr(x, k):
                p = _like_argument(a, getattr(x, k), f"{name}.{k}")
                if p is not a:
                    if out is None:
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
    if holds_complex(value) and not isinstance(value, (list, tuple, dict)):
        return t                       # a complex result: a complex tangent
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
    """Whether argument ``name``, not differentiated but read by a
    differentiated operation, holds complex numbers (the generated code then
    calls its version for complex arguments)."""
    t = type(x)
    if t is float or t is int or t is np.ndarray and x.dtype.kind != "c":
        return None
    return holds_complex(x) or None


def real_only(x, name):
    """In a gradient srcgrad generated, inlined into code being
    differentiated: its argument ``name`` must be real (the inlined code is
    its version for real arguments; a complex one would get a wrong
    derivative)."""
    t = type(x)
    if t is float or t is int or t is np.ndarray and x.dtype.kind != "c":
        return
    if holds_complex(x):
        raise UnsupportedError(
            f"a gradient srcgrad generated is called with a complex '{name}' inside a function "
            f"being differentiated; its derivative there is not supported",
            hint="differentiate the gradient itself (srcgrad.hvp, srcgrad.jvp(srcgrad.grad(f)), "
                 "srcgrad.vjp(srcgrad.grad(f))), or pass the real and imaginary parts as "
                 "separate float arguments (docs/complex.md)")


def check_unpack(v, n):
    """Raise Python's ValueError unless ``v`` has ``n`` items: ``a, b = v``
    reads ``v[0]`` and ``v[1]`` in generated code, which would not notice
    a third item (or a missing one) the way Python's unpacking does."""
    try:
        size = len(v)
    except TypeError:
        return                          # (an iterator: its items are read one by one)
    if size > n:
        raise ValueError(f"too many values to unpack (expected {n})")
    if size < n:
        raise ValueError(f"not enough values to unpack (expected {n}, got {size})")


def holds_complex(x):
    """Whether ``x`` is a complex number or array, or a container holding one."""
    if isinstance(x, (complex, np.complexfloating)):
        return True
    if isinstance(x, np.ndarray):
        return x.dtype.kind == "c"
    if isinstance(x, (list, tuple)):
        return any(holds_complex(e) for e in x)
    if isinstance(x, dict):
        return any(holds_complex(e) for e in x.values())
    if is_record(x) and not isinstance(x, type(np)):
        return any(holds_complex(e) for e in vars(x).values())
    return False


def check_scalar(value):
    """Raise unless ``value`` is a real scalar (the result ``grad`` differentiates)."""
    if type(value) is float:
        return
    try:
        ndim = np.ndim(value)
    except (ValueError, TypeError, AttributeError):     # (a ragged tuple)
        raise NonScalarOutputError(
            f"grad needs a function with a scalar result, but this call returned a "
            f"{type(value).__name__}; use srcgrad.vjp (reverse) or srcgrad.jvp (forward) for "
            f"non-scalar results") from None
    if ndim == 0:
        if isinstance(value, (complex, np.complexfloating)) or \
                isinstance(value, np.ndarray) and value.dtype.kind == "c":
            raise NonScalarOutputError(
                "grad needs a function with a real result, but this call returned a complex "
                "number\n  hint: differentiate np.real(...), np.abs(...) or np.abs(...) ** 2 of "
                "it, or use srcgrad.vjp (reverse) or srcgrad.jvp (forward) for a complex result "
                "(docs/complex.md)")
        return
    raise NonScalarOutputError(
        f"grad needs a function with a scalar result, but this call returned an array of "
        f"shape {np.shape(value)}; use srcgrad.vjp (reverse) or srcgrad.jvp (forward) for non-scalar results")


def number_sequence(x):
    """Whether ``x`` is a list or tuple of Python numbers or a 1-D float or
    int array: what the specialised version of a gradient assumes of a
    parameter it only reads element by element (``analysis/rank_guesses.py``,
    ``sequence_candidates``), checked by its guard.

    >>> import numpy as np
    >>> number_sequence([1.0, 2, 3.5]), number_sequence(np.arange(3.0)), number_sequence([1.0, [2.0]])
    (True, True, False)
    """
    t = type(x)
    if t is np.ndarray:
        return x.ndim == 1 and x.dtype.kind in "fi"
    if t is list or t is tuple:
        return _NUMBER_TYPES.issuperset(map(type, x))     # (no Python loop: it runs per call)
    return False


_NUMBER_TYPES = frozenset((float, int, np.float64))


def check_sequence(x, name):
    """Generated code reads ``for e in x`` as ``x[0], x[1], ...``: right for
    lists, tuples, arrays and ranges, not for what Python iterates otherwise
    (a dict's keys, a set, an iterator); see ``normalise.desugar_for``."""
    if isinstance(x, (dict, set, frozenset)) or not hasattr(x, "__getitem__") or \
            not hasattr(x, "__len__"):
        raise UnsupportedError(
            f"the loop over {name!r} was differentiated for a sequence (list, tuple, array), "
            f"but {name!r} is a {type(x).__name__}",
            hint=f"iterate over {name}.keys() for a dict's keys" if isinstance(x, dict)
            else f"iterate over sorted({name}) or list({name})" if isinstance(x, (set, frozenset))
            else "pass a list, tuple or array")


def check_method(obj, cls, name):
    """Generated code calls ``cls.name`` for ``obj.name``: make sure ``obj``
    does not override it (a subclass's method was not what was inlined)."""
    if getattr(type(obj), name, None) is not getattr(cls, name):
        raise SrcgradError(
            f"the gradient was generated for {cls.__qualname__}.{name}, but this "
            f"{type(obj).__qualname__} overrides {name}: differentiate the subclass's "
            f"method (srcgrad.grad({type(obj).__qualname__}.<method>))")
