import srcgrad, numpy as np
from tests.test_joint_helpers import uses_pairs
df = srcgrad.grad(uses_pairs, wrt=(0,1))
t = srcgrad.source(df)
print(t[:3000])
