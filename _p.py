import srcgrad
from tests.test_lib_linalg import *
h = srcgrad.hvp(gp_nll_lower, wrt=(2, 3))
print(srcgrad.source(h)[:4000])
