"""A helper of the rules for scipy.stats (``srcgrad/rules/scipy/stats.py``):
the covariance matrix ``multivariate_normal.entropy`` is differentiated with.
Needs only NumPy; imported only from those rules.

>>> mvn_matrix(np.eye(2))
array([[1., 0.],
       [0., 1.]])
"""

import numpy as np

from srcgrad.runtime.base import unsupported


def mvn_matrix(cov):
    """``cov`` itself when it is a matrix; a number or a vector (SciPy's
    isotropic and diagonal covariances) is refused."""
    if np.ndim(cov) != 2:
        raise unsupported("scipy.stats.multivariate_normal.entropy is differentiated with cov "
                          "a matrix, not a number or a vector of variances",
                          "pass np.diag(variances), or variance * np.eye(d)")
    return cov
