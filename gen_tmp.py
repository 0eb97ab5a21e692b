import srcgrad, numpy as np, timeit
from benchmarks.loop_workloads import rk4_loss, rk4_hand, rk4_inputs
args = rk4_inputs({"T": 1000}, np.random.default_rng(0))
df = srcgrad.grad(rk4_loss, wrt=(0, 1))
names = df.__code__.co_freevars
gen = df.__closure__[names.index("d_rk4_loss_generic")].cell_contents
t = lambda f: min(timeit.repeat(lambda: f(*args), number=3, repeat=7)) / 3 * 1e3
print("special", t(df), "generic", t(gen), "hand", t(rk4_hand))
