"""What the runtime helpers share: the scalar types, axes, refusals.

Every other module of :mod:`srcgrad.runtime` may import these; this one
imports nothing of srcgrad's but its errors.  ``publish`` gives the helpers
their public module name (see :mod:`srcgrad.runtime`).

>>> sorted_axes(-1, 3)
(2,)
>>> keep_reduced(np.zeros(3), np.zeros((2, 3)), 0, False).shape
(1, 3)
"""

import inspect
import sys

import numpy as np

from srcgrad.errors import UnsupportedError


SCALARS = (float, int)


def sorted_axes(axis, ndim):
    """``axis`` (None, an int or a tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if not ndim:
        return ()
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes))


def keep_reduced(v, x, axis, keepdims):
    """The result ``v`` of a reduction of ``x`` over ``axis``, with the reduced
    axes kept (size 1), so that it broadcasts against ``x``."""
    v = np.asarray(v)
    if keepdims or np.ndim(x) == 0:
        return v
    if v.ndim == 0:       # (a scalar standing for a constant reduced array)
        return np.reshape(v, (1,) * np.ndim(x))
    return np.reshape(v, [1 if i in sorted_axes(axis, np.ndim(x)) else n
                          for i, n in enumerate(np.shape(x))])


def inexact(x):
    """``x`` as a floating or complex array (an integer or boolean one
    becomes float): how adjoints are read without dropping an imaginary part."""
    a = np.asarray(x)
    return a if a.dtype.kind in "fc" else a.astype(float)


def mT(x):
    """The transpose of the last two axes (NumPy's ``x.mT``)."""
    return np.swapaxes(x, -1, -2)


def is_record(x):
    """A dataclass instance or a plain object with attributes (not a number,
    string or array)."""
    return hasattr(x, "__dict__") and not isinstance(x, (np.ndarray, np.generic, type)) \
        and not callable(x)


def unsupported(message, hint=None):
    """The error for a derivative srcgrad does not know, found at run time
    (the arguments that decide it were not constants in the source);
    ``message`` may be a ``(message, hint)`` pair (no ``*`` needed: helpers
    with refusals are differentiated from their source)."""
    if isinstance(message, tuple):
        message, hint = message
    return UnsupportedError("srcgrad: " + message + (f" ({hint})" if hint else ""))


def publish(namespace, name):
    """Give each helper function of ``namespace`` (the globals of
    :mod:`srcgrad.runtime` or :mod:`srcgrad.runtime.forward`) the module
    ``name``, the one its users import it from: rule names
    (``srcgrad.runtime.unbroadcast``) and the optimiser's list of helpers that
    change their arguments go by it.  A function another namespace published
    first keeps its name; classes keep theirs (``inspect.getsource`` finds a
    class through its module)."""
    for value in namespace.values():
        if inspect.isfunction(value) and value.__module__.startswith("srcgrad.runtime.") and \
                vars(sys.modules[value.__module__]) is value.__globals__:
            value.__module__ = name
