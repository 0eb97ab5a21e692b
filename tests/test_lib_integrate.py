"""scipy.integrate.solve_ivp and odeint: gradients by the continuous adjoint
method, tangents by the forward sensitivity equations (srcgrad/rules/scipy/
integrate.py, srcgrad/runtime/scipy_integrate.py).

Checked against central finite differences (the solver at rtol=1e-10, so that
they mean something), against srcgrad's derivative of a fixed-step RK4 loop of
the same system written in Python, and forward against reverse.  Second order
(Hessian, hvp, grad of grad) against finite differences of the gradient; second
order in the times, third order and the options not covered are refused; the
reverse sweep's memory does not grow with the number of steps.
"""

import tracemalloc

import numpy as np
import pytest
from scipy.integrate import odeint, solve_ivp

import srcgrad
from tests.modes import assert_sound

OK = ("grad", "jvp")


# -- the systems ----------------------------------------------------------------------------

def decay(t, y, k):
    return -k * y


def lotka_volterra(t, y, a, b, c, d):
    return [a * y[0] - b * y[0] * y[1], -c * y[1] + d * y[0] * y[1]]


def lv_theta(t, y, theta):
    return np.array([theta[0] * y[0] - theta[1] * y[0] * y[1],
                     -theta[2] * y[1] + theta[3] * y[0] * y[1]])


def oscillator(y, t, zeta, w):          # odeint's order: y first
    return [y[1], -2.0 * zeta * w * y[1] - w * w * y[0]]


def forced(t, y, k):                    # depends on t
    return -k * y + np.sin(3.0 * t)


# -- losses -----------------------------------------------------------------------------------

def decay_end(y0, k, t1, method):
    sol = solve_ivp(decay, (0.0, t1), y0, method=method, args=(k,), rtol=1e-10, atol=1e-12)
    return np.sum(sol.y[:, -1] ** 2) + sol.t[-1]


def lv_several(y0, a, b):
    sol = solve_ivp(lotka_volterra, (0.0, 2.0), y0, args=(a, b, 0.8, 0.3),
                    t_eval=np.array([0.5, 1.0, 1.5, 2.0]), rtol=1e-10, atol=1e-12)
    return np.sum(sol.y[0, :] ** 2) + sol.y[1, 1] * sol.y[0, 3]


def lv_array_param(y0, theta, t1):
    sol = solve_ivp(lv_theta, [0.0, t1], y0, args=(theta,), t_eval=[0.3, 1.2],
                    rtol=1e-10, atol=1e-12)
    return np.sum(sol.y * sol.y)


def lv_times(y0, times):
    sol = solve_ivp(lotka_volterra, (0.0, 3.0), y0, args=(1.1, 0.4, 0.8, 0.3), t_eval=times,
                    method="DOP853", rtol=1e-10, atol=1e-12)
    return np.sum(np.sin(sol.y)) + np.sum(sol.t ** 2)


def lv_start(t0, y0):
    sol = solve_ivp(lotka_volterra, (t0, 2.0), y0, args=(1.1, 0.4, 0.8, 0.3),
                    rtol=1e-10, atol=1e-12)
    return sol.y[0, -1] * sol.y[1, -1] + sol.y[1, 0]


def forced_end(y0, k, t1):
    sol = solve_ivp(forced, (0.5, t1), y0, args=(k,), method="Radau", rtol=1e-10, atol=1e-12)
    return np.sum(sol.y[:, -1])


def osc_odeint(y0, zeta, w, t):
    ys = odeint(oscillator, y0, t, args=(zeta, w), rtol=1e-10, atol=1e-12)
    return np.sum(ys[:, 0] ** 2) + ys[-1, 1]


def lv_odeint_tfirst(y0, a):
    ys = odeint(lotka_volterra, y0, np.linspace(0.0, 2.0, 5), args=(a, 0.4, 0.8, 0.3),
                rtol=1e-10, atol=1e-12, tfirst=True)
    return np.sum(ys[1:, 0] * ys[1:, 1])


def lv_final_state(y0):
    sol = solve_ivp(lotka_volterra, (0.0, 1.0), y0, args=(1.1, 0.4, 0.8, 0.3),
                    rtol=1e-10, atol=1e-12)
    return sol.y[:, -1]


Y0 = np.array([1.0, 0.5])


@pytest.mark.parametrize("method", ["RK45", "DOP853", "Radau", "LSODA"])
def test_decay_each_method(method):
    assert_sound(decay_end, (np.array([1.0, -2.0, 0.5]), 0.7, 1.3, method), wrt=(0, 1, 2),
                 modes=OK)
    y0, k, t1 = np.array([1.0, -2.0, 0.5]), 0.7, 1.3
    d_y0, d_k, d_t1 = srcgrad.grad(decay_end, wrt=(0, 1, 2))(y0, k, t1, method)
    y1 = y0 * np.exp(-k * t1)           # the closed form
    np.testing.assert_allclose(d_y0, 2 * y1 * np.exp(-k * t1), rtol=1e-7)
    np.testing.assert_allclose(d_k, np.sum(-2 * t1 * y1 ** 2), rtol=1e-7)
    np.testing.assert_allclose(d_t1, np.sum(-2 * k * y1 ** 2) + 1.0, rtol=1e-7)


@pytest.mark.parametrize("f, args, wrt", [
    (lv_several, (Y0, 1.1, 0.4), (0, 1, 2)),
    (lv_array_param, (Y0, np.array([1.1, 0.4, 0.8, 0.3]), 1.5), (0, 1, 2)),
    (lv_times, (Y0, np.array([0.2, 0.9, 1.7, 2.5])), (0, 1)),
    (lv_start, (0.3, Y0), (0, 1)),
    (forced_end, (np.array([0.2]), 1.5, 1.7), (0, 1, 2)),
    (osc_odeint, (np.array([1.0, 0.0]), 0.15, 2.0, np.array([0.0, 0.4, 1.1, 2.0])), (0, 1, 2, 3)),
    (lv_odeint_tfirst, (Y0, 1.1), (0, 1)),
])
def test_against_finite_differences_and_forward_mode(f, args, wrt):
    assert_sound(f, args, wrt=wrt, modes=OK)


def test_jacobian_of_the_final_state():
    jac = srcgrad.jacobian(lv_final_state)(Y0)
    h = 1e-6
    fd = np.stack([(lv_final_state(Y0 + h * e) - lv_final_state(Y0 - h * e)) / (2 * h)
                   for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(jac, fd, rtol=1e-6)


# -- against the derivative of a fixed-step RK4 loop ---------------------------------------------

def rk4_lotka_volterra(y0, a, b):
    """lv_several's loss, integrated by 400 RK4 steps written in Python."""
    n, h = 400, 2.0 / 400
    y, t = y0, 0.0
    ys = []
    for i in range(n):
        k1 = np.array(lotka_volterra(t, y, a, b, 0.8, 0.3))
        k2 = np.array(lotka_volterra(t + h / 2, y + h / 2 * k1, a, b, 0.8, 0.3))
        k3 = np.array(lotka_volterra(t + h / 2, y + h / 2 * k2, a, b, 0.8, 0.3))
        k4 = np.array(lotka_volterra(t + h, y + h * k3, a, b, 0.8, 0.3))
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t = t + h
        if (i + 1) % 100 == 0:
            ys.append(y)
    return ys[0][0] ** 2 + ys[1][0] ** 2 + ys[2][0] ** 2 + ys[3][0] ** 2 + ys[1][1] * ys[3][0]


def rk4_oscillator(y0, zeta, w):
    """osc_odeint's loss at t = 0, 0.5, 1.0, 1.5 by 300 RK4 steps."""
    n, h = 300, 1.5 / 300
    y, t = y0, 0.0
    total = y0[0] ** 2
    for i in range(n):
        k1 = np.array(oscillator(y, t, zeta, w))
        k2 = np.array(oscillator(y + h / 2 * k1, t + h / 2, zeta, w))
        k3 = np.array(oscillator(y + h / 2 * k2, t + h / 2, zeta, w))
        k4 = np.array(oscillator(y + h * k3, t + h, zeta, w))
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t = t + h
        if (i + 1) % 100 == 0:
            total = total + y[0] ** 2
    return total + y[1]


def test_adjoint_matches_the_derivative_of_an_rk4_loop():
    adjoint = srcgrad.grad(lv_several, wrt=(0, 1, 2))(Y0, 1.1, 0.4)
    loop = srcgrad.grad(rk4_lotka_volterra, wrt=(0, 1, 2))(Y0, 1.1, 0.4)
    assert abs(lv_several(Y0, 1.1, 0.4) - rk4_lotka_volterra(Y0, 1.1, 0.4)) < 1e-7
    for a, b in zip(adjoint, loop):
        np.testing.assert_allclose(a, b, rtol=1e-7)
    y0, t = np.array([1.0, 0.0]), np.array([0.0, 0.5, 1.0, 1.5])
    adjoint = srcgrad.grad(osc_odeint, wrt=(0, 1, 2))(y0, 0.15, 2.0, t)
    loop = srcgrad.grad(rk4_oscillator, wrt=(0, 1, 2))(y0, 0.15, 2.0)
    for a, b in zip(adjoint, loop):
        np.testing.assert_allclose(a, b, rtol=1e-7)


# -- memory -------------------------------------------------------------------------------------

def decay_long(y0, k, rtol):
    sol = solve_ivp(lotka_volterra, (0.0, 40.0), y0, args=(k, 0.4, 0.8, 0.3),
                    t_eval=np.array([10.0, 40.0]), rtol=rtol, atol=1e-12)
    return np.sum(sol.y)


def test_memory_does_not_grow_with_the_number_of_steps():
    """Tightening rtol multiplies the solver's steps (and its right-hand side
    calls); the peak memory of the gradient (forward and adjoint sweeps)
    stays that of the outputs."""
    df = srcgrad.grad(decay_long, wrt=(0, 1))
    peaks, steps = [], []
    for rtol in (1e-5, 1e-10):
        df(Y0, 1.1, rtol)                   # (generate and warm up first)
        tracemalloc.start()
        df(Y0, 1.1, rtol)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        steps.append(solve_ivp(lotka_volterra, (0.0, 40.0), Y0, args=(1.1, 0.4, 0.8, 0.3),
                               rtol=rtol, atol=1e-12).t.size)
    assert steps[1] > 8 * steps[0], steps
    # (keeping each step of the backward solve, 2n + p = 5 floats, made it 8 times larger)
    assert peaks[1] < 1.5 * peaks[0], (peaks, steps)


# -- refusals -----------------------------------------------------------------------------------

def with_events(y0, k):
    return np.sum(solve_ivp(decay, (0.0, 1.0), y0, args=(k,), events=decay).y[:, -1])


def with_dense_output(y0, k):
    return np.sum(solve_ivp(decay, (0.0, 1.0), y0, args=(k,), dense_output=True).y[:, -1])


def with_vectorized(y0, k):
    return np.sum(solve_ivp(decay, (0.0, 1.0), y0, args=(k,), vectorized=True).y[:, -1])


def with_euler(y0, k):
    return np.sum(solve_ivp(decay, (0.0, 1.0), y0, args=(k,), method="Euler").y[:, -1])


def with_unknown_option(y0, k):
    return np.sum(solve_ivp(decay, (0.0, 1.0), y0, args=(k,), min_step=0.1).y[:, -1])


def with_varied_jac(y0, k):
    jac = -np.diag(y0)
    return np.sum(solve_ivp(decay, (0.0, 1.0), y0, args=(k,), jac=jac).y[:, -1])


def with_full_output(y0, k):
    ys, info = odeint(decay, y0, [0.0, 1.0], args=(k,), full_output=True, tfirst=True)
    return np.sum(ys)


def with_tcrit(y0, k):
    return np.sum(odeint(decay, y0, [0.0, 1.0], args=(k,), tcrit=[0.5], tfirst=True))


@pytest.mark.parametrize("f, message", [
    (with_events, "events= is not differentiated"),
    (with_dense_output, "dense_output= is not differentiated"),
    (with_vectorized, "vectorized= is not differentiated"),
    (with_euler, "method one of"),
    (with_unknown_option, "does not match the signature"),
    (with_varied_jac, "jac given to scipy.integrate depends on the differentiated"),
    (with_full_output, "full_output= is not differentiated"),
    (with_tcrit, "tcrit= is not differentiated"),
])
def test_uncovered_options_are_refused_when_transformed(f, message):
    for transform in (srcgrad.grad, srcgrad.jvp):
        with pytest.raises(srcgrad.UnsupportedError, match=message):
            transform(f, wrt=0)


# -- second order --------------------------------------------------------------------------

def fd_hessian(f, args, wrt, h=1e-5):
    """Central finite differences of srcgrad's gradient, as one square matrix."""
    g = srcgrad.grad(f, wrt=wrt)

    def flat(a):
        return np.concatenate([np.ravel(x) for x in g(*a)])
    cols = []
    for i in wrt:
        for j in range(np.size(args[i])):
            e = np.zeros(np.size(args[i]))
            e[j] = h
            plus, minus = list(args), list(args)
            plus[i] = args[i] + np.reshape(e, np.shape(args[i]))
            minus[i] = args[i] - np.reshape(e, np.shape(args[i]))
            cols.append((flat(plus) - flat(minus)) / (2 * h))
    return np.stack(cols, axis=1)


def flat_hessian(H, args, wrt):
    sizes = [int(np.size(args[i])) for i in wrt]
    return np.block([[np.reshape(H[i][j], (sizes[i], sizes[j])) for j in range(len(wrt))]
                     for i in range(len(wrt))])


SECOND = [
    (lv_several, (Y0, 1.1, 0.4), (0, 1, 2)),
    (lv_array_param, (Y0, np.array([1.1, 0.4, 0.8, 0.3]), 1.5), (0, 1)),
    (forced_end, (np.array([0.2]), 1.5, 1.7), (0, 1)),
    (osc_odeint, (np.array([1.0, 0.0]), 0.15, 2.0, np.array([0.0, 0.4, 1.1, 2.0])), (0, 1, 2)),
    (lv_odeint_tfirst, (Y0, 1.1), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", SECOND)
def test_hessian_against_finite_differences_of_the_gradient(f, args, wrt):
    """Forward over reverse (the adjoint solve's tangent) and the Hessian's
    symmetry; the solves at rtol=1e-10, atol=1e-12."""
    H = flat_hessian(srcgrad.hessian(f, wrt=wrt)(*args), args, wrt)
    scale = 1.0 + np.max(np.abs(H))
    np.testing.assert_allclose(H, H.T, atol=1e-7 * scale)
    np.testing.assert_allclose(H, fd_hessian(f, args, wrt), rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("f, args, wrt", SECOND)
def test_hvp_against_finite_differences(f, args, wrt):
    assert_sound(f, args, wrt=wrt, modes=("hvp",))


OSC_T = np.array([0.0, 0.4, 1.1, 2.0])


def lv_grad_b(y0, a, b):
    return srcgrad.grad(lv_several, wrt=2)(y0, a, b)


def osc_grad_w(y0, zeta, w):
    return srcgrad.grad(osc_odeint, wrt=2)(y0, zeta, w, OSC_T)


def osc_fixed_times(y0, zeta, w):
    return osc_odeint(y0, zeta, w, OSC_T)


def lvo_grad_a(y0, a):
    return srcgrad.grad(lv_odeint_tfirst, wrt=1)(y0, a)


@pytest.mark.parametrize("inner, f, args", [
    (lv_grad_b, lv_several, (Y0, 1.1, 0.4)),
    (osc_grad_w, osc_fixed_times, (np.array([1.0, 0.0]), 0.15, 2.0)),
    (lvo_grad_a, lv_odeint_tfirst, (Y0, 1.1)),
])
def test_grad_of_grad(inner, f, args):
    """Reverse over reverse (the adjoint solve's adjoint) against the last row
    of the Hessian (forward over reverse, checked above)."""
    wrt = tuple(range(len(args)))
    gg = srcgrad.grad(inner, wrt=wrt)(*args)
    H = flat_hessian(srcgrad.hessian(f, wrt=wrt)(*args), args, wrt)
    np.testing.assert_allclose(np.concatenate([np.ravel(x) for x in gg]), H[-1], rtol=1e-7,
                               atol=1e-9 * (1 + np.max(np.abs(H))))


def odeint_directional(y0, zeta, w):
    return srcgrad.jvp(osc_odeint, wrt=0)(y0, zeta, w, OSC_T, np.array([0.3, -0.7]))[1]


def test_reverse_and_forward_over_forward_through_odeint():
    """The tangent helper's own rules: grad and jvp of a jvp, against the
    Hessian (d/dp (grad_y0 f . v) = H[p, y0] v)."""
    args = (Y0, 0.15, 2.0)
    got = srcgrad.grad(odeint_directional, wrt=(0, 1, 2))(*args)
    H = flat_hessian(srcgrad.hessian(osc_fixed_times, wrt=(0, 1, 2))(*args), args, (0, 1, 2))
    expected = H[:, :2] @ np.array([0.3, -0.7])
    np.testing.assert_allclose(np.concatenate([np.ravel(x) for x in got]), expected, rtol=1e-7,
                               atol=1e-9)
    tangent = srcgrad.jvp(odeint_directional, wrt=1)(*args, 1.0)[1]
    np.testing.assert_allclose(tangent, expected[2], rtol=1e-7)


def test_second_order_in_the_times_is_refused():
    with pytest.raises(srcgrad.UnsupportedError, match="with respect to the times"):
        srcgrad.hessian(forced_end, wrt=(0, 2))(np.array([0.2]), 1.5, 1.7)
    with pytest.raises(srcgrad.UnsupportedError, match="with respect to the times"):
        srcgrad.hvp(osc_odeint, wrt=3)(Y0, 0.15, 2.0, np.arange(3.0), np.ones(3))


def test_third_order_is_refused():
    with pytest.raises(srcgrad.UnsupportedError, match="third derivatives through scipy"):
        srcgrad.grad(osc_third, wrt=1)(Y0, 0.15, 2.0)


HELPER = None


def call_helper_g(y0, k):
    sol = solve_ivp(decay, (0.0, 1.0), y0, args=(k,))
    return np.sum(HELPER(None, {"y": sol.y}, sol, decay, (0.0, 1.0), y0, args=(k,))["y0"])


def call_helper(y0, k):
    sol = solve_ivp(decay, (0.0, 1.0), y0, args=(k,))
    return np.sum(HELPER(None, sol, decay, (0.0, 1.0), y0, args=(k,))["y"])


def call_odeint_helper_g(y0, k):
    ys = odeint(decay, y0, [0.0, 1.0], args=(k,), tfirst=True)
    return np.sum(HELPER(None, ys, ys, decay, y0, [0.0, 1.0], args=(k,), tfirst=True)["y0"])


def call_odeint_helper(y0, k):
    ys = odeint(decay, y0, [0.0, 1.0], args=(k,), tfirst=True)
    return np.sum(HELPER(None, ys, decay, y0, [0.0, 1.0], args=(k,), tfirst=True))


def test_each_second_order_helper_refuses_its_derivative():
    """The helpers of second order (srcgrad/runtime/scipy_integrate_second.py)
    have refusing rules: differentiating one is a third derivative."""
    global HELPER
    import srcgrad.rules.scipy.integrate as rules
    import srcgrad.runtime.scipy_integrate_second as second
    calls = {second.solve_ivp_tangent2: call_helper, second.odeint_tangent2: call_odeint_helper}
    assert len(rules.THIRD_RULES) == 8
    for helper in rules.THIRD_RULES:
        HELPER = helper
        fun = calls.get(helper, call_odeint_helper_g if "odeint" in helper.__name__
                        else call_helper_g)
        srcgrad.clear_cache()
        for transform in (srcgrad.grad, srcgrad.jvp):
            with pytest.raises(srcgrad.UnsupportedError, match="third derivatives through"):
                transform(fun, wrt=1)


def osc_third(y0, zeta, w):
    return np.sum(srcgrad.hvp(osc_fixed_times, wrt=0)(y0, zeta, w, np.ones(2)))


def interior_step(y0, k):
    return np.sum(solve_ivp(decay, (0.0, 1.0), y0, args=(k,)).y[:, 1])


def test_the_solvers_own_steps_are_refused_when_read():
    with pytest.raises(srcgrad.UnsupportedError, match="pass t_eval"):
        srcgrad.grad(interior_step)(Y0, 0.5)
    # forward mode cannot tell what the loss reads: those columns' tangents are NaN
    assert np.isnan(srcgrad.jvp(interior_step)(Y0, 0.5, np.ones(2))[1])


def test_generated_code_reads_like_an_adjoint():
    code = srcgrad.source(srcgrad.grad(lv_several, wrt=(0, 1)))
    assert "solve_ivp_da(driver, d_sol, sol, lotka_volterra" in code
    assert code.count("['y0']") == 1 and code.count("['args'][0]") == 1


def test_export_of_an_ode_gradient_is_refused():
    # the gradient differentiates the right-hand side when it runs: srcgrad must be there
    from srcgrad.api.export import module_text
    df = srcgrad.grad(decay_end, wrt=(0, 1))
    df(np.array([1.0, 0.5]), 0.7, 1.2, "RK45")
    with pytest.raises(srcgrad.UnsupportedError, match="srcgrad's compiler"):
        module_text([df])
