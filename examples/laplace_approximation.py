"""A Laplace approximation of a Poisson regression's posterior, with Newton's method.

The log posterior is plain NumPy and SciPy (``scipy.special.gammaln``); srcgrad gives its
gradient and its Hessian, which Newton's method uses to find the mode, and whose inverse at
the mode is the covariance of the Gaussian approximation.  We print the generated gradient,
check the gradient and the Hessian against finite differences, and compare the Laplace
standard deviations with a long run of a random-walk sampler.

Run:  python examples/laplace_approximation.py
"""

import numpy as np
import scipy.special

import srcgrad

RNG = np.random.default_rng(3)
X = np.column_stack([np.ones(40), RNG.normal(size=40)])
TRUE = np.array([0.5, 0.8])
Y = RNG.poisson(np.exp(X @ TRUE)).astype(float)


def neg_log_posterior(beta):
    """Poisson likelihood with a log link and a N(0, 2^2) prior on each coefficient."""
    eta = X @ beta
    loglik = np.sum(Y * eta - np.exp(eta) - scipy.special.gammaln(Y + 1.0))
    logprior = -0.5 * np.sum(beta ** 2) / 4.0
    return -(loglik + logprior)


def main():
    grad = srcgrad.grad(neg_log_posterior)
    hess = srcgrad.hessian(neg_log_posterior)
    print(srcgrad.source(grad).split("\n\n\n")[-1])         # the generic version
    beta = np.zeros(2)
    srcgrad.check_grad(neg_log_posterior, beta)
    h = 1e-6
    fd = np.stack([(grad(beta + h * e) - grad(beta - h * e)) / (2 * h) for e in np.eye(2)])
    assert np.allclose(hess(beta), fd, rtol=1e-5), "the Hessian disagrees with differences"
    for step in range(20):                                   # Newton's method
        delta = np.linalg.solve(hess(beta), grad(beta))
        beta = beta - delta
        if np.max(np.abs(delta)) < 1e-10:
            break
    cov = np.linalg.inv(hess(beta))
    sd = np.sqrt(np.diag(cov))
    print(f"mode {np.round(beta, 4)} after {step + 1} Newton steps (true {TRUE})")
    print(f"Laplace standard deviations {np.round(sd, 4)}")
    # a random-walk Metropolis sampler, started at the mode, as a sanity check
    L = np.linalg.cholesky(cov)
    cur, cur_lp, kept = beta, -neg_log_posterior(beta), []
    for i in range(20000):
        prop = cur + 0.8 * L @ RNG.normal(size=2)
        lp = -neg_log_posterior(prop)
        if np.log(RNG.uniform()) < lp - cur_lp:
            cur, cur_lp = prop, lp
        kept.append(cur)
    mcmc_sd = np.std(np.array(kept[2000:]), axis=0)
    print(f"sampler standard deviations {np.round(mcmc_sd, 4)}")
    assert np.allclose(sd, mcmc_sd, rtol=0.15), "the Laplace approximation is far off"


if __name__ == "__main__":
    main()
