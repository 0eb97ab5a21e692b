"""Helper functions in a module of their own, with their own globals and
import aliases, called by the functions in tests/call_programs.py."""

import functools
import math
from math import exp as e_x

import numpy as xp
from numpy import sin as sine

SCALE = 2.5
WEIGHTS = xp.array([0.5, -1.0, 2.0])
np = "not numpy: the caller's np must not be confused with this global"


def scaled(x):
    return SCALE * x


def weighted(v):
    return xp.sum(WEIGHTS * v)


def wave(x, freq=1.0, *, phase=0.0):
    return sine(freq * x + phase)


def smooth_abs(x, eps=1e-3):
    if x > 0:
        return math.sqrt(x * x + eps)
    return math.sqrt(x * x + eps) + 0.0 * x


def decay(x, rate):
    return e_x(-rate * x)


def two_level(x, y):
    return scaled(x) * wave(y, 2.0) + decay(y, 0.5)


def loop_helper(x, n):
    s = 0.0
    for i in range(n):
        if i == 3:
            break
        s = s + scaled(x) ** 2 / (i + 1)
    return s


def forwards(f, *args, **kwargs):
    return f(*args, **kwargs)


def apply_twice(f, x):
    return f(f(x))


def power(x, n):
    """Recursion on a decreasing integer."""
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def tree_sum(x, depth):
    if depth <= 0:
        return xp.sin(x)
    return tree_sum(x, depth - 1) * x + tree_sum(0.5 * x, depth - 2)


def writes_into(a, v):
    a[0] = v
    return a


class Model:
    def __init__(self, w, b):
        self.w = w
        self.b = b

    def predict(self, x):
        return xp.tanh(self.w * x + self.b)

    def loss(self, x, y):
        return (self.predict(x) - y) ** 2

    @staticmethod
    def square(t):
        return t * t


MODEL = Model(1.5, -0.25)
half_wave = functools.partial(wave, freq=0.5)


def activation(x, kind, shape=None, clip=True):
    if shape is not None and len(shape) > 0:
        x = xp.reshape(x, shape)
    if kind == "tanh":
        return xp.tanh(x)
    if clip and kind == "relu":
        return xp.maximum(x, 0.0)
    return x


def power_with_options(x, *, power=2, **opts):
    s = x ** power
    if opts.get("shift", False):
        s = s + opts["shift"]
    return s


def add_to(acc, v, scale=1.0):
    acc.append(v * scale)     # changes the caller's list, as Python does
