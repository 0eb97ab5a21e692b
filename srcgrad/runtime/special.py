"""Shapes for the adjoints of scipy.special's reductions (logsumexp).

Only :mod:`srcgrad.rules.scipy.special` imports this module; it needs
nothing but NumPy, so exported gradient code can carry it along.

>>> kept_shape(np.zeros((2, 3)), 1.0, 1)
(2, 1)
>>> kept_shape(np.zeros(3), np.ones((4, 1)), None)
(1, 1)
"""

import numpy as np

from srcgrad.runtime.base import sorted_axes, unsupported


def kept_shape(a, b, axis):
    """The shape of ``logsumexp(a, axis, b=b, keepdims=True)``: the
    broadcast shape of ``a`` and ``b`` with the reduced axes of size 1, so
    that the result (with or without ``keepdims``), reshaped to it,
    broadcasts against the terms of the sum."""
    if b is None:
        raise unsupported("scipy.special.logsumexp's b=None reached srcgrad through a name",
                          "leave b out for weights of one")
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    axes = sorted_axes(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))
