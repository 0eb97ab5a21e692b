"""Adjoints of scipy.signal's convolutions: the part of the full result a
mode keeps, and its adjoint.

A convolution's result in mode ``same`` or ``valid`` is the centre of the
``full`` one (SciPy's ``_centered``): ``crop`` cuts it out, ``uncrop`` puts
an adjoint back into a zero array of the full shape.  The adjoint of a full
convolution with respect to one input is the ``valid`` correlation of the
result's adjoint with the other input, so the rules
(``srcgrad/rules/scipy/signal.py``) are one line each.  Needs only NumPy;
imported only from those rules.

>>> uncrop(np.array([1.0, 2.0]), np.zeros(2), np.zeros(3), "same")
array([0., 1., 2., 0.])
>>> crop(np.arange(4.0), np.zeros(3), np.zeros(2), "valid")
array([1., 2.])
"""

import numpy as np

from srcgrad.runtime.base import unsupported

MODES = ("full", "same", "valid")


def mode_unsupported(mode):
    """``(message, hint)`` for a mode that is none of SciPy's, or None."""
    if mode in MODES:
        return None
    return (f"scipy.signal's convolutions are differentiated with mode 'full', 'same' or "
            f"'valid', not {mode!r}", None)


def _window(in1, in2, mode):
    """The full shape and the slices of it that ``mode`` keeps."""
    problem = mode_unsupported(mode)
    if problem:
        raise unsupported(problem)
    s1, s2 = np.shape(in1), np.shape(in2)
    if len(s1) != len(s2):
        raise unsupported("scipy.signal's convolutions are differentiated for inputs with "
                          "the same number of dimensions")
    full = tuple(a + b - 1 for a, b in zip(s1, s2))
    if mode == "full":
        kept = full
    elif mode == "same":
        kept = s1
    else:
        kept = tuple(abs(a - b) + 1 for a, b in zip(s1, s2))
    starts = [(f - k) // 2 for f, k in zip(full, kept)]
    return full, tuple(slice(s, s + k) for s, k in zip(starts, kept))


def crop(a, in1, in2, mode="full"):
    """The part of the full convolution ``a`` of ``in1`` and ``in2`` that
    ``mode`` keeps (linear in ``a``)."""
    full, window = _window(in1, in2, mode)
    return np.asarray(a)[window]


def uncrop(a, in1, in2, mode="full"):
    """Adjoint of :func:`crop`: ``a`` in the kept part of a zero array of the
    full shape."""
    full, window = _window(in1, in2, mode)
    if mode == "full":
        return np.asarray(a)
    out = np.zeros(full, dtype=np.result_type(a, float))
    out[window] = a
    return out
