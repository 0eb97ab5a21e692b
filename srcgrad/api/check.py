"""Checking gradients against central finite differences."""

import copy

import numpy as np

from srcgrad.api.reverse import grad
from srcgrad.compiler.frontend.variadic import specialise, takes_varargs
from srcgrad.compiler.pipeline import normalise_wrt
from srcgrad.errors import GradientCheckError


def numerical_grad(fun, args, index, eps=1e-6):
    """Central finite-difference gradient of scalar ``fun(*args)`` with respect
    to ``args[index]`` (a float or an array)."""
    args = list(args)
    x = args[index]
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        x = float(x)
        h = eps * max(1.0, abs(x))
        args[index] = x + h
        up = fun(*_fresh(args))
        args[index] = x - h
        down = fun(*_fresh(args))
        return float(up - down) / (2 * h)
    x = np.array(x, dtype=float)
    out = np.zeros_like(x)
    flat, grad = x.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        v = flat[i]
        h = eps * max(1.0, abs(v))
        flat[i] = v + h
        args[index] = x.copy()
        up = fun(*_fresh(args))
        flat[i] = v - h
        args[index] = x.copy()
        down = fun(*_fresh(args))
        flat[i] = v
        grad[i] = float(up - down) / (2 * h)
    return out


# -- the float leaves of an argument (a float, an array, or a container) -----------

def _is_record(x):
    return hasattr(x, "__dict__") and not isinstance(x, (np.ndarray, np.generic, type)) \
        and not callable(x)


def _leaves(x, path=()):
    """``(path, value)`` for each float or float-array leaf of ``x`` (tuples,
    lists, dicts, named tuples, dataclasses and objects are walked; other
    leaves carry no derivative)."""
    if isinstance(x, (bool, np.bool_)):
        return
    if isinstance(x, (float, np.floating)) or \
            isinstance(x, np.ndarray) and x.dtype.kind == "f":
        yield path, x
    elif isinstance(x, (list, tuple)):
        for i, e in enumerate(x):
            yield from _leaves(e, path + ((0, i),))
    elif isinstance(x, dict):
        for k, e in x.items():
            yield from _leaves(e, path + ((0, k),))
    elif _is_record(x):
        for k, e in vars(x).items():
            yield from _leaves(e, path + ((1, k),))


def _fresh(x, memo=None):
    """A copy of the argument structure ``x`` for one evaluation of the
    user's function, which may change its arguments in place (``x[0] = ...``,
    ``xs.append(...)``): arrays, lists, tuples, dicts, named tuples,
    dataclasses and other objects with attributes are copied, deeply;
    numbers, strings, functions and modules are shared.  Values shared
    within ``x`` stay shared in the copy."""
    memo = {} if memo is None else memo
    if id(x) in memo:
        return memo[id(x)]
    if isinstance(x, np.ndarray):
        out = x.copy()
    elif isinstance(x, tuple):
        parts = [_fresh(e, memo) for e in x]
        out = type(x)._make(parts) if hasattr(x, "_fields") else \
            tuple(parts) if type(x) is tuple else type(x)(parts)
    elif isinstance(x, list):
        out = copy.copy(x)
        memo[id(x)] = out
        out[:] = [_fresh(e, memo) for e in x]
    elif isinstance(x, dict):
        out = copy.copy(x)
        memo[id(x)] = out
        for k, e in x.items():
            out[k] = _fresh(e, memo)
    elif _is_record(x) and not isinstance(x, type(np)):
        out = copy.copy(x)
        memo[id(x)] = out
        for k, e in vars(x).items():
            object.__setattr__(out, k, _fresh(e, memo))
    else:
        return x
    memo[id(x)] = out
    return out


def _get(x, path):
    for how, key in path:
        if x is None:
            return None
        if how == 0:
            try:
                x = x[key]
            except (KeyError, IndexError, TypeError):
                return None
        else:
            x = getattr(x, key, None)
    return x


def _replace(x, path, value):
    """A copy of ``x`` with the leaf at ``path`` replaced (the caller's
    objects are not changed)."""
    if not path:
        return value
    (how, key), rest = path[0], path[1:]
    if how == 0:
        inner = _replace(x[key], rest, value)
        if isinstance(x, tuple):
            parts = list(x)
            parts[key] = inner
            return type(x)._make(parts) if hasattr(x, "_fields") else type(x)(parts)
        new = copy.copy(x)
        new[key] = inner
        return new
    new = copy.copy(x)
    object.__setattr__(new, key, _replace(getattr(x, key), rest, value))
    return new


def _name(name, path):
    out = name
    for how, key in path:
        out += f"[{key!r}]" if how == 0 else f".{key}"
    return out


def _leaf_fd(fun, args, i, path, eps):
    """Central differences of ``fun`` with respect to the leaf at ``path`` of
    ``args[i]``, element by element (float64)."""
    leaf = _get(args[i], path)
    base = np.array(leaf, dtype=float)
    out = np.zeros_like(base)
    flat, g = base.reshape(-1), out.reshape(-1)
    for k in range(flat.size):
        v = flat[k]
        h = eps * max(1.0, abs(v))
        vals = []
        for step in (h, -h):
            moved = flat.copy()
            moved[k] = v + step
            new = moved.reshape(base.shape)
            new = new.astype(leaf.dtype) if isinstance(leaf, np.ndarray) else type(leaf)(new)
            a = _fresh(list(args))
            a[i] = _replace(a[i], path, new)
            vals.append(float(fun(*a)))
        g[k] = (vals[0] - vals[1]) / (2 * h)
    return out if isinstance(leaf, np.ndarray) else float(out)


def _report(name, g, expected, rtol, atol):
    ga, ea = np.asarray(g, dtype=float), np.asarray(expected, dtype=float)
    bad = ~np.isclose(ga, ea, rtol=rtol, atol=atol)
    if not np.any(bad):
        return None
    idx = np.argwhere(bad)
    lines = []
    for k in idx[:5]:
        k = tuple(k)
        where = f"[{', '.join(map(str, k))}]" if k else ""
        lines.append(f"    {name}{where}: srcgrad {ga[k]:.10g}, finite differences "
                     f"{ea[k]:.10g} (off by {abs(ga[k] - ea[k]):.3g})")
    more = f"\n    ... and {len(idx) - 5} more" if len(idx) > 5 else ""
    return (f"argument {name!r}: {len(idx)} of {ga.size} entries disagree\n"
            + "\n".join(lines) + more)


def check_grad(fun, *args, wrt=0, rtol=1e-5, atol=1e-7, eps=1e-6, directions=None, seed=0):
    """Compare srcgrad's gradient of ``fun`` at ``args`` with central finite
    differences; raise :class:`GradientCheckError` with a readable report
    (which argument, which entries, how far off) when they disagree.

    Arguments may be floats, float arrays or containers of them (tuples,
    lists, dicts, named tuples, dataclasses), as ``grad`` takes them; every
    float leaf is checked.  By default every element is perturbed (two
    calls of ``fun`` each); ``directions=k`` instead checks ``k`` random
    directions ``v`` (two calls each): the directional finite difference
    against ``grad · v``, for large inputs.

    Every evaluation (of ``fun`` and of the gradient) gets its own deep copy
    of the arguments' structures, so a ``fun`` that changes its arguments in
    place neither spoils the differences nor changes the caller's values.

    Returns the srcgrad gradient (a tuple when ``wrt`` is a tuple)."""
    import inspect

    if takes_varargs(fun):               # *args: the version for these arguments
        s = specialise(fun, args, {}, wrt)
        fun, wrt, args = s.variant, s.wrt[0] if s.single else s.wrt, s.positional
    names, single = normalise_wrt(fun, wrt)
    params = list(inspect.signature(fun).parameters)
    args = _fresh(list(args))        # (every evaluation gets a copy of its own)
    result = grad(fun, wrt=wrt)(*_fresh(args))
    grads = (result,) if single else tuple(result)
    problems = []
    checked = []                # (argument index, name, path, leaf, gradient leaf)
    for name, g in zip(names, grads):
        i = params.index(name)
        for path, leaf in _leaves(args[i]):
            label = _name(name, path)
            gl = _get(g, path)
            if gl is None or np.shape(gl) != np.shape(leaf):
                problems.append(f"argument {label!r}: gradient has shape {np.shape(gl)}"
                                f"{' (none)' if gl is None else ''}, the argument has shape "
                                f"{np.shape(leaf)}")
                continue
            checked.append((i, label, path, leaf, gl))
    if directions is None:
        for i, label, path, leaf, gl in checked:
            problem = _report(label, gl, _leaf_fd(fun, args, i, path, eps), rtol, atol)
            if problem:
                problems.append(problem)
    elif checked:
        if not isinstance(directions, int) or directions < 1:
            raise ValueError(f"directions must be a positive int, not {directions!r}")
        rng = np.random.default_rng(seed)
        scale = max([1.0] + [float(np.max(np.abs(leaf))) if np.size(leaf) else 1.0
                             for *_, leaf, _ in checked])
        h = eps * scale
        for d in range(directions):
            vs = [rng.normal(size=np.shape(leaf)) for *_, leaf, _ in checked]
            ups, downs = _fresh(args), _fresh(args)
            for (i, label, path, leaf, gl), v in zip(checked, vs):
                for moved, sign in ((ups, 1.0), (downs, -1.0)):
                    step = sign * h * v
                    new = (leaf + step).astype(leaf.dtype) if isinstance(leaf, np.ndarray) \
                        else type(leaf)(leaf + float(step))
                    moved[i] = _replace(moved[i], path, new)
            fd = (float(fun(*ups)) - float(fun(*downs))) / (2 * h)
            gv = sum(float(np.sum(np.asarray(gl, dtype=float) * v))
                     for (*_, gl), v in zip(checked, vs))
            if not np.isclose(gv, fd, rtol=rtol, atol=atol):
                problems.append(f"direction {d} (seed {seed}): grad . v = {gv:.10g}, finite "
                                f"differences {fd:.10g} (off by {abs(gv - fd):.3g})")
    if problems:
        raise GradientCheckError(f"gradient check of {fun.__qualname__} failed:\n"
                                 + "\n".join(problems))
    return result
