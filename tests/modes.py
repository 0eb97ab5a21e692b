"""One check of a function in every mode, shared by the soundness regression
tests and the random-program fuzzer.

``check_modes(f, args, wrt)`` asks srcgrad for the gradient, the jvp and the
hvp of ``f`` at ``args`` and compares each with central finite differences:

* ``grad``: against finite differences of ``f``, argument by argument; the
  gradient has the argument's shape, is an ndarray for an array argument and
  a real scalar for a float one, and has the argument's float dtype;
* ``jvp``: the tangent against the directional finite difference of ``f``
  and against ``grad · v``;
* ``hvp``: against finite differences of the gradient along ``v``, and
  ``u · H v == v · H u``.

A mismatch is confirmed at three step sizes before it counts (so a kink near
the point is not reported as a wrong gradient).  The caller's arguments must
be unchanged afterwards.  A ``SrcgradError`` is a refusal; anything else
raised by srcgrad or by the generated code is a crash.

The result is a :class:`Outcome` per mode: ``"ok"``, ``"refused"`` (with the
message), ``"wrong"`` or ``"crash"`` (with a description).
"""

import copy
import inspect
from dataclasses import dataclass

import numpy as np

import srcgrad

MODES = ("grad", "jvp", "hvp")
STEPS = (1e-6, 1e-5, 1e-4)


@dataclass
class Outcome:
    mode: str
    status: str            # ok | refused | wrong | crash
    detail: str = ""

    def __str__(self):
        return f"{self.mode}: {self.status}" + (f" ({self.detail})" if self.detail else "")


def _floatlike(x):
    return isinstance(x, (float, np.floating)) or (
        isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating))


def _own(args):
    """``args`` with each object or container argument copied (the function
    itself may change those; a float or an array moved by ``_moved`` is new)."""
    return [a if isinstance(a, (float, int, np.ndarray)) else copy.deepcopy(a) for a in args]


def _moved(args, positions, directions, h):
    out = _own(args)
    for i, v in zip(positions, directions):
        x = args[i]
        out[i] = float(x) + h * v if not isinstance(x, np.ndarray) else x + h * v
    return out


def _close(a, b, rtol, atol):
    try:
        return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=rtol, atol=atol))
    except TypeError:
        return False


def _confirmed(compute, expected_at, rtol, atol):
    """``compute`` disagrees with ``expected_at(h)`` at every step size."""
    got = compute
    return all(not _close(got, expected_at(h), rtol, atol) for h in STEPS)


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype and \
            bool(np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if hasattr(a, "__dict__") and not isinstance(a, type) and not callable(a):
        return type(a) is type(b) and _same(vars(a), vars(b))
    try:
        return bool(a == b) or (a != a and b != b)
    except Exception:
        return a is b


def _directions(args, positions, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in positions:
        x = args[i]
        if isinstance(x, np.ndarray):
            out.append(rng.normal(size=x.shape).astype(x.dtype))
        else:
            out.append(float(rng.normal()))
    return out


def _with_extras(generated, f, args, extras):
    """Call a generated jvp or hvp of ``f``: the arguments of parameters
    without a default, then the ``extras`` (tangents), then the arguments of
    parameters with a default by keyword (keyword-only there, docs/modes.md)."""
    if any(p.kind is p.VAR_POSITIONAL for p in inspect.signature(f).parameters.values()):
        return generated(*args, *extras)     # (*args: made for the call's arguments)
    params = [p for p in inspect.signature(f).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [a for p, a in zip(params, args) if p.default is p.empty]
    keywords = {p.name: a for p, a in zip(params, args) if p.default is not p.empty}
    return generated(*required, *extras, **keywords)


def _grad_tuple(g, single):
    return (g,) if single else tuple(g)


def check_modes(f, args, wrt=0, modes=MODES, rtol=1e-5, atol=1e-6, seed=0):
    """Check ``f`` at ``args`` in each of ``modes``; a list of Outcomes.
    Only float and float-array arguments may be named in ``wrt``."""
    single = not isinstance(wrt, tuple)
    positions = (wrt,) if single else wrt
    saved = copy.deepcopy(args)
    outcomes = []
    g = None
    v = _directions(args, positions, seed)
    u = _directions(args, positions, seed + 1)

    def unchanged(mode):
        if not all(_same(a, b) for a, b in zip(saved, args)):
            outcomes.append(Outcome(mode, "wrong", "the generated code changed an argument"))
            return False
        return True

    def run(mode, fn):
        try:
            return fn()
        except srcgrad.SrcgradError as e:
            outcomes.append(Outcome(mode, "refused", str(e).splitlines()[0]))
        except Exception as e:           # noqa: BLE001 -- a crash is what we look for
            outcomes.append(Outcome(mode, "crash", f"{type(e).__name__}: {e}"[:300]))
        return None

    if "grad" in modes or "hvp" in modes or "jvp" in modes:
        gfun = run("grad", lambda: srcgrad.grad(f, wrt=wrt))
        if gfun is not None:
            g = run("grad", lambda: _grad_tuple(gfun(*args), single))
            if g is not None and unchanged("grad") and "grad" in modes:
                problems = []
                for k, i in enumerate(positions):
                    x, gi = args[i], g[k]
                    if np.shape(gi) != np.shape(x):
                        problems.append(f"d/d arg {i}: shape {np.shape(gi)} for {np.shape(x)}")
                        continue
                    if isinstance(x, np.ndarray) and not isinstance(gi, np.ndarray):
                        problems.append(f"d/d arg {i}: {type(gi).__name__} for an array")
                        continue
                    if np.iscomplexobj(gi) and not np.iscomplexobj(x):
                        problems.append(f"d/d arg {i}: complex gradient of a real argument")
                        continue
                    if isinstance(x, np.ndarray) and gi.dtype != x.dtype:
                        problems.append(f"d/d arg {i}: dtype {gi.dtype} for {x.dtype}")
                        continue
                    if not isinstance(x, np.ndarray) and np.ndim(gi) != 0:
                        problems.append(f"d/d arg {i}: not a scalar")
                        continue
                    tol = (1e-3, 1e-4) if isinstance(x, np.ndarray) and x.dtype == np.float32 \
                        else (rtol, atol)
                    bad = True
                    for h in STEPS:
                        fd = _fd_grad(f, args, i, h)
                        if _close(np.asarray(gi, float), fd, *tol):
                            bad = False
                            break
                    if bad:
                        problems.append(f"d/d arg {i}: srcgrad {np.round(gi, 6)} vs finite "
                                        f"differences {np.round(_fd_grad(f, args, i, 1e-6), 6)}")
                outcomes.append(Outcome("grad", "wrong", "; ".join(problems)) if problems
                                else Outcome("grad", "ok"))
    if "jvp" in modes:
        jfun = run("jvp", lambda: srcgrad.jvp(f, wrt=wrt))
        if jfun is not None:
            res = run("jvp", lambda: _with_extras(jfun, f, args, v))
            if res is not None and unchanged("jvp"):
                value, t = res
                fd = lambda h: (np.asarray(f(*_moved(args, positions, v, h)), float)
                                - np.asarray(f(*_moved(args, positions, v, -h)), float)) / (2 * h)
                problems = []
                if not _close(value, f(*_own(args)), 1e-9, 1e-12):
                    problems.append("value differs from f")
                if np.shape(t) != np.shape(value):   # (a zero of the wrong shape broadcasts)
                    problems.append(f"tangent shape {np.shape(t)} for a value of shape "
                                    f"{np.shape(value)}")
                elif _confirmed(np.asarray(t, float) if not np.iscomplexobj(t) else t, fd, rtol, atol):
                    problems.append(f"tangent {np.round(t, 6)} vs finite differences "
                                    f"{np.round(fd(1e-6), 6)}")
                if g is not None and np.ndim(value) == 0 and np.ndim(t) == 0:
                    gv = sum(float(np.sum(np.asarray(gk) * vk)) for gk, vk in zip(g, v))
                    if not _close(float(t), gv, 1e-7, 1e-9):
                        problems.append(f"jvp {float(t):.9g} != grad . v {gv:.9g}")
                outcomes.append(Outcome("jvp", "wrong", "; ".join(problems)) if problems
                                else Outcome("jvp", "ok"))
    if "hvp" in modes and g is not None:
        hfun = run("hvp", lambda: srcgrad.hvp(f, wrt=wrt))
        if hfun is not None:
            hv = run("hvp", lambda: _grad_tuple(_with_extras(hfun, f, args, v), single))
            hu = run("hvp", lambda: _grad_tuple(_with_extras(hfun, f, args, u), single)) \
                if hv is not None else None
            if hv is not None and hu is not None and unchanged("hvp"):
                gfun = srcgrad.grad(f, wrt=wrt)

                def fd(h):
                    up = _grad_tuple(gfun(*_moved(args, positions, v, h)), single)
                    down = _grad_tuple(gfun(*_moved(args, positions, v, -h)), single)
                    return [(np.asarray(a, float) - np.asarray(b, float)) / (2 * h)
                            for a, b in zip(up, down)]

                problems = [f"Hv shape {np.shape(a)} for an argument of shape {np.shape(args[i])}"
                            for a, i in zip(hv, positions) if np.shape(a) != np.shape(args[i])]
                if not problems and all(
                        not all(_close(np.asarray(a, float), b, 1e-4, 1e-5)
                                for a, b in zip(hv, fd(h))) for h in (1e-5, 1e-4, 1e-3)):
                    problems.append(f"Hv {[np.round(a, 5) for a in hv]} vs finite differences "
                                    f"of the gradient {[np.round(b, 5) for b in fd(1e-5)]}")
                uHv = sum(float(np.sum(uk * np.asarray(a))) for uk, a in zip(u, hv))
                vHu = sum(float(np.sum(vk * np.asarray(a))) for vk, a in zip(v, hu))
                if not problems and not _close(uHv, vHu, 1e-6, 1e-8):
                    problems.append(f"u.Hv {uHv:.9g} != v.Hu {vHu:.9g}")
                outcomes.append(Outcome("hvp", "wrong", "; ".join(problems)) if problems
                                else Outcome("hvp", "ok"))
    return outcomes


def _fd_grad(f, args, i, h):
    x = args[i]
    if not isinstance(x, np.ndarray):
        a1, a2 = _own(args), _own(args)
        step = h * max(1.0, abs(float(x)))
        a1[i], a2[i] = float(x) + step, float(x) - step
        return (float(f(*a1)) - float(f(*a2))) / (2 * step)
    base = np.array(x, dtype=np.float64, order="C")     # (reshape(-1) must be a view)
    out = np.zeros_like(base)
    flat, g = base.reshape(-1), out.reshape(-1)
    for k in range(flat.size):
        step = h * max(1.0, abs(flat[k]))
        vals = []
        for sgn in (1.0, -1.0):
            moved = flat.copy()
            moved[k] += sgn * step
            a = _own(args)
            a[i] = moved.reshape(x.shape).astype(x.dtype)
            vals.append(float(f(*a)))
        g[k] = (vals[0] - vals[1]) / (2 * step)
    return out


def assert_sound(f, args, wrt=0, modes=MODES, expect="ok", **kw):
    """Assert every mode of ``check_modes`` is ``ok`` (``expect="ok"``), a
    refusal (``"refused"``), or either of those (``"ok-or-refused"``); never
    wrong, never a crash."""
    outcomes = check_modes(f, args, wrt, modes, **kw)
    allowed = {"ok": {"ok"}, "refused": {"refused"},
               "ok-or-refused": {"ok", "refused"}}[expect]
    bad = [o for o in outcomes if o.status not in allowed]
    assert not bad, f"{f.__name__}: " + "; ".join(map(str, outcomes))
    return outcomes
