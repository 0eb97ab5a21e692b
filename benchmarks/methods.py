"""The ways of computing a gradient that the benchmark compares.

Each method turns a workload and its inputs into ``run()``, a no-argument
callable that computes the gradient once and returns it (for JAX, after
``block_until_ready``).  The harness times ``run`` and checks what it returns
against the hand-written adjoint.  Peer libraries are imported lazily; one
that cannot be imported is skipped with a note.
"""

import importlib
import importlib.metadata
import os
import sys
import types
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .workloads import rebind

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------------
# libraries
# ---------------------------------------------------------------------------

class Libraries:
    """Imports each library once, on first use, remembering why one failed."""

    def __init__(self):
        self._mods = {}
        self.errors = {}

    def get(self, name):
        """The module (see :meth:`_import`), or ``None`` if it cannot be imported."""
        if name not in self._mods:
            try:
                self._mods[name] = self._import(name)
            except Exception as e:  # noqa: BLE001 -- any failure means "skip it"
                self._mods[name] = None
                self.errors[name] = short_error(e)
        return self._mods[name]

    @staticmethod
    def _import(name):
        if name == "srcgrad":
            if REPO_ROOT not in sys.path:
                sys.path.insert(0, REPO_ROOT)
            return importlib.import_module("srcgrad")
        if name == "jax":
            import jax
            jax.config.update("jax_enable_x64", True)
            return jax
        if name == "torch":
            import torch
            torch.set_num_threads(1)
            return torch
        return importlib.import_module(name)

    def require(self, name):
        """The module; ImportError (with the original reason) if it cannot be imported."""
        mod = self.get(name)
        if mod is None:
            raise ImportError(self.errors[name])
        return mod

    def version(self, name):
        mod = self.get(name)
        if mod is None:
            return "not importable"
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return getattr(mod, "__version__", "?")


def short_error(e, limit=100):
    """``Type: first line of the message``, paths made relative, at most ``limit`` characters."""
    msg = f"{type(e).__name__}: {e}".splitlines()[0] if str(e) else type(e).__name__
    msg = msg.replace(REPO_ROOT + os.sep, "")
    return msg if len(msg) <= limit else msg[: limit - 3] + "..."


# ---------------------------------------------------------------------------
# the methods
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Method:
    name: str                       # row label
    lib: str                        # library it needs (None: only NumPy)
    build: Callable                 # (libs, workload, args) -> run
    first_call: bool = False        # also report the time of the first call (jit compile)
    memory: bool = False            # part of the tracemalloc table


def build_primal(libs, wl, args):
    return lambda: wl.f(*args)


def build_hand(libs, wl, args):
    return lambda: wl.hand(*args)


def build_srcgrad(libs, wl, args):
    df = libs.require("srcgrad").grad(wl.f, wrt=wl.wrt)
    return lambda: df(*args)


def build_autograd(libs, wl, args):
    autograd = libs.require("autograd")
    anp = importlib.import_module("autograd.numpy")
    g = autograd.grad(rebind(wl.f, np=anp, math=anp), argnum=wl.wrt)
    return lambda: g(*args)


def _jax_grad(libs, wl, args, jit):
    jax = libs.require("jax")
    jnp = jax.numpy
    g = jax.grad(rebind(wl.f, np=jnp, math=jnp), argnums=wl.wrt)
    if jit:
        g = jax.jit(g, static_argnums=wl.static)
    jargs = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
    return lambda: jax.block_until_ready(g(*jargs))


def build_jax(libs, wl, args):
    return _jax_grad(libs, wl, args, jit=False)


def build_jax_jit(libs, wl, args):
    return _jax_grad(libs, wl, args, jit=True)


def build_torch(libs, wl, args):
    torch = libs.require("torch")
    f = wl.torch_f or wl.f
    targs = []
    for i, a in enumerate(args):
        needs_grad = i in wl.wrt_tuple
        if isinstance(a, np.ndarray) or (needs_grad and isinstance(a, float)):
            a = torch.tensor(a, dtype=torch.float64, requires_grad=needs_grad)
        targs.append(a)
    leaves = [targs[i] for i in wl.wrt_tuple]

    def run():
        for p in leaves:
            p.grad = None
        f(*targs).backward()
        return tuple(p.grad for p in leaves)
    return run


PRIMAL = Method("primal", None, build_primal, memory=True)
HAND = Method("hand", None, build_hand, memory=True)
SRCGRAD = Method("srcgrad", "srcgrad", build_srcgrad, memory=True)

# in table order, after the primal
GRADIENT_METHODS = (
    HAND,
    SRCGRAD,
    Method("autograd", "autograd", build_autograd, memory=True),
    Method("jax", "jax", build_jax),
    Method("jax.jit", "jax", build_jax_jit, first_call=True),
    Method("torch", "torch", build_torch),
)


# ---------------------------------------------------------------------------
# srcgrad code generation
# ---------------------------------------------------------------------------

def fresh_copy(f):
    """A new function object with ``f``'s code, so a per-function cache misses."""
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__, f.__closure__)
    g.__kwdefaults__ = f.__kwdefaults__
    g.__module__ = f.__module__
    g.__qualname__ = f.__qualname__
    g.__doc__ = f.__doc__
    return g


def cold_grad(srcgrad, f, wrt):
    """``srcgrad.grad`` of ``f`` with nothing cached: srcgrad's cache cleared
    (where it has ``clear_cache``) and a fresh copy of ``f``."""
    clear = getattr(srcgrad, "clear_cache", None)
    if callable(clear):
        clear()
    return srcgrad.grad(fresh_copy(f), wrt=wrt)


# ---------------------------------------------------------------------------
# comparing gradients
# ---------------------------------------------------------------------------

def as_arrays(g, n):
    """A gradient as returned by any method -> a tuple of ``n`` float arrays."""
    if n == 1 and not isinstance(g, (tuple, list)):
        g = (g,)
    if not isinstance(g, (tuple, list)) or len(g) != n:
        raise ValueError(f"expected {n} gradient(s), got {type(g).__name__}")
    out = []
    for a in g:
        if hasattr(a, "detach"):           # torch
            a = a.detach().cpu().numpy()
        out.append(np.asarray(a, dtype=np.float64))
    return tuple(out)


def max_rel_error(got, ref):
    """Largest error of each array of ``got`` against ``ref`` relative to the
    largest magnitude in that array of ``ref`` (inf on a shape mismatch)."""
    worst = 0.0
    overall = max((float(np.max(np.abs(b), initial=0.0)) for b in ref), default=0.0)
    for a, b in zip(got, ref):
        if a.shape != b.shape:
            return float("inf")
        # an all-zero reference is measured against the scale of the others
        scale = float(np.max(np.abs(b), initial=0.0)) or overall or 1.0
        err = float(np.max(np.abs(a - b), initial=0.0)) / scale
        worst = max(worst, err if np.isfinite(err) else float("inf"))
    return worst
