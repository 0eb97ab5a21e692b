import numpy as np, cProfile, pstats
import srcgrad
from srcgrad.compiler.frontend.inline import joint
from crossdefs_tmp import make, lvv
rng = np.random.default_rng(0)
f = make(lvv)
args = (np.array([1.5, 1.0, 1.0, 3.0]), rng.random(1000), rng.random((300, 1000)))
for m in (1, 10**6):
    joint.MIN_OPERATIONS = m
    srcgrad.clear_cache()
    df = srcgrad.grad(f, wrt=(0, 1))
    df(*args)
    cProfile.run("for _ in range(3): df(*args)", "/tmp/p2")
    pstats.Stats("/tmp/p2").sort_stats("tottime").print_stats(8)
