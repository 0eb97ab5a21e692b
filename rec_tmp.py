import srcgrad, numpy as np
from tests.test_recursion import loss_power
df = srcgrad.grad(loss_power)
print(srcgrad.source(df))
print("=====")
print(srcgrad.source(df, standalone=True))
