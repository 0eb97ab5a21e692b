"""Helpers of the ``np.fft`` rules: axes cut or zero-padded to a length, the
axes and lengths a transform works on, the weights of ``irfft``'s adjoint.

Every transform of ``np.fft`` is linear; its adjoint (docs/complex.md) is the
same kind of transform of the result's adjoint, cut back (or zero-padded
back) to the argument's lengths where ``n=``/``s=`` padded (cut) it.

>>> fit_axes(np.arange(4.0), (6,), (-1,)).tolist()
[0.0, 1.0, 2.0, 3.0, 0.0, 0.0]
>>> fit_axes_dx(np.arange(6.0), np.zeros(4), (-1,)).tolist()
[0.0, 1.0, 2.0, 3.0]
>>> fft_axes(np.zeros((2, 3, 4)), (5, 6), None), fft_sizes(np.zeros((2, 3, 4)), None, (0, 2))
((1, 2), (2, 4))
>>> irfft_weights(np.zeros(6), -1, "forward").tolist(), irfft_weights(np.zeros(5), -1, "forward").tolist()
([1.0, 2.0, 2.0, 1.0], [1.0, 2.0, 2.0])
"""

import numpy as np


def fit_axes(x, lengths, axes):
    """``x`` with axis ``axes[k]`` cut to, or zero-padded to, ``lengths[k]``
    (what ``np.fft.fft(x, n)`` does to its argument before transforming)."""
    x = np.asarray(x)
    for n, ax in zip(lengths, axes):
        m = x.shape[ax]
        if n < m:
            index = [slice(None)] * x.ndim
            index[ax] = slice(0, n)
            x = x[tuple(index)]
        elif n > m:
            widths = [(0, 0)] * x.ndim
            widths[ax] = (0, n - m)
            x = np.pad(x, widths)
    return x


def fit_axes_dx(g, x, axes):
    """``g`` with the lengths of ``x`` along ``axes`` (all axes for None):
    the adjoint of :func:`fit_axes`, and how every FFT adjoint returns to its
    argument's shape."""
    shape = np.shape(x)
    if axes is None:
        axes = range(len(shape))
    axes = tuple(axes)
    return fit_axes(g, tuple(shape[a] for a in axes), axes)


def fft_axes(a, s, axes):
    """The axes ``np.fft.fftn(a, s, axes)`` transforms."""
    if axes is not None:
        return tuple(axes)
    nd = np.ndim(a)
    if s is None:
        return tuple(range(nd))
    return tuple(range(nd - len(s), nd))


def fft_sizes(a, s, axes):
    """The transform lengths of ``np.fft.rfftn(a, s, axes)`` along its axes
    (``s``, or ``a``'s own lengths)."""
    if s is not None:
        return tuple(s)
    shape = np.shape(a)
    return tuple(shape[ax] for ax in fft_axes(a, s, axes))


def irfft_weights(ans, axes, norm):
    """The weights of the half spectrum in the adjoint of ``np.fft.irfft``
    (``irfftn``; ``ans`` its result, over ``axes``): 1 for the zero frequency
    (and the Nyquist frequency of an even length), 2 for the others, which
    each stand for two conjugate frequencies, along the last of ``axes``,
    times the scale of ``norm`` (``1/n``, ``1/sqrt(n)`` or 1 for the product
    ``n`` of the lengths); shaped to broadcast against the half spectrum."""
    shape = np.shape(ans)
    axes = (axes,) if np.ndim(axes) == 0 else tuple(axes)
    last = axes[-1] % len(shape)
    n = shape[last]
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    size = float(np.prod([shape[a] for a in axes]))
    scale = {None: 1.0 / size, "backward": 1.0 / size, "ortho": 1.0 / np.sqrt(size),
             "forward": 1.0}[norm]
    out = [1] * len(shape)
    out[last] = w.size
    return (w * scale).reshape(out)
