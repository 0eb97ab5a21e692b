"""scipy.signal's convolve, correlate and fftconvolve in every mode (grad,
jvp, hvp) against finite differences: modes full, same and valid, odd and
even sizes, the larger input first or second, 1-D and 2-D, ``method``."""

import numpy as np
import pytest
import scipy.signal as ss

import srcgrad
from srcgrad.rules.scipy import signal as rules
from srcgrad.runtime import scipy_signal as rt
from tests.modes import assert_sound

RNG = np.random.default_rng(21)
ALL = ("grad", "jvp", "hvp")

# (shape of in1, shape of in2): odd and even, either one larger; valid mode needs
# one input at least as large as the other along every axis
SHAPES = [((5,), (3,)), ((6,), (3,)), ((4,), (4,)), ((3,), (6,)), ((4, 5), (2, 3)),
          ((3, 4), (3, 4)), ((2, 3), (4, 5))]


def weights(f, s1, s2, mode):
    out = f(np.ones(s1), np.ones(s2), mode=mode)
    return RNG.normal(size=out.shape)


def conv(x, k, mode, w):
    return np.sum(ss.convolve(x, k, mode=mode) * w)


def conv_direct(x, k, mode, w):
    return np.sum(ss.convolve(x, k, mode=mode, method="direct") * w)


def corr(x, k, mode, w):
    return np.sum(ss.correlate(x, k, mode=mode) * w)


def corr_fft(x, k, mode, w):
    return np.sum(ss.correlate(x, k, mode=mode, method="fft") * w)


def fftconv(x, k, mode, w):
    return np.sum(ss.fftconvolve(x, k, mode=mode) * w)


def squared(x, k, mode, w):
    return np.sum(ss.convolve(x * x, k, mode) ** 2 * w)


PRIMS = {conv: ss.convolve, conv_direct: ss.convolve, corr: ss.correlate,
         corr_fft: ss.correlate, fftconv: ss.fftconvolve, squared: ss.convolve}


@pytest.mark.parametrize("f", list(PRIMS), ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_convolutions(f, mode, shapes):
    s1, s2 = shapes
    x, k = RNG.normal(size=s1), RNG.normal(size=s2)
    w = weights(PRIMS[f], s1, s2, mode)
    assert_sound(f, (x, k, mode, w), wrt=(0, 1), modes=ALL)


def default_mode(x, k):
    return np.sum(ss.convolve(x, k) ** 2) + np.sum(ss.correlate(k, x) * 0.5)


def test_default_mode_and_generated_code():
    x, k = RNG.normal(size=7), RNG.normal(size=3)
    assert_sound(default_mode, (x, k), wrt=(0, 1), modes=ALL)
    text = srcgrad.source(srcgrad.grad(default_mode, wrt=0))
    assert "d_x = d_x + correlate(uncrop(d_out_1, x, k), k, mode='valid')" in text


# -- the helpers' own rules -------------------------------------------------------------

X6 = RNG.normal(size=6)
X9 = RNG.normal(size=9)
W4 = RNG.normal(size=4)
W9 = RNG.normal(size=9)
HELPERS = [
    (lambda a: np.sum(rt.crop(a, X6, W4, "same") * X6), (X9,)),
    (lambda a: np.sum(rt.crop(a, X6, W4, "valid") ** 2), (X9,)),
    (lambda a: np.sum(rt.uncrop(a, X6, W4, "same") * W9), (X6,)),
    (lambda a: np.sum(rt.uncrop(a, X6, W4, "valid") ** 2 * W9), (RNG.normal(size=3),)),
]


@pytest.mark.parametrize("i", range(len(HELPERS)))
def test_helper_rule(i):
    f, args = HELPERS[i]
    assert_sound(f, args, wrt=0, modes=ALL)


def test_every_helper_rule_is_tested():
    import inspect
    source = inspect.getsource(inspect.getmodule(test_helper_rule))
    for helper in rules.HELPER_RULES:
        assert f"rt.{helper.__name__}(" in source, helper


# -- refusals -----------------------------------------------------------------------------

def fft_axes(x, k):
    return np.sum(ss.fftconvolve(x, k, axes=1))


def bad_mode(x, k):
    return np.sum(ss.convolve(x, k, mode="circular"))


def test_refused():
    x, k = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 2))
    assert_sound(fft_axes, (x, k), wrt=0, modes=("grad",), expect="refused")
    with pytest.raises(srcgrad.UnsupportedError, match="axes=None"):
        srcgrad.grad(fft_axes)
    with pytest.raises(srcgrad.UnsupportedError, match="not 'circular'"):
        srcgrad.grad(bad_mode)
