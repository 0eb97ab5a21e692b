import srcgrad, sys
from benchmarks.loop_workloads import rk4_loss
df = srcgrad.grad(rk4_loss, wrt=(0, 1))
s = srcgrad.source(df)
print(len(s.splitlines()))
if len(sys.argv) > 1: print(s)
