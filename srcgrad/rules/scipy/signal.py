"""Rules for scipy.signal: convolve, correlate, fftconvolve (n-d; modes
full, same, valid; ``method`` passed on).

Each is linear in each input.  The adjoint of a full convolution with respect
to ``in1`` is the ``valid`` correlation of its adjoint with ``in2`` (and the
other way round); for ``same`` and ``valid`` the adjoint is first put back
into the full shape (``uncrop``).  ``correlate(a, v)`` is
``convolve(a, np.flip(v))``.  The templates call the functions themselves,
so second order works.
"""

import numpy as np  # noqa: F401  (used in templates)
from scipy.signal import convolve, correlate, fftconvolve  # noqa: F401  (templates)

from srcgrad.rules.checks import defcheck
from srcgrad.rules.registry import defjvp, defvjp
from srcgrad.runtime.scipy_signal import crop, mode_unsupported, uncrop  # noqa: F401

# the adjoint of the result, in the full convolution's shape
G = "uncrop(g, in1, in2, mode=mode)"

defvjp(convolve, "in1, in2, mode='full', method='auto'",
       f"correlate({G}, in2, mode='valid', method=method)",
       f"correlate({G}, in1, mode='valid', method=method)")
defjvp(convolve, "convolve(t, in2, mode=mode, method=method)",
       "convolve(in1, t, mode=mode, method=method)")
defvjp(correlate, "in1, in2, mode='full', method='auto'",
       f"convolve({G}, in2, mode='valid', method=method)",
       f"np.flip(correlate({G}, in1, mode='valid', method=method))")
defjvp(correlate, "correlate(t, in2, mode=mode, method=method)",
       "correlate(in1, t, mode=mode, method=method)")
defvjp(fftconvolve, "in1, in2, mode='full', axes=None",
       f"fftconvolve({G}, np.flip(in2), mode='valid')",
       f"fftconvolve({G}, np.flip(in1), mode='valid')")
defjvp(fftconvolve, "fftconvolve(t, in2, mode=mode)", "fftconvolve(in1, t, mode=mode)")

# the full shape and back: linear, each the other's adjoint
defvjp(uncrop, "a, in1, in2, mode='full'", "crop(g, in1, in2, mode)")
defjvp(uncrop, "uncrop(t, in1, in2, mode)")
defvjp(crop, "a, in1, in2, mode='full'", "uncrop(g, in1, in2, mode)")
defjvp(crop, "crop(t, in1, in2, mode)")

#: the functions of scipy.signal given rules here
PRIMITIVES = (convolve, correlate, fftconvolve)
#: the runtime helpers given rules here (tests/test_lib_signal.py checks each one)
HELPER_RULES = (uncrop, crop)


def _mode(known):
    if "mode" in known:
        return mode_unsupported(known["mode"])
    return None


def _fftconvolve(known):
    if known.get("axes", 0) is not None:
        return ("scipy.signal.fftconvolve is differentiated over all axes (axes=None)",
                "convolve each slice, or use scipy.signal.convolve")
    return _mode(known)


defcheck(convolve, _mode)
defcheck(correlate, _mode)
defcheck(fftconvolve, _fftconvolve)
