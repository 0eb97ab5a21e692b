import srcgrad, numpy as np, cProfile, pstats
from benchmarks.loop_workloads import rk4_loss, rk4_hand, rk4_inputs, lotka_volterra
args = rk4_inputs({"T": 1000}, np.random.default_rng(0))
df = srcgrad.grad(rk4_loss, wrt=(0, 1))
df(*args)
cProfile.run("for _ in range(5): df(*args)", "/tmp/prof.out")
pstats.Stats("/tmp/prof.out").sort_stats("tottime").print_stats(12)
