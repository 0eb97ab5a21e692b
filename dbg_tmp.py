import numpy as np
from srcgrad.compiler.frontend.parse import parse
from srcgrad.compiler.frontend.inline import joint
def rhs(u, k):
    a = u[0] * k - u[1] * u[0] * k
    return np.array([a * u[1], -a * u[0] + k * u[1]])
def small(u):
    return u * 2.0
def step(u, k):
    k1 = rhs(u, k)
    k2 = rhs(u + 0.5 * k1, k)
    return u + k2 + small(u) + small(k2)
p = parse(step)
print(joint.eligible(rhs, parse(rhs).tree))
print(joint.joint_helpers(p))
