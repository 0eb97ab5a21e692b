"""Shared helpers for gradient tests: a checked call of ``srcgrad.check_grad``
and input samplers that stay inside a function's domain."""

import numpy as np

import srcgrad


def check(fun, *args, wrt=0, rtol=1e-5, atol=1e-7):
    """``srcgrad.check_grad`` on a freshly generated gradient (the cache is
    cleared first, because the test wrappers call a global that changes
    between tests), plus checks that finite differences cannot make: every
    gradient is finite, an array argument gets an ndarray gradient, and a
    scalar argument gets a scalar gradient."""
    srcgrad.clear_cache()
    result = srcgrad.check_grad(fun, *args, wrt=wrt, rtol=rtol, atol=atol)
    positions = tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)
    grads = tuple(result) if isinstance(wrt, (tuple, list)) else (result,)
    assert len(grads) == len(positions)
    for i, g in zip(positions, grads):
        x = args[i]
        assert np.shape(g) == np.shape(x), (i, np.shape(g), np.shape(x))
        assert np.all(np.isfinite(g)), (i, g)
        if np.ndim(x) > 0:
            assert isinstance(g, np.ndarray), (i, type(g))
        else:
            assert np.ndim(g) == 0, (i, g)
    return result


class Interval:
    """Values drawn uniformly from ``[lo, hi]``; with ``signed``, from
    ``[-hi, -lo] U [lo, hi]`` (to keep away from a kink at zero)."""

    def __init__(self, lo, hi, signed=False):
        self.lo, self.hi, self.signed = lo, hi, signed

    def __repr__(self):
        return f"Interval({self.lo}, {self.hi}{', signed' if self.signed else ''})"

    def sample(self, rng, shape):
        """A Python float for ``shape == ()``, a NumPy scalar for ``shape ==
        "f64"``, a 0-d array for ``shape == "0d"``, else an array of ``shape``."""
        s = () if shape in ("0d", "f64") else shape
        v = rng.uniform(self.lo, self.hi, size=s)
        if self.signed:
            v = v * rng.choice([-1.0, 1.0], size=s)
        if shape == ():
            return float(v)
        if shape == "f64":
            return np.float64(v)
        return np.array(v, dtype=float)

    def elements(self):
        """A hypothesis strategy for one element."""
        from hypothesis import strategies as st
        inner = st.floats(self.lo, self.hi, allow_nan=False, allow_infinity=False)
        if not self.signed:
            return inner
        return st.tuples(inner, st.sampled_from([-1.0, 1.0])).map(lambda t: t[0] * t[1])


def separated(rng, sample_x, sample_y, gap=0.1, tries=1000):
    """Sample ``(x, y)`` until no broadcast pair of elements is closer than
    ``gap`` (for max/min-like functions, whose derivative jumps at ties)."""
    for _ in range(tries):
        x, y = sample_x(), sample_y()
        if np.min(np.abs(np.subtract(x, y))) > gap:
            return x, y
    raise AssertionError("could not sample separated inputs")


def fd_jacobian(fun, args, i, eps=1e-6):
    """Central finite differences of ``fun(*args)`` with respect to argument
    ``i``, one column per element of it, stacked into an array of shape
    ``result.shape + args[i].shape`` (like ``srcgrad.jacobian``)."""
    x = args[i]
    shape = np.shape(x)
    flat = np.array(x, dtype=float).reshape(-1)
    h = eps * max(1.0, float(np.max(np.abs(flat)))) if flat.size else eps
    columns = []
    for k in range(flat.size):
        pair = []
        for sign in (1.0, -1.0):
            moved = flat.copy()
            moved[k] += sign * h
            value = moved.reshape(shape) if isinstance(x, np.ndarray) else float(moved[0])
            pair.append(np.asarray(fun(*args[:i], value, *args[i + 1:]), dtype=float))
        columns.append((pair[0] - pair[1]) / (2 * h))
    out_shape = np.shape(fun(*args))
    J = np.asarray(columns, dtype=float).reshape((flat.size,) + out_shape)
    return np.moveaxis(J, 0, -1).reshape(out_shape + shape) if J.ndim > 1 else J.reshape(shape)
