"""The benchmark workloads.

Each workload is a plain NumPy/Python function (the *primal*, written the way
a scientist would write it: this is the function srcgrad differentiates), a
hand-written reverse-mode adjoint of it (what an expert writes by hand: a
forward pass that keeps what the reverse pass needs, then the reverse pass),
an input maker, its sizes, and -- where the primal is not already valid
PyTorch code -- a PyTorch version written in PyTorch's own idiom.

The autograd and JAX versions are the primal itself with ``np`` (and
``math``) rebound to ``autograd.numpy`` / ``jax.numpy``: that is how those
libraries are meant to be used ("import autograd.numpy as np"), and it keeps
the loop structure identical to the primal.  See :func:`rebind`.

A hand-written adjoint takes the primal's arguments and returns what
``srcgrad.grad(f, wrt)`` returns: one gradient for an int ``wrt``, a tuple of
gradients for a tuple ``wrt``.  ``python -m benchmarks.verify`` checks every
adjoint against central finite differences and autograd.
"""

import math
import types
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


# ---------------------------------------------------------------------------
# infrastructure
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Size:
    label: str          # shown in the table, e.g. "n=1000"
    params: dict        # passed to the workload's input maker
    quick: bool = False  # part of the ``--quick`` smoke run


@dataclass(frozen=True)
class Workload:
    name: str                      # for --only
    title: str                     # table heading
    f: Callable                    # the primal, differentiated by every method
    hand: Callable                 # hand-written adjoint, same signature as f
    make_inputs: Callable          # (params: dict, rng) -> tuple of f's arguments
    sizes: tuple
    wrt: object = 0                # int or tuple of ints, as srcgrad.grad(f, wrt)
    static: tuple = ()             # int arguments (loop counts): static for jax.jit
    torch_f: Callable = None       # PyTorch version; None: f itself is valid torch code
    measure: str = "time"          # "time", or "memory" (tracemalloc peak)
    methods: tuple = None          # names of the methods to run (None: all of them)
    notes: tuple = field(default_factory=tuple)

    @property
    def wrt_tuple(self):
        return self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)


def rebind(f, **names):
    """A copy of ``f`` whose global names ``names`` (e.g. ``np``) are replaced.

    ``rebind(f, np=jax.numpy, math=jax.numpy)`` is the JAX version of a NumPy
    function ``f``: the same code, reading ``np.tanh`` as ``jax.numpy.tanh``.
    The functions of ``f``'s module that ``f`` calls (a right-hand side, ``f``
    itself when it recurses) read the new names too, as they would after
    ``import autograd.numpy as np`` at the top of the module.
    """
    env = {**f.__globals__, **names}

    def copy(fun):
        g = types.FunctionType(fun.__code__, env, fun.__name__, fun.__defaults__, fun.__closure__)
        g.__kwdefaults__ = fun.__kwdefaults__
        return g

    for name, value in f.__globals__.items():
        if (isinstance(value, types.FunctionType) and value.__globals__ is f.__globals__
                and name not in names):
            env[name] = copy(value)
    return copy(f)


# ---------------------------------------------------------------------------
# 1. scalar expression on Python floats
# ---------------------------------------------------------------------------

def scalar_expr(x, y):
    return math.sin(x * y) + math.exp(x) / y - math.sqrt(x * x + y * y)


def scalar_expr_hand(x, y):
    s = x * y
    e = math.exp(x)
    r = math.sqrt(x * x + y * y)
    c = math.cos(s)
    gx = c * y + e / y - x / r
    gy = c * x - e / (y * y) - y / r
    return gx, gy


def scalar_expr_torch(x, y):
    import torch
    return torch.sin(x * y) + torch.exp(x) / y - torch.sqrt(x * x + y * y)


def scalar_expr_inputs(params, rng):
    return (0.7, 1.3)


# ---------------------------------------------------------------------------
# 1b. a one-line scalar function: the call overhead of a generated gradient
# ---------------------------------------------------------------------------

def one_line(x):
    return math.sin(x) * x


def one_line_hand(x):
    return math.cos(x) * x + math.sin(x)


def one_line_torch(x):
    import torch
    return torch.sin(x) * x


def one_line_inputs(params, rng):
    return (0.7,)


# ---------------------------------------------------------------------------
# 1c. NumPy reductions of numbers: np.sum and np.mean of Python floats
# ---------------------------------------------------------------------------

def float_reductions(x, y):
    return np.sum(np.sin(x) * y) + np.mean(x * x)


def float_reductions_hand(x, y):
    # (the primal's own functions, NumPy's: on floats they cost some 300 ns
    # a call more than math's; the sum and mean of a number need no call)
    return (y * np.cos(x) + 2.0 * x, np.sin(x))


def float_reductions_torch(x, y):
    import torch
    return (torch.sin(x) * y).sum() + (x * x).mean()


def float_reductions_inputs(params, rng):
    return (0.3, 0.5)


# ---------------------------------------------------------------------------
# 2. Rosenbrock, vectorised
# ---------------------------------------------------------------------------

def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hand(x):
    a = x[:-1]
    d = x[1:] - a * a
    g = np.zeros_like(x)
    g[1:] = 200.0 * d
    g[:-1] += -400.0 * d * a - 2.0 * (1.0 - a)
    return g


def rosenbrock_torch(x):
    import torch
    return torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_inputs(params, rng):
    return (rng.uniform(-1.5, 1.5, params["n"]),)


# ---------------------------------------------------------------------------
# 3. logistic-regression loss, gradient w.r.t. the weights
# ---------------------------------------------------------------------------

def logreg_loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, -y * z))


def logreg_hand(w, X, y):
    m = -y * (X @ w)
    s = np.exp(m - np.logaddexp(0.0, m))     # sigmoid(m), stable
    dz = -y * s / X.shape[0]
    return X.T @ dz


def logreg_torch(w, X, y):
    import torch.nn.functional as F
    return F.softplus(-y * (X @ w)).mean()


def logreg_inputs(params, rng):
    n, d = params["n"], params["d"]
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d) / math.sqrt(d)
    y = np.where(X @ w_true + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
    w = 0.1 * rng.standard_normal(d)
    return (w, X, y)


# ---------------------------------------------------------------------------
# 4. two-layer MLP, tanh hidden layer, softmax cross-entropy
# ---------------------------------------------------------------------------

def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def mlp_hand(W1, b1, W2, b2, X, Y):
    n = X.shape[0]
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z -= np.max(z, axis=1, keepdims=True)
    p = np.exp(z)
    p /= np.sum(p, axis=1, keepdims=True)
    dz = (p - Y) / n                 # rows of Y are one-hot
    gW2 = h.T @ dz
    gb2 = np.sum(dz, axis=0)
    da = (dz @ W2.T) * (1.0 - h * h)
    gW1 = X.T @ da
    gb1 = np.sum(da, axis=0)
    return gW1, gb1, gW2, gb2


def mlp_torch(W1, b1, W2, b2, X, Y):
    import torch
    h = torch.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    return -(Y * torch.log_softmax(z, dim=1)).sum() / X.shape[0]


def mlp_inputs(params, rng):
    n, d_in, d_h, d_out = params["batch"], 784, 256, 10
    W1 = rng.standard_normal((d_in, d_h)) / math.sqrt(d_in)
    b1 = 0.01 * rng.standard_normal(d_h)
    W2 = rng.standard_normal((d_h, d_out)) / math.sqrt(d_h)
    b2 = 0.01 * rng.standard_normal(d_out)
    X = rng.standard_normal((n, d_in))
    Y = np.eye(d_out)[rng.integers(0, d_out, n)]
    return (W1, b1, W2, b2, X, Y)


# ---------------------------------------------------------------------------
# 5. explicit Euler on Python floats: x' = -k x + sin(t)
# ---------------------------------------------------------------------------

def euler_ode(k, x0, T):
    dt = 0.01
    x = x0
    t = 0.0
    for i in range(T):
        x = x + dt * (-k * x + math.sin(t))
        t = t + dt
    return x * x


def euler_ode_hand(k, x0, T):
    dt = 0.01
    xs = []
    x = x0
    t = 0.0
    for i in range(T):
        xs.append(x)
        x = x + dt * (-k * x + math.sin(t))
        t = t + dt
    gx = 2.0 * x
    gk = 0.0
    for i in range(T - 1, -1, -1):
        gk -= gx * dt * xs[i]
        gx *= 1.0 - dt * k
    return gk, gx


# euler_ode is already valid PyTorch code for 0-d tensors k and x0:
# math.sin is only applied to the plain float t.

def euler_ode_inputs(params, rng):
    return (0.5, 1.0, params["T"])


# ---------------------------------------------------------------------------
# 6. RNN-style loop over vectors: x <- x + dt tanh(W x)
# ---------------------------------------------------------------------------

def rnn_loss(W, x0, T):
    dt = 0.1
    x = x0
    for t in range(T):
        x = x + dt * np.tanh(W @ x)
    return np.sum(x ** 2)


def rnn_hand(W, x0, T):
    dt = 0.1
    xs = []
    hs = []
    x = x0
    for t in range(T):
        h = np.tanh(W @ x)
        xs.append(x)
        hs.append(h)
        x = x + dt * h
    gx = 2.0 * x
    DA = np.empty((T, x0.shape[0]))
    WT = W.T
    for t in range(T - 1, -1, -1):
        h = hs[t]
        DA[t] = dt * gx * (1.0 - h * h)
        gx = gx + WT @ DA[t]
    # the T outer products da_t x_t^T, summed, as one matrix product
    return DA.T @ np.array(xs)


def rnn_torch(W, x0, T):
    import torch
    dt = 0.1
    x = x0
    for t in range(T):
        x = x + dt * torch.tanh(W @ x)
    return (x ** 2).sum()


def rnn_inputs(params, rng):
    n = params.get("n", 50)
    W = rng.standard_normal((n, n)) / math.sqrt(n)
    x0 = rng.standard_normal(n)
    return (W, x0, params["T"])


# ---------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------

WORKLOADS = (
    Workload(
        name="scalar",
        title="scalar expression on Python floats: sin(x*y) + exp(x)/y - sqrt(x*x + y*y), d/d(x, y)",
        f=scalar_expr, hand=scalar_expr_hand, torch_f=scalar_expr_torch,
        make_inputs=scalar_expr_inputs, wrt=(0, 1),
        sizes=(Size("scalar", {}, quick=True),),
    ),
    Workload(
        name="one_line",
        title="call overhead: one-line scalar function sin(x) * x on a Python float, d/dx",
        f=one_line, hand=one_line_hand, torch_f=one_line_torch,
        make_inputs=one_line_inputs, wrt=0,
        sizes=(Size("scalar", {}, quick=True),),
    ),
    Workload(
        name="float_reductions",
        title="np.sum and np.mean of Python floats: sum(sin(x) * y) + mean(x * x), d/d(x, y)",
        f=float_reductions, hand=float_reductions_hand, torch_f=float_reductions_torch,
        make_inputs=float_reductions_inputs, wrt=(0, 1),
        sizes=(Size("scalar", {}, quick=True),),
    ),
    Workload(
        name="rosenbrock",
        title="Rosenbrock, vectorised NumPy, d/dx",
        f=rosenbrock, hand=rosenbrock_hand, torch_f=rosenbrock_torch,
        make_inputs=rosenbrock_inputs, wrt=0,
        sizes=(Size("n=10", {"n": 10}, quick=True),
               Size("n=1000", {"n": 1000}, quick=True),
               Size("n=100000", {"n": 100000})),
    ),
    Workload(
        name="logreg",
        title="logistic-regression loss mean(logaddexp(0, -y * X@w)), d/dw",
        f=logreg_loss, hand=logreg_hand, torch_f=logreg_torch,
        make_inputs=logreg_inputs, wrt=0,
        sizes=(Size("100x10", {"n": 100, "d": 10}, quick=True),
               Size("10000x100", {"n": 10000, "d": 100})),
    ),
    Workload(
        name="mlp",
        title="MLP 784-256-10, tanh + softmax cross-entropy, d/d(W1, b1, W2, b2)",
        f=mlp_loss, hand=mlp_hand, torch_f=mlp_torch,
        make_inputs=mlp_inputs, wrt=(0, 1, 2, 3),
        sizes=(Size("batch=64", {"batch": 64}, quick=True),
               Size("batch=256", {"batch": 256})),
    ),
    Workload(
        name="euler",
        title="explicit Euler on Python floats, x' = -k*x + sin(t), loss x_T**2, d/d(k, x0)",
        f=euler_ode, hand=euler_ode_hand,
        make_inputs=euler_ode_inputs, wrt=(0, 1), static=(2,),
        sizes=(Size("T=100", {"T": 100}, quick=True),
               Size("T=1000", {"T": 1000})),
    ),
    Workload(
        name="rnn",
        title="RNN-style loop x = x + dt*tanh(W@x), W 50x50, loss sum(x**2), d/dW",
        f=rnn_loss, hand=rnn_hand, torch_f=rnn_torch,
        make_inputs=rnn_inputs, wrt=0, static=(2,),
        sizes=(Size("T=100", {"T": 100}, quick=True),
               Size("T=1000", {"T": 1000})),
    ),
    Workload(
        name="rnn_memory",
        title="peak memory of one gradient of the RNN loop (tracemalloc), W 50x50, d/dW",
        f=rnn_loss, hand=rnn_hand, torch_f=rnn_torch,
        make_inputs=rnn_inputs, wrt=0, static=(2,), measure="memory",
        sizes=(Size("T=100", {"T": 100}, quick=True),
               Size("T=1000", {"T": 1000})),
        notes=("tracemalloc sees NumPy's allocations (srcgrad, hand, autograd), not "
               "JAX's or PyTorch's, so those are not listed; the states alone are "
               "T*50*8 bytes (39 KiB at T=100, 391 KiB at T=1000).",),
    ),
)


def by_name(name):
    for w in WORKLOADS:
        if w.name == name:
            return w
    raise KeyError(f"no workload {name!r}; have: {', '.join(w.name for w in WORKLOADS)}")
