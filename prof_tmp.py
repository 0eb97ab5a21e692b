import srcgrad, numpy as np, timeit
from benchmarks.loop_workloads import rk4_loss, rk4_hand, rk4_inputs, lotka_volterra
args = rk4_inputs({"T": 1000}, np.random.default_rng(0))
df = srcgrad.grad(rk4_loss, wrt=(0, 1))
sp = [v for v in df.srcgrad_injected.values() if hasattr(v, "srcgrad_joint")][0]
theta, u0, obs = args
gen = df.__closure__[[c for c in df.__code__.co_freevars].index("d_rk4_loss_generic")].cell_contents if "d_rk4_loss_generic" in df.__code__.co_freevars else None
print("generic", gen)
t = lambda f: min(timeit.repeat(f, number=2000, repeat=5)) / 2000 * 1e6
print("split call", t(lambda: sp(u0, theta)))
v, back = sp(u0, theta)
g = np.ones(2)
print("back", t(lambda: back(g)))
print("primal", t(lambda: lotka_volterra(u0, theta)))
import srcgrad.runtime as rt
print("zeros_like", t(lambda: rt.zeros_like(theta)))
print("own", t(lambda: rt.own(v)))
