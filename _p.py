import numpy as np, srcgrad
from tests.test_lib_signal import *
from tests.modes import check_modes
x, k = RNG.normal(size=(4,5)), RNG.normal(size=(2,3))
w = weights(ss.correlate, x.shape, k.shape, "same")
print(check_modes(corr, (x, k, "same", w), (0,1)))
print(srcgrad.source(srcgrad.grad(default_mode, wrt=(0, 1))))
