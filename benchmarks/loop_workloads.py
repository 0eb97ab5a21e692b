"""The loop suite (``python -m benchmarks --suite loops``): code the way a
scientist writes it -- explicit loops over array elements, a right-hand side
called from an integrator, small matrices in a time loop, Python floats
appended to lists, recursion, a ``while`` loop with a data-dependent step.

Each workload is a :class:`benchmarks.workloads.Workload`, like those of the
default suite: the primal (what srcgrad differentiates), a hand-written
adjoint and an input maker.  The hand adjoints keep the primal's loops and its
kind of operations (arrays stay arrays, floats stay floats, element by element
where the primal goes element by element): a forward pass that keeps what the
reverse pass reads, then the reverse loop -- what a careful person writes when
adjoining this code by hand.  So ``/ hand`` measures what the automatic
differentiation costs, not a change of algorithm or a vectorisation.

Only the primal, the hand adjoint, srcgrad and autograd are run (``methods``):
the JAX and PyTorch idioms for these loops (``lax.scan``, ``lax.while_loop``,
no in-place writes) are different programs.  Every workload also has a
``<name>_memory`` twin (:func:`with_memory`): the tracemalloc peak of one
gradient call, as ``rnn_memory`` in the default suite.

``python -m benchmarks.verify`` checks each hand adjoint against central
finite differences, srcgrad and autograd.
"""

import dataclasses
import math

import numpy as np

from .workloads import Size, Workload

METHODS = ("primal", "hand", "srcgrad", "autograd")


# ---------------------------------------------------------------------------
# 1. 1-D convolution with explicit loops and out[i] += ...
# ---------------------------------------------------------------------------

def conv1d_loss(x, w):
    n = x.shape[0] - w.shape[0] + 1
    out = np.zeros(n)
    for i in range(n):
        for j in range(w.shape[0]):
            out[i] += w[j] * x[i + j]
    return np.sum(out ** 2)


def conv1d_hand(x, w):
    k = w.shape[0]
    n = x.shape[0] - k + 1
    out = np.zeros(n)
    for i in range(n):
        for j in range(k):
            out[i] += w[j] * x[i + j]
    # nothing is overwritten: the reverse pass reads x, w and out
    gout = 2.0 * out
    gx = np.zeros_like(x)
    gw = np.zeros_like(w)
    for i in range(n - 1, -1, -1):
        g = gout[i]
        for j in range(k - 1, -1, -1):
            gw[j] += g * x[i + j]
            gx[i + j] += g * w[j]
    return gx, gw


def conv1d_inputs(params, rng):
    n, k = params["n"], params["k"]
    return (rng.standard_normal(n), rng.standard_normal(k) / math.sqrt(k))


# ---------------------------------------------------------------------------
# 2. RK4 on Lotka-Volterra, the right-hand side a helper called 4 times a step
# ---------------------------------------------------------------------------

RK4_H = 0.05


def lotka_volterra(u, theta):
    x, y = u[0], u[1]
    return np.array([theta[0] * x - theta[1] * x * y,
                     theta[2] * x * y - theta[3] * y])


def rk4_loss(theta, u0, obs):
    h = RK4_H
    u = u0
    loss = 0.0
    for i in range(obs.shape[0]):
        k1 = lotka_volterra(u, theta)
        k2 = lotka_volterra(u + 0.5 * h * k1, theta)
        k3 = lotka_volterra(u + 0.5 * h * k2, theta)
        k4 = lotka_volterra(u + h * k3, theta)
        u = u + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        loss = loss + np.sum((u - obs[i]) ** 2)
    return loss


def lotka_volterra_vjp(u, theta, g):
    """(d u, d theta) of ``g . lotka_volterra(u, theta)``."""
    x, y = u[0], u[1]
    gu = np.array([g[0] * (theta[0] - theta[1] * y) + g[1] * theta[2] * y,
                   -g[0] * theta[1] * x + g[1] * (theta[2] * x - theta[3])])
    gtheta = np.array([g[0] * x, -g[0] * x * y, g[1] * x * y, -g[1] * y])
    return gu, gtheta


def rk4_hand(theta, u0, obs):
    h = RK4_H
    T = obs.shape[0]
    u = u0
    stages = []          # the four points the right-hand side was evaluated at
    resid = []           # u_{i+1} - obs[i]
    for i in range(T):
        k1 = lotka_volterra(u, theta)
        u2 = u + 0.5 * h * k1
        k2 = lotka_volterra(u2, theta)
        u3 = u + 0.5 * h * k2
        k3 = lotka_volterra(u3, theta)
        u4 = u + h * k3
        k4 = lotka_volterra(u4, theta)
        stages.append((u, u2, u3, u4))
        u = u + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        resid.append(u - obs[i])
    gu = np.zeros(2)
    gtheta = np.zeros(4)
    for i in range(T - 1, -1, -1):
        u1, u2, u3, u4 = stages[i]
        gu = gu + 2.0 * resid[i]
        gk4 = h / 6.0 * gu
        gk3 = h / 3.0 * gu
        gk2 = h / 3.0 * gu
        gk1 = h / 6.0 * gu
        g4, gt = lotka_volterra_vjp(u4, theta, gk4)
        gtheta += gt
        gk3 = gk3 + h * g4
        g3, gt = lotka_volterra_vjp(u3, theta, gk3)
        gtheta += gt
        gk2 = gk2 + 0.5 * h * g3
        g2, gt = lotka_volterra_vjp(u2, theta, gk2)
        gtheta += gt
        gk1 = gk1 + 0.5 * h * g2
        g1, gt = lotka_volterra_vjp(u1, theta, gk1)
        gtheta += gt
        gu = gu + g1 + g2 + g3 + g4
    return gtheta, gu


def rk4_inputs(params, rng):
    T = params["T"]
    true = np.array([1.5, 1.0, 1.0, 3.0])
    u = np.array([1.0, 1.0])
    obs = np.empty((T, 2))
    for i in range(T):      # the true trajectory, then noise
        k1 = lotka_volterra(u, true)
        k2 = lotka_volterra(u + 0.5 * RK4_H * k1, true)
        k3 = lotka_volterra(u + 0.5 * RK4_H * k2, true)
        k4 = lotka_volterra(u + RK4_H * k3, true)
        u = u + RK4_H / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        obs[i] = u
    obs += 0.05 * rng.standard_normal(obs.shape)
    theta = true * (1.0 + 0.05 * rng.standard_normal(4))
    return (theta, np.array([1.05, 0.95]), obs)


# ---------------------------------------------------------------------------
# 3. Kalman-filter log-likelihood: small matrices, a loop over time
# ---------------------------------------------------------------------------

def kalman_loglik(A, log_q, log_r, C, ys):
    n = A.shape[0]
    Q = np.exp(log_q) * np.eye(n)
    R = np.exp(log_r) * np.eye(C.shape[0])
    m = np.zeros(n)
    P = np.eye(n)
    ll = 0.0
    for t in range(ys.shape[0]):
        # predict
        m = A @ m
        P = A @ P @ A.T + Q
        # update
        v = ys[t] - C @ m
        S = C @ P @ C.T + R
        Sinv = np.linalg.inv(S)
        K = P @ C.T @ Sinv
        m = m + K @ v
        P = P - K @ S @ K.T
        ll = ll - 0.5 * (np.log(np.linalg.det(S)) + v @ Sinv @ v + len(v) * np.log(2.0 * np.pi))
    return ll


def kalman_hand(A, log_q, log_r, C, ys):
    n = A.shape[0]
    q, r = np.exp(log_q), np.exp(log_r)
    Q = q * np.eye(n)
    R = r * np.eye(C.shape[0])
    m = np.zeros(n)
    P = np.eye(n)
    tape = []
    for t in range(ys.shape[0]):
        m_old, P_old = m, P
        m = A @ m
        P = A @ P @ A.T + Q
        v = ys[t] - C @ m
        S = C @ P @ C.T + R
        Sinv = np.linalg.inv(S)
        B = P @ C.T
        K = B @ Sinv
        tape.append((m_old, P_old, P, v, S, Sinv, B, K))
        m = m + K @ v
        P = P - K @ S @ K.T
    gA = np.zeros_like(A)
    gQ = np.zeros((n, n))
    gR = np.zeros_like(R)
    gm = np.zeros(n)
    gP = np.zeros((n, n))
    for t in range(ys.shape[0] - 1, -1, -1):
        m_old, P_old, Pp, v, S, Sinv, B, K = tape[t]
        # ll -= 0.5 (log det S + v' Sinv v)
        gS = -0.5 * Sinv.T
        gSinv = -0.5 * np.outer(v, v)
        gv = -0.5 * (Sinv + Sinv.T) @ v
        # P_new = Pp - K S K'
        gPp = gP.copy()
        gK = -(gP @ K @ S.T + gP.T @ K @ S)
        gS -= K.T @ gP @ K
        # m_new = mp + K v
        gmp = gm.copy()
        gK += np.outer(gm, v)
        gv += K.T @ gm
        # K = B Sinv, B = Pp C'
        gB = gK @ Sinv.T
        gSinv += B.T @ gK
        gPp += gB @ C
        # Sinv = inv(S)
        gS -= Sinv.T @ gSinv @ Sinv.T
        # S = C Pp C' + R
        gPp += C.T @ gS @ C
        gR += gS
        # v = y - C mp
        gmp -= C.T @ gv
        # Pp = A P A' + Q
        gA += gPp @ A @ P_old.T + gPp.T @ A @ P_old
        gP = A.T @ gPp @ A
        gQ += gPp
        # mp = A m
        gA += np.outer(gmp, m_old)
        gm = A.T @ gmp
    return gA, q * np.trace(gQ), r * np.trace(gR)


def kalman_inputs(params, rng):
    T, n, k = params["T"], 3, 2
    theta = 0.3
    A_true = 0.95 * np.array([[math.cos(theta), -math.sin(theta), 0.0],
                              [math.sin(theta), math.cos(theta), 0.0],
                              [0.0, 0.0, 0.9]])
    C = rng.standard_normal((k, n))
    x = rng.standard_normal(n)
    ys = np.empty((T, k))
    for t in range(T):
        x = A_true @ x + 0.3 * rng.standard_normal(n)
        ys[t] = C @ x + 0.2 * rng.standard_normal(k)
    A = A_true + 0.05 * rng.standard_normal((n, n))
    return (A, math.log(0.1), math.log(0.05), C, ys)


# ---------------------------------------------------------------------------
# 4. a trajectory on Python floats, appended to lists
# ---------------------------------------------------------------------------

PROJ_DT = 0.01


def projectile_loss(v0, angle, drag, obs_x, obs_y):
    dt = PROJ_DT
    x, y = 0.0, 0.0
    vx = v0 * math.cos(angle)
    vy = v0 * math.sin(angle)
    xs = [x]
    ys = [y]
    for i in range(len(obs_x) - 1):
        speed = math.sqrt(vx * vx + vy * vy)
        vx = vx - dt * drag * speed * vx
        vy = vy - dt * (9.81 + drag * speed * vy)
        x = x + dt * vx
        y = y + dt * vy
        xs.append(x)
        ys.append(y)
    loss = 0.0
    for xi, yi, oxi, oyi in zip(xs, ys, obs_x, obs_y):
        loss += (xi - oxi) ** 2 + (yi - oyi) ** 2
    return loss


def projectile_hand(v0, angle, drag, obs_x, obs_y):
    dt = PROJ_DT
    x, y = 0.0, 0.0
    ca, sa = math.cos(angle), math.sin(angle)
    vx = v0 * ca
    vy = v0 * sa
    xs = [x]
    ys = [y]
    tape = []            # (vx, vy, speed) before each step
    for i in range(len(obs_x) - 1):
        speed = math.sqrt(vx * vx + vy * vy)
        tape.append((vx, vy, speed))
        vx = vx - dt * drag * speed * vx
        vy = vy - dt * (9.81 + drag * speed * vy)
        x = x + dt * vx
        y = y + dt * vy
        xs.append(x)
        ys.append(y)
    gx = gy = gvx = gvy = gdrag = 0.0
    for i in range(len(tape) - 1, -1, -1):
        gx += 2.0 * (xs[i + 1] - obs_x[i + 1])
        gy += 2.0 * (ys[i + 1] - obs_y[i + 1])
        gvx += dt * gx
        gvy += dt * gy
        vx, vy, speed = tape[i]
        a = gvx * vx + gvy * vy
        gdrag -= dt * speed * a
        gs = -dt * drag * a
        damp = 1.0 - dt * drag * speed
        gvx = gvx * damp + gs * vx / speed
        gvy = gvy * damp + gs * vy / speed
    return gvx * ca + gvy * sa, v0 * (gvy * ca - gvx * sa), gdrag


def projectile_inputs(params, rng):
    T = params["T"]
    v0, angle, drag = 20.0, 0.8, 0.05
    # the observations: the true trajectory (drag 0.05) with noise
    dt = PROJ_DT
    x = y = 0.0
    vx, vy = v0 * math.cos(angle), v0 * math.sin(angle)
    obs_x, obs_y = [x], [y]
    for i in range(T):
        speed = math.sqrt(vx * vx + vy * vy)
        vx = vx - dt * drag * speed * vx
        vy = vy - dt * (9.81 + drag * speed * vy)
        x, y = x + dt * vx, y + dt * vy
        obs_x.append(x + 0.1 * float(rng.standard_normal()))
        obs_y.append(y + 0.1 * float(rng.standard_normal()))
    return (19.0, 0.75, 0.04, obs_x, obs_y)


# ---------------------------------------------------------------------------
# 5. determinant by expansion in minors (recursion)
# ---------------------------------------------------------------------------

def det_minors(M):
    n = M.shape[0]
    if n == 1:
        return M[0, 0]
    total = 0.0
    for j in range(n):
        minor = np.concatenate((M[1:, :j], M[1:, j + 1:]), axis=1)
        total = total + (-1.0) ** j * M[0, j] * det_minors(minor)
    return total


def det_minors_hand(M):
    return _det_and_grad(M)[1]


def _det_and_grad(M):
    """(det M, d det / d M), by the same expansion in minors."""
    n = M.shape[0]
    if n == 1:
        return M[0, 0], np.ones((1, 1))
    total = 0.0
    G = np.zeros_like(M)
    for j in range(n):
        minor = np.concatenate((M[1:, :j], M[1:, j + 1:]), axis=1)
        d, gminor = _det_and_grad(minor)
        s = (-1.0) ** j
        total = total + s * M[0, j] * d
        G[0, j] += s * d
        c = s * M[0, j]
        G[1:, :j] += c * gminor[:, :j]
        G[1:, j + 1:] += c * gminor[:, j:]
    return total, G


def det_minors_inputs(params, rng):
    n = params["n"]
    return (np.eye(n) + 0.5 * rng.standard_normal((n, n)),)


# ---------------------------------------------------------------------------
# 6. least squares with two scalar loops (polynomial fit)
# ---------------------------------------------------------------------------

def poly_lsq(c, x, y):
    loss = 0.0
    for i in range(len(x)):
        pred = 0.0
        for j in range(len(c)):
            pred = pred + c[j] * x[i] ** j
        r = pred - y[i]
        loss = loss + r * r
    return loss / len(x)


def poly_lsq_hand(c, x, y):
    n = len(x)
    rs = []
    for i in range(n):
        pred = 0.0
        for j in range(len(c)):
            pred = pred + c[j] * x[i] ** j
        rs.append(pred - y[i])
    gc = np.zeros_like(c)
    for i in range(n - 1, -1, -1):
        g = 2.0 * rs[i] / n
        for j in range(len(c) - 1, -1, -1):
            gc[j] += g * x[i] ** j
    return gc


def poly_lsq_inputs(params, rng):
    n, d = params["n"], params["d"]
    x = rng.uniform(-1.0, 1.0, n)
    y = np.sin(3.0 * x) + 0.1 * rng.standard_normal(n)
    return (0.1 * rng.standard_normal(d), x, y)


# ---------------------------------------------------------------------------
# 7. while t < T with a data-dependent step
# ---------------------------------------------------------------------------

def adaptive_sim(k, x0, T):
    t = 0.0
    x = x0
    while t < T:
        dt = 0.1 / (1.0 + k * x * x)
        if t + dt > T:
            dt = T - t
        x = x + dt * (-k * x ** 3 + math.sin(t))
        t = t + dt
    return x * x


def adaptive_sim_hand(k, x0, T):
    t = 0.0
    x = x0
    tape = []            # (x, t, dt, clamped) of each step
    while t < T:
        dt = 0.1 / (1.0 + k * x * x)
        clamped = t + dt > T
        if clamped:
            dt = T - t
        tape.append((x, t, dt, clamped))
        x = x + dt * (-k * x ** 3 + math.sin(t))
        t = t + dt
    gx = 2.0 * x
    gt = 0.0
    gk = 0.0
    for x, t, dt, clamped in reversed(tape):
        f = -k * x ** 3 + math.sin(t)
        gdt = gx * f + gt
        gf = gx * dt
        gk -= gf * x ** 3
        gx = gx - gf * 3.0 * k * x * x
        gt = gt + gf * math.cos(t)
        if clamped:
            gt -= gdt
        else:
            q = 1.0 + k * x * x
            gq = -gdt * 0.1 / (q * q)
            gk += gq * x * x
            gx += gq * 2.0 * k * x
    return gk, gx


def adaptive_sim_inputs(params, rng):
    return (0.5, 1.2, params["T"])


# ---------------------------------------------------------------------------
# 8. Lennard-Jones energy, double loop over pairs
# ---------------------------------------------------------------------------

def lj_energy(pos):
    N = pos.shape[0]
    E = 0.0
    for i in range(N):
        for j in range(i + 1, N):
            d = pos[i] - pos[j]
            r2 = np.sum(d * d)
            inv6 = 1.0 / r2 ** 3
            E = E + 4.0 * (inv6 * inv6 - inv6)
    return E


def lj_hand(pos):
    # the energy's reverse pass needs only the positions: each pair's
    # adjoint is recomputed from them (the tape would be every d and r2)
    N = pos.shape[0]
    G = np.zeros_like(pos)
    for i in range(N - 1, -1, -1):
        for j in range(N - 1, i, -1):
            d = pos[i] - pos[j]
            r2 = np.sum(d * d)
            inv6 = 1.0 / r2 ** 3
            g = (8.0 * (-6.0 * inv6 * inv6 + 3.0 * inv6) / r2) * d
            G[i] += g
            G[j] -= g
    return G


def lj_inputs(params, rng):
    side = params["side"]          # side**3 atoms on a jittered cubic lattice
    grid = np.stack(np.meshgrid(*[np.arange(side)] * 3, indexing="ij"), axis=-1)
    pos = 1.15 * grid.reshape(-1, 3).astype(float)
    return (pos + 0.05 * rng.standard_normal(pos.shape),)


# ---------------------------------------------------------------------------
# the suite
# ---------------------------------------------------------------------------

def with_memory(wl):
    """``wl`` and its ``<name>_memory`` twin (tracemalloc peak of one call)."""
    twin = dataclasses.replace(
        wl, name=wl.name + "_memory", measure="memory",
        title=f"peak memory of one gradient (tracemalloc): {wl.name}, {wl.title}")
    return (wl, twin)


_TIME = (
    Workload(
        name="conv1d",
        title="1-D convolution, explicit loops with out[i] += w[j]*x[i+j], loss sum(out**2), d/d(x, w)",
        f=conv1d_loss, hand=conv1d_hand, make_inputs=conv1d_inputs, wrt=(0, 1),
        sizes=(Size("n=100, k=5", {"n": 100, "k": 5}, quick=True),
               Size("n=1000, k=15", {"n": 1000, "k": 15})),
        methods=METHODS,
    ),
    Workload(
        name="rk4",
        title="RK4 on Lotka-Volterra (right-hand side a helper, 4 calls a step), "
              "squared misfit to observations, d/d(theta, u0)",
        f=rk4_loss, hand=rk4_hand, make_inputs=rk4_inputs, wrt=(0, 1),
        sizes=(Size("T=100", {"T": 100}, quick=True),
               Size("T=1000", {"T": 1000})),
        methods=METHODS,
    ),
    Workload(
        name="kalman",
        title="Kalman-filter log-likelihood, 3 states, 2 observations (inv, det), "
              "d/d(A, log_q, log_r)",
        f=kalman_loglik, hand=kalman_hand, make_inputs=kalman_inputs, wrt=(0, 1, 2),
        sizes=(Size("T=50", {"T": 50}, quick=True),
               Size("T=500", {"T": 500})),
        methods=METHODS,
    ),
    Workload(
        name="projectile",
        title="projectile with drag on Python floats, positions appended to lists, "
              "misfit by zip(xs, ys, obs_x, obs_y), d/d(v0, angle, drag)",
        f=projectile_loss, hand=projectile_hand, make_inputs=projectile_inputs, wrt=(0, 1, 2),
        sizes=(Size("T=100", {"T": 100}, quick=True),
               Size("T=1000", {"T": 1000})),
        methods=METHODS,
    ),
    Workload(
        name="det_minors",
        title="determinant by recursive expansion in minors (np.concatenate of slices), d/dM",
        f=det_minors, hand=det_minors_hand, make_inputs=det_minors_inputs, wrt=0,
        sizes=(Size("n=4", {"n": 4}, quick=True),
               Size("n=6", {"n": 6})),
        methods=METHODS,
    ),
    Workload(
        name="poly_lsq",
        title="least squares, polynomial fit with two scalar loops, d/dc",
        f=poly_lsq, hand=poly_lsq_hand, make_inputs=poly_lsq_inputs, wrt=0,
        sizes=(Size("n=50, d=4", {"n": 50, "d": 4}, quick=True),
               Size("n=1000, d=6", {"n": 1000, "d": 6})),
        methods=METHODS,
    ),
    Workload(
        name="adaptive",
        title="while t < T, step dt = 0.1/(1 + k*x*x) clipped to land on T, "
              "x' = -k*x**3 + sin(t), loss x**2, d/d(k, x0)",
        f=adaptive_sim, hand=adaptive_sim_hand, make_inputs=adaptive_sim_inputs, wrt=(0, 1),
        sizes=(Size("T=10", {"T": 10.0}, quick=True),
               Size("T=100", {"T": 100.0})),
        methods=METHODS,
    ),
    Workload(
        name="lennard_jones",
        title="Lennard-Jones energy, double loop over pairs of a (N, 3) array, d/dpos",
        f=lj_energy, hand=lj_hand, make_inputs=lj_inputs, wrt=0,
        sizes=(Size("N=27", {"side": 3}, quick=True),
               Size("N=125", {"side": 5})),
        methods=METHODS,
    ),
)

LOOP_WORKLOADS = tuple(w for wl in _TIME for w in with_memory(wl))
