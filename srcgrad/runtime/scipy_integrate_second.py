"""Second derivatives through scipy.integrate's ODE solvers: the derivatives
of the first-order helpers of :mod:`srcgrad.runtime.scipy_integrate`.

With ``S(p)`` the solution at the output times as a function of ``p = (y0,
args)`` and ``J`` its Jacobian, the first-order helpers compute ``T(p; u) =
J u`` (``*_tangent``) and ``A(p; g) = J^T g`` (``*_da``).  Both are linear in
``u`` / ``g``, so their derivatives along those are the helpers themselves;
their derivatives along ``p`` are the two second-order quantities here:

* ``M(p; g, u) = grad_p (g . J(p) u)`` (:func:`solve_ivp_second`,
  :func:`odeint_second`) -- the derivative of ``A(p; g)`` along ``u`` and the
  cotangent of ``p`` of ``T(p; u)`` -- is the adjoint, with cotangent ``g`` on
  the tangent part, of the *tangent system* ``z = (y, v)``, ::

      y' = f(t, y, p),    v' = df/dy v + df/dp w,    z(t0) = (y0, u_y0)

  with parameters ``(p, w)``: the reverse sweep of the first-order adjoint
  run on that system; its right-hand side's vjp is srcgrad's generated vjp of
  the generated jvp of ``f`` (reverse over forward).
* ``d/dp T(p; u) . dp`` (:func:`solve_ivp_tangent2`, :func:`odeint_tangent2`)
  is the forward sensitivity of the same system along ``(dy0, 0)``, ``(dp, 0)``
  (the generated jvp of the generated jvp of ``f``).

The derivative solves use the solver, method and tolerances of the user's call
(``atol`` extended to the larger state by its smallest value).  Perturbed
times at second order (a tangent or cotangent of ``t_span``, ``t_eval`` or
odeint's times meeting a derivative along ``p``) are refused, as is any third
derivative.

The helpers return their dicts through ``summable``, so that the rules'
templates add them key by key (``args`` element by element, not concatenated):

>>> d = summable({"y0": np.ones(2), "args": [None, 1.0]}) + summable({"args": [0.5, 2.0]})
>>> d["y0"], [float(a) for a in d["args"]]
(array([1., 1.]), [0.5, 3.0])
"""

import inspect

import numpy as np

from srcgrad.runtime.base import unsupported
from srcgrad.runtime.containers import AdjointDict
from srcgrad.runtime.scipy_integrate import (
    Rhs, _ivp_setup, _ivp_solvers, _odeint_solvers, _zero, backward, forward, once, summable)

#: the refusal of perturbed times at second order
TIMES = ("second derivatives through scipy.integrate.solve_ivp and odeint with respect to the "
         "times (t_span, t_eval, odeint's t) are not supported",
         "differentiate twice with respect to y0 and args= only, or once with respect to the times")
#: the refusal of third order
THIRD = ("third derivatives through scipy.integrate.solve_ivp and odeint are not supported",
         "differentiate at most twice, or write the integrator as a loop in Python")


def refuse_times():
    """A second derivative along the times of an ODE solve is not supported."""
    raise unsupported(TIMES)


def refuse_third():
    """A third derivative through an ODE solve is not supported."""
    raise unsupported(THIRD)


_LAST = [((), None)]


def _once(key, compute):
    """The second-order sweep, run once for the reverse rules of ``y0`` and
    ``args`` which each ask for it (:func:`scipy_integrate.once`)."""
    return once(_LAST, key, compute)


def _names(fun):
    params = inspect.signature(fun).parameters.values()
    return [p.name for p in params], {p.name for p in params if p.default is not p.empty}


def _call(gen, values):
    """``gen`` called with ``values`` by parameter name (positional unless defaulted)."""
    names, keyword = _names(gen)
    return gen(*[values[n] for n in names if n not in keyword],
               **{n: values[n] for n in names if n in keyword})


def _flat(x):
    return np.ravel(np.asarray(x, dtype=float))


class TangentSystem:
    """The right-hand side of ``z = (y, v)``: ``(f, df/dy v + df/dp w)``, with
    parameters ``(args..., w...)`` (the active args and their tangents), in
    the interface :func:`backward` and :func:`forward` use (``args``,
    ``active``, ``__call__``, ``vjp``, ``jvp``)."""

    def __init__(self, driver, rhs, w):
        self.rhs, self.n_w = rhs, len(rhs.active)
        self.args = tuple(rhs.args) + tuple(w)
        self.active = list(rhs.active) + [len(rhs.args) + j for j in range(self.n_w)]
        self.w = list(w)
        fun_names, _ = _names(rhs.fun)
        jvp_names, _ = _names(rhs._jvp)
        self._fun_names = fun_names
        self._tan_names = [n for n in jvp_names if n not in fun_names]
        y_name = fun_names[1 if rhs.tfirst else 0]
        wrt = [y_name] + [fun_names[2 + i] for i in rhs.active] + self._tan_names
        self._wrt = wrt
        self._vjp2 = driver.transforms["vjp"](rhs._jvp, wrt=tuple(wrt))
        self._jvp2 = driver.transforms["jvp"](rhs._jvp, wrt=tuple(wrt))
        self._extra_v = [n for n in _names(self._vjp2)[0] if n not in jvp_names]
        self._extra_j = [n for n in _names(self._jvp2)[0] if n not in jvp_names]

    def _values(self, t, y, v, w):
        rhs = self.rhs
        first = (t, y) if rhs.tfirst else (y, t)
        values = dict(zip(self._fun_names, first + tuple(rhs.args)))
        values.update(zip(self._tan_names, [v] + list(w)))
        return values

    def _split(self, z):
        n = z.size // 2
        return z[:n], z[n:]

    def __call__(self, t, z):
        y, v = self._split(z)
        f, tf = self.rhs.jvp(t, y, v, self.w)
        return np.concatenate([f, tf])

    def vjp(self, t, z, a):
        y, v = self._split(z)
        ay, av = self._split(a)
        values = self._values(t, y, v, self.w)
        values.update(zip(self._extra_v, [(ay, av)]))
        (f, tf), grads = _call(self._vjp2, values)
        k = len(self.rhs.active)
        d_y, d_args, d_v, d_w = grads[0], grads[1:1 + k], grads[1 + k], grads[2 + k:]
        mu = [np.broadcast_to(d, np.shape(self.args[i])).ravel()
              for d, i in zip(list(d_args) + list(d_w), self.active)]
        f, tf = _flat(f), _flat(tf)
        return (np.concatenate([f, np.broadcast_to(tf, f.shape)]),
                np.concatenate([np.broadcast_to(d_y, y.shape).ravel(),
                                np.broadcast_to(d_v, v.shape).ravel()]),
                np.concatenate([[]] + mu))

    def jvp(self, t, z, dz, dparams):
        y, v = self._split(z)
        dy, dv = self._split(dz)
        k = len(self.rhs.active)
        values = self._values(t, y, v, self.w)
        values.update(zip(self._extra_j, [dy] + list(dparams[:k]) + [dv] + list(dparams[k:])))
        (f, tf), (df, dtf) = _call(self._jvp2, values)
        f = _flat(f)
        parts = [f, np.broadcast_to(_flat(tf), f.shape), np.broadcast_to(_flat(df), f.shape),
                 np.broadcast_to(_flat(dtf), f.shape)]
        return np.concatenate(parts[:2]), np.concatenate(parts[2:])


def _direction(rhs, y0, dy0, dargs):
    """``(u_y0, w)``: the flat direction in ``y0`` and one tangent per active arg."""
    u = np.zeros(np.size(y0)) if _zero(dy0) else \
        np.broadcast_to(np.asarray(dy0, dtype=float), np.shape(y0)).ravel().copy()
    w = [np.zeros(np.shape(rhs.args[i])) if dargs is None or _zero(dargs[i])
         else np.broadcast_to(np.asarray(dargs[i], dtype=float), np.shape(rhs.args[i]))
         for i in rhs.active]
    return u, w


def _no_times(*times):
    for d in times:
        if d is not None and not _zero(d) and np.any(np.asarray(d, dtype=float) != 0):
            raise unsupported(TIMES)


def second_adjoint(driver, rhs, solve, solve_at, t0, y0, ts, ys, gs, u, w):
    """``M(p; g, u)`` as ``(m_y0, m_args (flat), a_y0, m_gt, m_dt0)``: the
    derivatives along ``u = (u, w)`` of the first-order adjoint's ``a(t0)``,
    ``mu``, ``gt_k = g_k . f(t_k, y_k)`` and ``dt0 = -a(t0) . f(t0, y0)``."""
    n = ys.shape[1]
    vs = forward(rhs, solve_at, t0, ts, y0, u, w)
    system = TangentSystem(driver, rhs, w)
    zs = np.concatenate([ys, vs], axis=1)
    cot = np.concatenate([np.zeros_like(gs), gs], axis=1)
    a, mu, _, _ = backward(system, solve, t0, np.concatenate([np.ravel(y0), u]), ts, zs, cot)
    k = sum(np.size(rhs.args[i]) for i in rhs.active)
    m_y0, a_y0, m_args = a[:n], a[n:], mu[:k]
    m_gt = np.array([gs[j] @ rhs.jvp(ts[j], ys[j], vs[j], w)[1] for j in range(len(ts))])
    f0, tf0 = rhs.jvp(t0, np.ravel(y0), u, w)
    return m_y0, m_args, a_y0, m_gt, -m_y0 @ f0 - a_y0 @ tf0


def second_tangent(driver, rhs, solve_at, t0, ts, y0, u, w, py0, pw):
    """``d/dp T(p; u) . (py0, pw)``: the tangents (K, n) of the tangent states."""
    n = np.size(y0)
    system = TangentSystem(driver, rhs, w)
    z0 = np.concatenate([np.ravel(y0), u])
    dz0 = np.concatenate([py0, np.zeros(n)])
    out = forward(system, solve_at, t0, ts, z0, dz0, list(pw) + [np.zeros(np.shape(x)) for x in w])
    return out[:, n:]


# -- solve_ivp ----------------------------------------------------------------------------

def solve_ivp_second(driver, g, ans, fun, t_span, y0, method="RK45", t_eval=None, args=None,
                     rtol=1e-3, atol=1e-6, max_step=None, *, dy0=None, dt_span=None,
                     dt_eval=None, dargs=None):
    """``M(p; g, u)``: the derivative of ``solve_ivp_da(driver, g, ans, ...)``
    along the direction ``u`` (``dy0``, ``dargs``) of ``y0`` and ``args``, as
    a dict like that of ``solve_ivp_da`` (``y0``, ``args``, ``t_span``,
    ``t_eval``); also the cotangent of ``y0`` and ``args`` of
    ``solve_ivp_tangent(..., dy0=dy0, dargs=dargs)`` with cotangent ``g``."""
    _no_times(dt_span, dt_eval)
    rhs, t0, ts, free, ys = _ivp_setup(driver, ans, fun, t_span, t_eval, args)
    gy = g["y"] if isinstance(g, dict) else 0.0
    gs = np.array(np.broadcast_to(np.asarray(gy, dtype=float), ys.T.shape).T)
    if free:
        gs[1:-1] = 0.0       # (read by solve_ivp_da only where it differentiates)
    u, w = _direction(rhs, y0, dy0, dargs)
    solve, solve_at = _ivp_solvers(method, rtol, atol, max_step, ys.shape[1])
    m_y0, m_args, _, m_gt, m_dt0 = second_adjoint(driver, rhs, solve, solve_at, t0, y0, ts, ys,
                                                  gs, u, w)
    if free:
        d_span, d_eval = [m_dt0 + m_gt[0], m_gt[-1]], None
    else:
        d_span, d_eval = [m_dt0, 0.0], m_gt
    return summable({"y0": np.reshape(m_y0, np.shape(y0)), "args": rhs.split(m_args),
                     "t_span": d_span if isinstance(t_span, (tuple, list)) else np.array(d_span),
                     "t_eval": d_eval})


def ivp_direction(c):
    """The tangent keywords ``(dy0, dt_span, dt_eval, dargs)`` of a cotangent
    ``c`` of ``solve_ivp_da``'s dict."""
    if not isinstance(c, dict):
        return None, None, None, None
    return c.get("y0"), c.get("t_span"), c.get("t_eval"), c.get("args")


def solve_ivp_da_g(driver, c, ans, fun, t_span, y0, method="RK45", t_eval=None, args=None,
                   rtol=1e-3, atol=1e-6, max_step=None):
    """The cotangent of ``g`` of ``solve_ivp_da(driver, g, ans, ...)`` given
    the cotangent ``c`` of its dict: ``J c`` (the tangent helper), zero
    where ``solve_ivp_da`` does not read ``g``."""
    from srcgrad.runtime.scipy_integrate import solve_ivp_tangent
    dy0, dt_span, dt_eval, dargs = ivp_direction(c)
    out = solve_ivp_tangent(driver, ans, fun, t_span, y0, method, t_eval, args, rtol, atol,
                            max_step, dy0=dy0, dt_span=dt_span, dt_eval=dt_eval, dargs=dargs)
    y = np.array(out["y"])
    y[np.isnan(y)] = 0.0
    return AdjointDict(y=y, t=out["t"])


def solve_ivp_da_p(driver, g, ans, fun, t_span, y0, method="RK45", t_eval=None, args=None,
                   rtol=1e-3, atol=1e-6, max_step=None, *, c=None):
    """The cotangents of ``y0`` and ``args`` of ``solve_ivp_da`` given the
    cotangent ``c`` of its dict: ``M(p; g, c)``."""
    dy0, dt_span, dt_eval, dargs = ivp_direction(c)
    key = (driver, g, ans, fun, t_span, y0, method, t_eval, args, rtol, atol, max_step, c)
    return _once(key, lambda: solve_ivp_second(
        driver, g, ans, fun, t_span, y0, method, t_eval, args, rtol, atol, max_step, dy0=dy0,
        dt_span=dt_span, dt_eval=dt_eval, dargs=dargs))


def solve_ivp_tangent2(driver, ans, fun, t_span, y0, method="RK45", t_eval=None, args=None,
                       rtol=1e-3, atol=1e-6, max_step=None, *, dy0=None, dt_span=None,
                       dt_eval=None, dargs=None, py0=None, pargs=None):
    """The derivative of ``solve_ivp_tangent(..., dy0=dy0, dargs=dargs)``
    along ``py0`` / ``pargs`` (a tangent of ``y0`` / ``args``)."""
    _no_times(dt_span, dt_eval)
    rhs, t0, ts, free, ys = _ivp_setup(driver, ans, fun, t_span, t_eval, args)
    u, w = _direction(rhs, y0, dy0, dargs)
    pu, pw = _direction(rhs, y0, py0, pargs)
    _, solve_at = _ivp_solvers(method, rtol, atol, max_step, ys.shape[1])
    s = second_tangent(driver, rhs, solve_at, t0, ts, y0, u, w, pu, pw)
    if free:
        s[1:-1] = np.nan
    return AdjointDict(y=s.T, t=np.zeros(len(ts)))


# -- odeint -------------------------------------------------------------------------------

def _odeint_setup(driver, ans, func, times, args, tfirst):
    rhs = Rhs(driver, func, args, tfirst)
    ts = np.asarray(times, dtype=float)
    return rhs, ts, np.reshape(np.asarray(ans, dtype=float), (len(ts), -1))


def odeint_second(driver, g, ans, func, y0, times, args=(), rtol=None, atol=None, mxstep=0,
                  tfirst=False, *, dy0=None, dt=None, dargs=None):
    """``M(p; g, u)`` for odeint: the derivative of ``odeint_da`` along ``u``
    (``dy0``, ``dargs``), a dict like that of ``odeint_da``."""
    _no_times(dt)
    rhs, ts, ys = _odeint_setup(driver, ans, func, times, args, tfirst)
    gs = np.broadcast_to(np.asarray(g, dtype=float), np.shape(ans)).reshape(ys.shape)
    u, w = _direction(rhs, y0, dy0, dargs)
    solve, solve_at = _odeint_solvers(rtol, atol, mxstep)
    m_y0, m_args, _, m_gt, m_dt0 = second_adjoint(driver, rhs, solve, solve_at, ts[0], ys[0],
                                                  ts, ys, gs, u, w)
    m_gt[0] += m_dt0
    return summable({"y0": np.reshape(m_y0, np.shape(y0)), "t": np.reshape(m_gt, np.shape(times)),
                     "args": rhs.split(m_args)})


def odeint_da_g(driver, c, ans, func, y0, times, args=(), rtol=None, atol=None, mxstep=0,
                tfirst=False):
    """The cotangent of ``g`` of ``odeint_da`` given the cotangent ``c`` of its dict."""
    from srcgrad.runtime.scipy_integrate import odeint_tangent
    if not isinstance(c, dict):
        return np.zeros(np.shape(ans))
    return odeint_tangent(driver, ans, func, y0, times, args, rtol, atol, mxstep, tfirst,
                          dy0=c.get("y0"), dt=c.get("t"), dargs=c.get("args"))


def odeint_da_p(driver, g, ans, func, y0, times, args=(), rtol=None, atol=None, mxstep=0,
                tfirst=False, *, c=None):
    """The cotangents of ``y0`` and ``args`` of ``odeint_da`` given the cotangent ``c``."""
    key = (driver, g, ans, func, y0, times, args, rtol, atol, mxstep, tfirst, c)
    c = c if isinstance(c, dict) else {}
    return _once(key, lambda: odeint_second(
        driver, g, ans, func, y0, times, args, rtol, atol, mxstep, tfirst, dy0=c.get("y0"),
        dt=c.get("t"), dargs=c.get("args")))


def odeint_tangent2(driver, ans, func, y0, times, args=(), rtol=None, atol=None, mxstep=0,
                    tfirst=False, *, dy0=None, dt=None, dargs=None, py0=None, pargs=None):
    """The derivative of ``odeint_tangent(..., dy0=dy0, dargs=dargs)`` along
    ``py0`` / ``pargs``."""
    _no_times(dt)
    rhs, ts, ys = _odeint_setup(driver, ans, func, times, args, tfirst)
    u, w = _direction(rhs, y0, dy0, dargs)
    pu, pw = _direction(rhs, y0, py0, pargs)
    _, solve_at = _odeint_solvers(rtol, atol, mxstep)
    s = second_tangent(driver, rhs, solve_at, ts[0], ts, ys[0], u, w, pu, pw)
    return np.reshape(s, np.shape(ans))
