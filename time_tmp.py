import srcgrad, numpy as np, timeit, sys
from benchmarks.loop_workloads import rk4_loss, rk4_hand, rk4_inputs
args = rk4_inputs({"T": 1000}, np.random.default_rng(0))
df = srcgrad.grad(rk4_loss, wrt=(0, 1))
a = df(*args); b = rk4_hand(*args)
print(np.abs(a[0]-b[0]).max(), np.abs(a[1]-b[1]).max())
for f, n in ((df, "srcgrad"), (rk4_hand, "hand")):
    t = min(timeit.repeat(lambda: f(*args), number=3, repeat=7)) / 3
    print(n, round(t * 1e3, 2), "ms")
