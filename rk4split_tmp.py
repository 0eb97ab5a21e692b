import srcgrad, sys, numpy as np
from benchmarks.loop_workloads import rk4_loss, lotka_volterra
df = srcgrad.grad(rk4_loss, wrt=(0, 1))
sp = [v for v in df.srcgrad_injected.values() if hasattr(v, "srcgrad_joint")]
for f in sp: print(f.srcgrad_source)
