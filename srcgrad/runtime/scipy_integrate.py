"""Derivatives through scipy.integrate's ODE solvers: the continuous adjoint
method (reverse) and the forward sensitivity equations (forward).

For ``y' = f(t, y, *args)`` solved from ``t0`` and read at output times
``t_1 <= ... <= t_K`` (``g_k`` the adjoint of ``y(t_k)``), the reverse sweep
integrates backwards, with the same solver and tolerances, ::

    y' = f,    a' = -a^T df/dy,    mu' = -a^T df/dargs,    a += g_k at each t_k

from the last output down to ``t0``.  Then ``dL/dy0 = a(t0)``, ``dL/dargs =
mu(t0)``, ``dL/dt_k = g_k . f(t_k, y_k)`` and ``dL/dt0 = -a(t0) . f(t0, y0)``.
The state restarts from the stored output ``y_k`` at each output, so the memory
is that of the outputs, independent of the number of steps.  The forward sweep
integrates ``v' = df/dy v + df/dargs w`` beside ``y`` from ``v(t0) = dy0 -
f(t0, y0) dt0`` and adds ``f(t_k, y_k) dt_k``.

``a^T df/dy`` and ``df/dy v`` are srcgrad's own generated ``vjp``/``jvp`` of the
right-hand side: the rules (``srcgrad/rules/scipy/integrate.py``) pass the
transformation's driver, whose ``transforms`` generate them.  Imported only
from those rules.

>>> output_times((0.0, 2.0), None, np.array([0.0, 0.7, 2.0]))
(0.0, array([0. , 0.7, 2. ]), True)
>>> augmented_tol(np.array([1e-6, 1e-8]), 5)
array([1.e-06, 1.e-08, 1.e-08, 1.e-08, 1.e-08])
"""

import inspect

import numpy as np
from scipy.integrate import odeint, solve_ivp

from srcgrad.runtime.base import unsupported
from srcgrad.runtime.containers import AdjointDict, Adjoints

#: the methods of solve_ivp differentiated (each also integrates the adjoint)
METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")


_LAST = [((), None)]


def once(last, key, compute):
    """``compute()``, or its value from the previous call with the same
    objects ``key`` (kept in the one-item list ``last``): each parameter's
    adjoint template calls the reverse sweep, which runs once (the key's
    objects are kept alive, so ids stay theirs)."""
    last_key, value = last[0]
    if len(last_key) != len(key) or any(a is not b for a, b in zip(last_key, key)):
        value = compute()
        last[0] = (key, value)
    return value


def _once(key, compute):
    return once(_LAST, key, compute)


def _is_float(x):
    return isinstance(x, float) or isinstance(x, np.ndarray) and x.dtype.kind == "f" or \
        isinstance(x, np.floating)


def _zero(x):
    return x is None or type(x) is float and x == 0.0


class Rhs:
    """The user's right-hand side ``f(t, y, *args)`` (odeint's ``f(y, t,
    *args)`` unless ``tfirst``), flat, with its generated vjp and jvp with
    respect to ``y`` and the floating arguments in ``args``."""

    def __init__(self, driver, fun, args, tfirst=True):
        self.fun, self.tfirst = fun, tfirst
        self.args = () if args is None else tuple(args)
        self.active = [i for i, a in enumerate(self.args) if _is_float(a)]
        wrt = (1 if tfirst else 0,) + tuple(2 + i for i in self.active)
        self._vjp = driver.transforms["vjp"](fun, wrt=wrt)
        self._jvp = driver.transforms["jvp"](fun, wrt=wrt)
        params = list(inspect.signature(fun).parameters.values())
        self._keyword = {p.name for p in params if p.default is not p.empty}
        self._names = [p.name for p in params]

    def _call(self, gen, t, y, extra):
        values = ((t, y) if self.tfirst else (y, t)) + self.args
        positional = [v for n, v in zip(self._names, values) if n not in self._keyword]
        keywords = {n: v for n, v in zip(self._names, values) if n in self._keyword}
        return gen(*positional, *extra, **keywords)

    def __call__(self, t, y):
        return np.ravel(np.asarray(self._call(self.fun, t, y, ()), dtype=float))

    def vjp(self, t, y, a):
        """``f``, ``a^T df/dy`` and ``a^T df/dargs`` (flat, the active args)."""
        f, (ay, *aargs) = self._call(self._vjp, t, y, (a,))
        parts = [np.broadcast_to(d, np.shape(self.args[i])).ravel()
                 for d, i in zip(aargs, self.active)]
        return (np.ravel(np.asarray(f, dtype=float)),
                np.broadcast_to(ay, np.shape(y)).ravel(), np.concatenate([[]] + parts))

    def jvp(self, t, y, v, w):
        """``f`` and ``df/dy v + df/dargs w`` (``w``: a tangent per active arg)."""
        f, tf = self._call(self._jvp, t, y, (v, *w))
        f = np.ravel(np.asarray(f, dtype=float))
        return f, np.broadcast_to(np.asarray(tf, dtype=float).ravel(), f.shape)

    def split(self, mu):
        """The flat adjoint ``mu`` of the active args as one adjoint per arg."""
        out, start = [], 0
        for i, a in enumerate(self.args):
            if i in self.active:
                out.append(np.reshape(mu[start:start + np.size(a)], np.shape(a)))
                start += np.size(a)
                if np.ndim(a) == 0:
                    out[-1] = float(out[-1])
            else:
                out.append(None)
        return out


def summable(adjoints):
    """The dict of adjoints a helper returns, as one that adds key by key and
    element by element (a second-order rule sums several): lists become
    :class:`Adjoints`, ``None`` (no adjoint) the zero ``0.0``."""
    def one(v):
        if v is None:
            return 0.0
        if isinstance(v, list):
            return Adjoints(one(e) for e in v)
        return v
    return AdjointDict((k, one(v)) for k, v in adjoints.items())


def augmented_tol(atol, size):
    """``atol`` for an augmented state of ``size`` values (the state's own
    first, the smallest for the rest)."""
    if np.ndim(atol) == 0:
        return atol
    atol = np.ravel(atol)
    return np.concatenate([atol, np.full(size - atol.size, atol.min())])


def output_times(t_span, t_eval, t):
    """``(t0, ts, free)``: the start, the output times and whether they are
    the solver's own steps (``t_eval`` None: only the end points move)."""
    t0 = float(np.ravel(t_span)[0])
    return t0, np.asarray(t, dtype=float), t_eval is None


def backward(rhs, solve, t0, y0, ts, ys, gs):
    """The reverse sweep: ``(a(t0), mu, gt, dt0)`` from ``y(t0) = y0`` for outputs ``ys[k]`` at
    ``ts[k]`` with adjoints ``gs[k]``; ``solve(fun, ta, tb, z)`` integrates
    ``z' = fun(t, z)`` from ``ta`` to ``tb`` and returns ``z(tb)``."""
    n = ys.shape[1]
    a = np.zeros(n)
    mu = np.zeros(sum(np.size(rhs.args[i]) for i in rhs.active))
    gt = np.array([gs[k] @ rhs(ts[k], ys[k]) for k in range(len(ts))])
    starts = [t0] + list(ts[:-1])

    def aug(t, z):
        f, ay, amu = rhs.vjp(t, z[:n], z[n:2 * n])
        return np.concatenate([f, -ay, -amu])

    for k in range(len(ts) - 1, -1, -1):
        a = a + gs[k]
        if starts[k] != ts[k]:
            z = solve(aug, ts[k], starts[k], np.concatenate([ys[k], a, mu]))
            a, mu = z[n:2 * n], z[2 * n:]
    return a, mu, gt, -a @ rhs(t0, np.ravel(y0))


def forward(rhs, solve_at, t0, ts, y0, v0, w):
    """The tangents ``v(t_k)`` (K, n) of the states at ``ts`` for ``v(t0) =
    v0`` and argument tangents ``w``; ``solve_at(fun, t0, ts, z0)`` gives
    the solution at ``ts`` (K, size)."""
    n = np.size(y0)

    def aug(t, z):
        f, tf = rhs.jvp(t, z[:n], z[n:], w)
        return np.concatenate([f, tf])

    z = solve_at(aug, t0, ts, np.concatenate([np.ravel(y0), np.ravel(v0)]))
    return z[:, n:]


# -- solve_ivp ----------------------------------------------------------------------------

def _ivp_solvers(method, rtol, atol, max_step, n):
    options = {} if max_step is None else {"max_step": max_step}

    def run(fun, t_span, z, **kw):
        sol = solve_ivp(fun, t_span, z, method=method, rtol=rtol,
                        atol=augmented_tol(atol, z.size), **options, **kw)
        if sol.status != 0:
            raise unsupported(f"scipy.integrate.solve_ivp failed while differentiating: "
                              f"{sol.message}")
        return sol

    def solve(fun, ta, tb, z):       # (t_eval: the solver keeps only the end, not each step)
        return run(fun, (ta, tb), z, t_eval=[tb]).y[:, -1]

    def solve_at(fun, t0, ts, z):
        if ts[-1] == t0:
            return np.tile(z, (len(ts), 1))
        return run(fun, (t0, ts[-1]), z, t_eval=ts).y.T

    return solve, solve_at


def _ivp_setup(driver, ans, fun, t_span, t_eval, args):
    rhs = Rhs(driver, fun, args)
    t0, ts, free = output_times(t_span, t_eval, ans.t)
    return rhs, t0, ts, free, np.asarray(ans.y, dtype=float).T


def solve_ivp_da(driver, g, ans, fun, t_span, y0, method="RK45", t_eval=None, args=None,
                 rtol=1e-3, atol=1e-6, max_step=None):
    """The adjoints ``{"y0", "t_span", "t_eval", "args"}`` of ``ans =
    solve_ivp(fun, t_span, y0, ...)`` from its adjoint ``g`` (by attribute:
    ``g["y"]``, ``g["t"]``)."""
    key = (driver, g, ans, fun, t_span, y0, method, t_eval, args, rtol, atol, max_step)
    return _once(key, lambda: _solve_ivp_da(*key))


def _solve_ivp_da(driver, g, ans, fun, t_span, y0, method, t_eval, args, rtol, atol, max_step):
    rhs, t0, ts, free, ys = _ivp_setup(driver, ans, fun, t_span, t_eval, args)
    gy = g["y"] if isinstance(g, dict) else 0.0
    gt_in = g["t"] if isinstance(g, dict) else 0.0
    gs = np.broadcast_to(np.asarray(gy, dtype=float), ys.T.shape).T
    gt_in = np.broadcast_to(np.asarray(gt_in, dtype=float), ts.shape)
    if free and (np.any(gs[1:-1]) or np.any(gt_in[1:-1])):
        raise unsupported("scipy.integrate.solve_ivp without t_eval: only the first and last "
                          "columns of sol.y (and of sol.t) are differentiated, not the "
                          "solver's own intermediate steps",
                          "pass t_eval= with the times the loss reads")
    solve, _ = _ivp_solvers(method, rtol, atol, max_step, ys.shape[1])
    a, mu, gt, dt0 = backward(rhs, solve, t0, y0, ts, ys, gs)
    gt = gt + gt_in
    if free:
        d_span = [dt0 + gt[0], gt[-1]]
        d_eval = None
    else:
        d_span = [dt0, 0.0]
        d_eval = gt
    return summable({"y0": np.reshape(a, np.shape(y0)), "args": rhs.split(mu),
                     "t_span": d_span if isinstance(t_span, (tuple, list)) else np.array(d_span),
                     "t_eval": d_eval})


def solve_ivp_tangent(driver, ans, fun, t_span, y0, method="RK45", t_eval=None, args=None,
                      rtol=1e-3, atol=1e-6, max_step=None, *, dy0=None, dt_span=None,
                      dt_eval=None, dargs=None):
    """The tangent ``{"y": ..., "t": ...}`` of ``ans = solve_ivp(...)`` along
    the tangent of one argument (``dy0``, ``dt_span``, ``dt_eval`` or ``dargs``)."""
    rhs, t0, ts, free, ys = _ivp_setup(driver, ans, fun, t_span, t_eval, args)
    n = ys.shape[1]
    dts = np.zeros(len(ts))
    if not _zero(dt_span):
        dt0, dt1 = (float(d) for d in np.broadcast_to(np.asarray(dt_span, dtype=float), (2,)))
        if free:
            dts[0], dts[-1] = dt0, dt1
    else:
        dt0 = 0.0
    if not _zero(dt_eval):
        dts = dts + np.broadcast_to(np.asarray(dt_eval, dtype=float), ts.shape)
    v0 = -rhs(t0, np.ravel(y0)) * dt0
    if not _zero(dy0):
        v0 = v0 + np.broadcast_to(np.asarray(dy0, dtype=float), np.shape(y0)).ravel()
    w = [np.zeros(np.shape(rhs.args[i])) if dargs is None or _zero(dargs[i])
         else np.broadcast_to(np.asarray(dargs[i], dtype=float), np.shape(rhs.args[i]))
         for i in rhs.active]
    _, solve_at = _ivp_solvers(method, rtol, atol, max_step, n)
    vs = forward(rhs, solve_at, t0, ts, y0, v0, w)
    vs = vs + np.array([rhs(t, y) * d for t, y, d in zip(ts, ys, dts)])
    if free:
        vs[1:-1] = np.nan      # the solver's own steps move with the arguments: no derivative
    return AdjointDict(y=vs.T, t=dts)


# -- odeint -------------------------------------------------------------------------------

def _odeint_solvers(rtol, atol, mxstep):
    def run(fun, ts, z):
        kw = {"rtol": rtol, "mxstep": mxstep}
        if atol is not None:
            kw["atol"] = augmented_tol(atol, z.size)
        out, info = odeint(lambda z, t: fun(t, z), z, ts, full_output=True, **kw)
        if info["message"] != "Integration successful.":
            raise unsupported(f"scipy.integrate.odeint failed while differentiating: "
                              f"{info['message']}")
        return out

    def solve(fun, ta, tb, z):
        return run(fun, [ta, tb], z)[-1]

    def solve_at(fun, t0, ts, z):
        return run(fun, ts, z)

    return solve, solve_at


def odeint_da(driver, g, ans, func, y0, times, args=(), rtol=None, atol=None, mxstep=0,
              tfirst=False):
    """The adjoints ``{"y0", "t", "args"}`` of ``ans = odeint(func, y0, times, args)``."""
    key = (driver, g, ans, func, y0, times, args, rtol, atol, mxstep, tfirst)
    return _once(key, lambda: _odeint_da(*key))


def _odeint_da(driver, g, ans, func, y0, t, args, rtol, atol, mxstep, tfirst):
    rhs = Rhs(driver, func, args, tfirst)
    ts = np.asarray(t, dtype=float)
    ys = np.reshape(np.asarray(ans, dtype=float), (len(ts), -1))
    gs = np.broadcast_to(np.asarray(g, dtype=float), np.shape(ans)).reshape(ys.shape)
    solve, _ = _odeint_solvers(rtol, atol, mxstep)
    a, mu, gt, dt0 = backward(rhs, solve, ts[0], ys[0], ts, ys, gs)
    gt[0] += dt0
    return summable({"y0": np.reshape(a, np.shape(y0)), "t": np.reshape(gt, np.shape(t)),
                     "args": rhs.split(mu)})


def odeint_tangent(driver, ans, func, y0, times, args=(), rtol=None, atol=None, mxstep=0,
                   tfirst=False, *, dy0=None, dt=None, dargs=None):
    """The tangent of ``ans = odeint(func, y0, times, args)`` along the tangent
    of one argument (``dy0``, ``dt`` or ``dargs``)."""
    rhs = Rhs(driver, func, args, tfirst)
    ts = np.asarray(times, dtype=float)
    ys = np.reshape(np.asarray(ans, dtype=float), (len(ts), -1))
    dts = np.zeros(len(ts)) if _zero(dt) else \
        np.broadcast_to(np.asarray(dt, dtype=float), np.shape(times)).ravel()
    v0 = -rhs(ts[0], ys[0]) * dts[0]
    if not _zero(dy0):
        v0 = v0 + np.broadcast_to(np.asarray(dy0, dtype=float), np.shape(y0)).ravel()
    w = [np.zeros(np.shape(rhs.args[i])) if dargs is None or _zero(dargs[i])
         else np.broadcast_to(np.asarray(dargs[i], dtype=float), np.shape(rhs.args[i]))
         for i in rhs.active]
    _, solve_at = _odeint_solvers(rtol, atol, mxstep)
    vs = forward(rhs, solve_at, ts[0], ts, ys[0], v0, w)
    vs = vs + np.array([rhs(tk, yk) * d for tk, yk, d in zip(ts, ys, dts)])
    return np.reshape(vs, np.shape(ans))
