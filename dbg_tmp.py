import srcgrad, numpy as np
from tests.test_joint_helpers import inactive_somewhere
df = srcgrad.grad(inactive_somewhere, wrt=(0,1))
print(srcgrad.source(df))
