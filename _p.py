import numpy as np
from tests.test_lib_linalg import *
from tests.modes import _fd_grad
f = HELPERS[0][0]
print(_fd_grad(f, (W.T,), 0, 1e-6))
print(_fd_grad(f, (W.T.copy(),), 0, 1e-6))
