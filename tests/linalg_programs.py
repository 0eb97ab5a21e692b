"""Functions using linear algebra with several results."""

import numpy as np

B = np.array([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6]])


def uses_slogdet(a):
    sign, logdet = np.linalg.slogdet(a)
    return logdet * 2.0 + sign


def uses_eigh(a):
    w, v = np.linalg.eigh(a)
    return np.sum(w * w) + np.sum(v[:, 0] ** 2 * np.arange(3.0))


def uses_eigvalsh(a):
    return np.sum(np.linalg.eigvalsh(a) ** 3)


def uses_svd_values(a):
    s = np.linalg.svd(a, compute_uv=False)
    return np.sum(s * s * s)


def uses_qr(a):
    q, r = np.linalg.qr(a)
    return np.sum(r * r * B[:2, :2].T) + np.sum(np.abs(q[:, 0]) * np.arange(3.0))


def uses_lstsq(a, b):
    x, residuals, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(x * x * np.array([1.0, 2.0]))
