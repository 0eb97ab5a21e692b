"""Smooth a noisy signal by fitting it through an FFT low-pass filter with learned weights.

The model is plain NumPy with complex numbers in the middle: the signal's spectrum
(``np.fft.rfft``), weighted per frequency by a smooth parametric filter, and transformed
back (``np.fft.irfft``).  srcgrad differentiates through the complex values (JAX's
convention, docs/complex.md); the gradient of the real loss with respect to the real
parameters is real.  We print the generated gradient, check it against finite differences,
and fit the filter with ``scipy.optimize.minimize``.

Run:  python examples/spectral_smoothing.py
"""

import numpy as np
import scipy.optimize

import srcgrad

N = 128
T = np.linspace(0.0, 1.0, N, endpoint=False)
RNG = np.random.default_rng(5)
CLEAN = np.sin(2 * np.pi * 3 * T) + 0.5 * np.sin(2 * np.pi * 7 * T)
NOISY = CLEAN + 0.4 * RNG.normal(size=N)
FREQ = np.fft.rfftfreq(N, d=1.0 / N)


def smooth(params, signal):
    """The signal through a low-pass filter of cut-off exp(params[0]) and sharpness exp(params[1])."""
    cutoff, sharpness = np.exp(params[0]), np.exp(params[1])
    gain = 1.0 / (1.0 + (FREQ / cutoff) ** (2.0 * sharpness))
    return np.fft.irfft(np.fft.rfft(signal) * gain, n=N)


def loss(params):
    """Squared error against the clean signal (known here, to learn the filter)."""
    return np.mean((smooth(params, NOISY) - CLEAN) ** 2)


def main():
    d_loss = srcgrad.grad(loss)
    print(srcgrad.source(d_loss).split("\n\n\n")[-1])
    p0 = np.array([np.log(20.0), 0.0])
    srcgrad.check_grad(loss, p0)
    assert d_loss(p0).dtype == np.float64                  # real parameters: a real gradient
    fit = scipy.optimize.minimize(loss, p0, jac=d_loss, method="BFGS")
    print(f"cut-off {np.exp(fit.x[0]):.2f}, sharpness {np.exp(fit.x[1]):.2f}: error "
          f"{loss(p0):.4f} -> {fit.fun:.4f} in {fit.nit} iterations")
    assert fit.fun < 0.7 * loss(p0), "the filter did not improve"


if __name__ == "__main__":
    main()
