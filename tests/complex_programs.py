"""Programs with complex intermediate values of real arguments (FFTs, phases),
shared by tests/test_complex.py and tests/test_closure.py."""

import numpy as np


def spectrum_energy(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2 * np.arange(8.0))


def lowpass(x):
    spec = np.fft.rfft(x)
    keep = np.array([1.0, 1.0, 0.5, 0.2, 0.0])
    return np.sum(np.fft.irfft(spec * keep, n=8) ** 2 * np.arange(8.0))


def phase_rotation(x):
    return np.sum(np.real(np.exp(1j * x) * (2.0 - 1j))) + np.abs(np.sum(x * 1j + x ** 2))


def fft_variants(x):
    m = x.reshape(2, 4)
    return np.sum(np.abs(np.fft.fft(x, n=6)) ** 2) + np.sum(np.abs(np.fft.ifft(x, n=10, norm="ortho"))) + \
        np.sum(np.abs(np.fft.fft2(m, s=(3, 4))) * 0.1) + np.sum(np.abs(np.fft.ifftn(m, axes=(1,))) ** 2) + \
        np.sum(np.abs(np.fft.rfft(x, n=5, norm="forward")) ** 2) + \
        np.sum(np.abs(np.fft.rfft2(m, norm="ortho")) ** 2) + \
        np.sum(np.abs(np.fft.rfftn(m, s=(2, 6), axes=(0, 1))) ** 2) + \
        np.sum(np.abs(np.fft.fftshift(np.fft.fft(x))) * np.arange(8.0)) + \
        np.sum(np.abs(np.fft.ifftshift(np.fft.fftn(m), axes=1)) ** 2 * 0.3)


def irfft_variants(x):
    m = x.reshape(2, 4)
    s1 = np.fft.rfft(x) * (1.0 + 0.5j)
    s2 = np.fft.rfftn(m)
    return np.sum(np.fft.irfft(s1) * np.arange(8.0)) + np.sum(np.fft.irfft(s1, n=7, norm="ortho") ** 2) + \
        np.sum(np.fft.irfft(s1[:3], n=8, norm="forward") ** 2) + \
        np.sum(np.fft.irfftn(s2, s=(2, 4), axes=(0, 1)) * m) + \
        np.sum(np.fft.irfft2(s2 * 1j, norm="ortho") ** 2)


def sampled_frequencies(d):
    return np.sum(np.fft.fftfreq(6, d) ** 2) + np.sum(np.fft.rfftfreq(5, d=d * 2.0))
