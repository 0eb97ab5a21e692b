"""Derivatives of np.pad: of the array and of ``constant_values``.

Modes that copy elements (constant, edge, reflect, symmetric, wrap) send each
element the adjoints of its copies; the other linear modes (mean, odd
reflection) use the transposed linear map.  Other modes are refused
(``pad_unsupported`` says why, also to the rules at transformation time).

>>> pad_dx(np.arange(5.0), np.ones(3), 1)
array([1., 2., 3.])
"""

import numpy as np

from srcgrad.runtime.base import unsupported
from srcgrad.runtime.broadcast import unbroadcast


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


def pad_dx(g, array, pad_width, mode="constant", stat_length=None, reflect_type="even"):
    """Adjoint of ``array`` in ``np.pad(array, pad_width, mode)``, for every
    ``pad_width`` form NumPy accepts (an int, ``(n,)``, ``(before, after)``,
    one pair per axis).  Modes that copy elements (constant, edge, reflect,
    symmetric, wrap): each element gets the adjoints of its copies; the other
    linear modes (mean, odd reflection): the transposed linear map.  Other
    modes raise ``UnsupportedError``."""
    problem = pad_unsupported(mode, reflect_type)
    if problem:
        raise unsupported(problem)
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


def pad_tangent(t, pad_width, mode="constant", stat_length=None, reflect_type="even"):
    """Tangent of ``array`` in ``np.pad(array, pad_width, mode)`` (the
    linear modes: constants pad with zeros, the others pad ``t`` alike)."""
    problem = pad_unsupported(mode, reflect_type)
    if problem:
        raise unsupported(problem)
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
