import numpy as np
import math

DATA = np.array([0.3, -0.8, 1.1, 0.5])

def damped_product(x):
    s = 1.0
    for i in range(3):
        s = s * np.sin(x + 1.0)
    return s

def carried_polynomial(x):
    s = x
    for i in range(4):
        s = s * x + np.cos(s)
    return s

def while_loop(x):
    s = 0.0
    k = 0
    while k < 3:
        s = s + np.exp(-s * x) * x
        k += 1
    return s

def branch_in_loop(x):
    s = x
    for i in range(4):
        if s > 0.5:
            s = np.sin(s) * x
        else:
            s = s * s + x
    return s

def helper(a, b):
    return a * np.tanh(b) + b ** 2

def helper_in_loop(x):
    s = 0.2
    for i in range(3):
        s = helper(s, x) / 2.0
    return s

def data_loop(x, data):
    acc = 0.0
    for d in data:
        acc = acc + np.sin(x * d) * acc + d * x ** 2
    return acc

def array_carried(x, data):
    v = data * x
    for i in range(3):
        v = np.tanh(v) * x + data
    return np.sum(v ** 2)

def list_in_loop(x):
    ys = []
    for i in range(3):
        ys.append(x ** (i + 1))
    t = 0.0
    for y in ys:
        t = t + np.sin(y) * y
    return t

def nested_loops(x):
    s = 0.0
    for i in range(2):
        p = 1.0
        for j in range(2):
            p = p * (x + j)
        s = s + p * np.cos(s)
    return s

def math_branch(x):
    if x > 0:
        r = math.exp(x) * math.sin(x)
    else:
        r = x ** 3
    return r
