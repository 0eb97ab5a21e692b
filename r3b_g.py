import numpy as np
def f(y, x):
    L2 = [x[1]]
    s7 = L2[:][0]
    y = np.tanh(s7)
    return y
def g(y, x):
    L1 = [y for e in x]
    x = L1[1]
    if y <= 0.5:
        y = np.tanh(L1)
    else:
        pass
    return y + x + sum(L1)
def h(x):
    L3 = list(x)
    x = np.array(L3[:4])
    return np.sum(x * x)
