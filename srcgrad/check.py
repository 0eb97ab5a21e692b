"""Checking gradients against central finite differences."""

import numpy as np

from .errors import GradientCheckError


def numerical_grad(fun, args, index, eps=1e-6):
    """Central finite-difference gradient of scalar ``fun(*args)`` with respect
    to ``args[index]`` (a float or an array)."""
    args = list(args)
    x = args[index]
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        x = float(x)
        h = eps * max(1.0, abs(x))
        args[index] = x + h
        up = fun(*args)
        args[index] = x - h
        down = fun(*args)
        return float(up - down) / (2 * h)
    x = np.array(x, dtype=float)
    out = np.zeros_like(x)
    flat, grad = x.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        v = flat[i]
        h = eps * max(1.0, abs(v))
        flat[i] = v + h
        args[index] = x.copy()
        up = fun(*args)
        flat[i] = v - h
        args[index] = x.copy()
        down = fun(*args)
        flat[i] = v
        grad[i] = float(up - down) / (2 * h)
    return out


def check_grad(fun, *args, wrt=0, rtol=1e-5, atol=1e-7, eps=1e-6):
    """Compare srcgrad's gradient of ``fun`` at ``args`` with central finite
    differences; raise :class:`GradientCheckError` with a readable report
    (which argument, which entries, how far off) when they disagree.

    Returns the srcgrad gradient (a tuple when ``wrt`` is a tuple)."""
    from .api import _normalise_wrt, grad
    import inspect

    names, single = _normalise_wrt(fun, wrt)
    params = list(inspect.signature(fun).parameters)
    result = grad(fun, wrt=wrt)(*args)
    grads = (result,) if single else tuple(result)
    problems = []
    for name, g in zip(names, grads):
        i = params.index(name)
        x = args[i]
        expected = numerical_grad(fun, args, i, eps)
        if np.shape(g) != np.shape(x):
            problems.append(f"argument {name!r}: gradient has shape {np.shape(g)}, "
                            f"the argument has shape {np.shape(x)}")
            continue
        ga, ea = np.asarray(g, dtype=float), np.asarray(expected, dtype=float)
        bad = ~np.isclose(ga, ea, rtol=rtol, atol=atol)
        if np.any(bad):
            idx = np.argwhere(bad)
            lines = []
            for k in idx[:5]:
                k = tuple(k)
                where = f"[{', '.join(map(str, k))}]" if k else ""
                lines.append(f"    {name}{where}: srcgrad {ga[k]:.10g}, finite differences "
                             f"{ea[k]:.10g} (off by {abs(ga[k] - ea[k]):.3g})")
            more = f"\n    ... and {len(idx) - 5} more" if len(idx) > 5 else ""
            problems.append(f"argument {name!r}: {len(idx)} of {ga.size} entries disagree\n"
                            + "\n".join(lines) + more)
    if problems:
        raise GradientCheckError(f"gradient check of {fun.__qualname__} failed:\n"
                                 + "\n".join(problems))
    return result
