"""Write docs/supported.md: every function srcgrad knows, from the rule registry.

Run from the repository root:  python tools/gen_supported.py
"""

import builtins
import math
import operator
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import srcgrad  # noqa: E402
from srcgrad.rules import all_rules, lookup  # noqa: E402
from srcgrad.rules.registry import tangent_template  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs", "supported.md")

GROUPS = ["operators and builtins", "math", "numpy", "numpy.linalg", "scipy.special", "scipy.stats",
          "scipy.linalg", "scipy.signal", "scipy.integrate", "srcgrad", "other"]


def group(rule):
    fun = rule.fun
    if rule.name.startswith("scipy."):
        return ".".join(rule.name.split(".")[:2])
    if getattr(fun, "__self__", None) is operator or getattr(operator, getattr(fun, "__name__", ""), None) is fun:
        return "operators and builtins"
    if getattr(builtins, getattr(fun, "__name__", ""), None) is fun:
        return "operators and builtins"
    if getattr(math, getattr(fun, "__name__", ""), None) is fun:
        return "math"
    if getattr(np.linalg, getattr(fun, "__name__", ""), None) is fun:
        return "numpy.linalg"
    if isinstance(fun, np.ufunc) or fun is np.ndarray.astype or getattr(np, getattr(fun, "__name__", ""), None) is fun \
            or rule.name.startswith("numpy."):
        return "numpy"
    if rule.name.startswith("srcgrad"):
        return "srcgrad"
    return "other"


def display(rule):
    fun = rule.fun
    name = getattr(fun, "__name__", rule.name)
    g = group(rule)
    if g.startswith("scipy."):
        import importlib
        module = importlib.import_module(g)
        return f"{g}.{name}" if getattr(module, name, None) is fun else rule.name
    if g == "operators and builtins":
        if getattr(operator, name, None) is fun:
            return f"operator.{name}"
        return name
    if g == "math":
        return f"math.{name}"
    if g == "numpy.linalg":
        return f"np.linalg.{name}"
    if g == "numpy":
        if fun is np.ndarray.astype:
            return "ndarray.astype"
        aliases = sorted(n for n in dir(np) if getattr(np, n, None) is fun and not n.startswith("_"))
        return " / ".join(f"np.{n}" for n in aliases) or rule.name
    if g == "srcgrad" and getattr(srcgrad, getattr(fun, "__name__", ""), None) is fun:
        return f"srcgrad.{fun.__name__}"
    return rule.name


CONTAINERS = """## Containers and comprehensions

Hand-written (in `tools/gen_supported.py`); tested in `tests/test_containers.py`, in
reverse (`grad`, `value_and_grad`, `vjp`) and forward (`jvp`) mode.

| construct | example |
| --- | --- |
| list comprehension, `if`, nested `for` | `ys = [x * a + b for a in range(3) for b in range(2) if a != b]` |
| generator expression into `sum`, `max`, `min`, `np.array`, `np.stack` | `sum(v * v for v in vals)`, `np.stack([np.sin(v) * k for k in range(3)])` |
| dict comprehension | `e = {k: d[k] ** 2 for k in d}` |
| list indexing, slicing, `len`, iteration, `list + list` | `ys[-1] * len(ys)`, `for z in zs[1:]:`, `zs = ys + [v]` |
| repetition of a list or tuple made in the function by an int (`[x] * n`, `n * (a, b)`) | `hs = [h0] * n`, `ys = [0.0] * len(ts)` |
| `append`, `extend`, `insert`, `pop()`, `pop(i)`, `ys[i] = v` | `ys.append(h)` in a loop: O(1) time and tape per element |
| `sum(list)`, `max(list)`, `min(list)`, `np.array(list)`, `np.stack(list)` | `np.sum(np.stack(hs) ** 2)` |
| dict literal, `d[k]`, `d[k] = v`, `.items()`, `.values()`, `.keys()`, `for k in d`, `len(d)` | `for k, v in d.items(): s = s + v * v` |
| tuples, unpacking, starred targets (`rest` is a list) | `w, b = params["layer1"]`, `first, *rest = xs` |
| a comprehension inside `x if c else y`, `and`, `or` (only what Python evaluates runs) | `s = sum(e * w for e in xs) if w > 0 else 0.0` |
| `dict(k=v)`, `dict(zip([...], [...]))` of two literal sequences | `d = dict(zip(["a", "b"], [x, 2.0 * x]))` |
| a list or tuple given to a NumPy or SciPy function (read as `np.asarray`, as NumPy does) | `np.dot(L, L)`, `np.sin((x, y))`, `scipy.special.logsumexp(L)` |
| attributes of named tuples (`collections`, `typing.NamedTuple`), dataclasses, objects | `p.w * x + p.b`, `self.a * x`, `s.inner.pos` |
| a named tuple made in the function | `p = Pair(x, 2.0)` |
| a dataclass made in the function (no `__post_init__`) | `s = State(s.pos + dt * s.vel, s.vel + dt * a)` |
| `{**d, k: v}` | `loss({**params, "w": w}, x)` |
| attribute assignment `p.a = v`, `p.a += v`, `setattr(p, "a", v)` on a dataclass or plain object made in the function or passed as an argument | `s.vel = s.vel - dt * k * s.pos` (see "Objects" below) |
| `dataclasses.replace(p, a=v)` (dataclasses without `__post_init__`), `p._replace(a=v)` of named tuples, made in the function or passed as arguments | `s = s._replace(pos=s.pos + dt * s.vel)`, `q = dataclasses.replace(p)` (a copy) |
| a method of an object passed as an argument, read from its class when the derivative is called (one version per class, `docs/calls.md`) | `def f(osc, x): return osc.energy(x)` |
| sets of indices or labels (not of differentiated values): displays, set comprehensions, `set(...)`, `frozenset(...)`, `\\| & - ^`, `.union` ...; a loop or comprehension over one reads its members as `list(s)` does | `for k in {i % 3 for i in idx}: t = t + x[k]` |

**Gradients with respect to containers** have the argument's structure: `grad(f)((1.0, 2.0), 3.0)`
returns a tuple, a list gives a list, a dict a dict with the same keys in the same order, a
named tuple the same named-tuple type, nested containers nested ones (a dict of tuples of
arrays gives a dict of tuples of arrays).  A dataclass or other object gives a **new
instance of its class**, made with `object.__new__` without calling `__init__` or
`__post_init__` (frozen dataclasses too), whose attributes are the gradients.  Leaves:
floats and ints give Python floats (an int is a number, as for a plain argument), arrays
float arrays of their shape (integer arrays too, like a plain argument); leaves that carry
no derivative (`bool`, `str`, `None`, other objects) give `None`; unused leaves give zeros.
`vjp` takes a cotangent of the result's structure, `jvp` a tangent of each argument's
structure (a dict for a dict ...).  The generated code never changes its arguments: a list
or dict that the function changes in place is copied first.

**Objects.** An attribute assignment (`p.a = v`, `p.a += v`, `setattr(p, "a", v)`, in a
helper function too: `def step(s, dt): s.x = s.x + dt * s.v` called as `step(s, dt)`) on an
object made in the function or passed as an argument makes a new object in generated code
(`p = set_field(p, 'a', v)`): the caller's object is never changed, and the gradient with
respect to the object is that of the object passed in (an attribute overwritten before it
is read gets a zero).  This is exact as long as no other name still in use refers to the
object or holds it; srcgrad refuses two names for one object (`q = p; q.a = x` while `p` is
used), an object held by a container still in use (`items = [p]`, the list it was read out
of, `hist.append(s)` in a loop), an object read out of an argument, and, when the code runs,
an argument object that is also another argument or held in one.  `p.a += v` on an array
changes the array in place in Python: refused when the code runs if another name or
attribute still in use holds it.  Named tuples and frozen dataclasses raise as Python does
(`AttributeError`, `FrozenInstanceError`); properties, `__setattr__` and `__slots__` are
refused when the code runs.

A parameter counts as a container when the function uses it as one (unpacks it, iterates
over it, indexes it with a string, reads an attribute, calls `append` ...); only then does
its gradient get restructured (`runtime.restructure`), so functions on arrays and floats
generate the same code as before.

**Refused** with an `UnsupportedError` naming the line: other methods that change a
container in place (`sort`, `reverse`, `remove`, `clear`, `update`, ...) when a derivative
flows through it; two names for one list changed in place (`zs = ys; ys.append(v)` while
`zs` is used); changing a list after putting it into another container, or changing a
list read out of another container or argument; `ys.pop()` inside an expression that also
reads `ys`; writing into an array of the module or of an enclosing function (`TABLE[0] = v`,
directly, through a view or through a helper's parameter: srcgrad never changes such
objects, as for attributes); comprehensions in `while` conditions; `L[k] += v` on a list or dict whose element
array another name still in use holds (Python changes that array in place);
a loop over a value that the source does not show to be a sequence (a parameter, an item
of a container, the result of an unknown call) and that turns out to be a set or a dict when
the code runs (write `sorted(s)` or `list(s)`); making an object of a class other than a named
tuple or a dataclass without `__post_init__` in the function (and `dataclasses.replace` of
one, when the code runs);
`for k in d` over a dict parameter that nothing else shows to be a dict (no `d[k]` in
the loop, no string key anywhere: iterate `d.keys()`).
"""

STATEMENTS = """## Statements

Hand-written (in `tools/gen_supported.py`); tested in `tests/test_python_forms.py` and
`tests/test_python_tries.py`, in every mode (reverse, forward, second order) against finite
differences. What is refused is listed, with its workaround, in
[troubleshooting.md](troubleshooting.md).

| construct | how it is differentiated | example |
| --- | --- | --- |
| `if`/`elif`/`else`, `for`, `while`, `break`, `continue`, `return` anywhere | the path taken is recorded | `for k in range(n): if r < tol: break` |
| `with` a context manager that changes no value (`np.errstate` that ignores or warns, `np.printoptions`, `warnings.catch_warnings()`, `contextlib.nullcontext()`) | the block, without the context | `with np.errstate(divide="ignore"): y = np.log(x)` |
| `*args`/`**kwargs` parameters of the differentiated function (and of lambdas, partials) | made for the number of positional arguments and the keyword names of each call: one parameter each; `wrt` positions count the call's positional arguments (docs/modes.md) | `grad(lambda *xs: xs[0] * xs[1], wrt=1)(1.5, 2.0)` |
| `f(*args)`, `[*xs, y]`, `f(**opts)` where the source shows the length (keys): a tuple display, a list display only read, the `*args` parameter; a dict display of constant keys | expanded: `f(args[0], args[1])`, `f(axis=opts['axis'])` | `args = (x, 2.0); np.power(*args)` |
| `try`/`except`/`else`/`finally`; `except E as e`; `raise` in a handler | each operation of the `try` body that may raise what is caught is tried first on the same values (it runs twice); the handler taken is recorded like a branch, exactly as far as the body ran | `try: y = np.linalg.solve(A, b)` / `except np.linalg.LinAlgError: y = ...` |
| calls of your own functions | inlined, except (in reverse mode) a module-level helper the gradient would copy at two or more sites whose body has at least 12 operations when it reads elements of a parameter (48 otherwise): it keeps its calls and gets one adjoint function of its own (`vjp_helper`, shown by `srcgrad.source`, exported and cached with the gradient; docs/calls.md, "Helpers called from several sites"; `tests/test_joint_helpers.py`) | `k1 = rhs(u, p)` ... `k4 = rhs(u + h * k3, p)` |

In a `try` body, only operations that can raise a caught exception are tried: calls of
`np.linalg` and `scipy.linalg` for `LinAlgError`, item reads (and writes) for `KeyError`,
any call, operator or item read for broad classes (`ValueError`, `Exception`). An exception
that is not caught propagates as from your function (`finally` does not run then).
"""

# ---------------------------------------------------------------------------
# the functions autograd wraps, and srcgrad's support of each

#: autograd's private wrappers, by the public function they stand for
_AUTOGRAD_ALIASES = {"_primitive_mean": "mean", "_primitive_std": "std", "_primitive_var": "var",
                     "_primitive_norm": "norm", "_original_where": "where",
                     "concatenate_args": "concatenate", "array_from_args": "array"}
#: autograd's modules and the library namespace their functions come from
_AUTOGRAD_MODULES = [("autograd.numpy.numpy_wrapper", "numpy"), ("autograd.numpy", "numpy"),
                     ("autograd.numpy.linalg", "numpy.linalg"), ("autograd.numpy.fft", "numpy.fft"),
                     ("autograd.scipy.special", "scipy.special"),
                     ("autograd.scipy.linalg", "scipy.linalg"),
                     ("autograd.scipy.signal", "scipy.signal"),
                     ("autograd.scipy.integrate", "scipy.integrate")]


def autograd_functions():
    """``[(library, "numpy.linalg.solve", the function)]`` for every function
    autograd gives a derivative, ``[]`` when autograd is not installed."""
    import importlib
    import pkgutil
    try:
        import autograd.numpy  # noqa: F401
        from autograd.core import primitive_vjps
        import autograd.scipy.stats as stats
    except ImportError:
        return []
    modules = list(_AUTOGRAD_MODULES)
    for m in pkgutil.iter_modules(stats.__path__):
        modules.append((f"autograd.scipy.stats.{m.name}", f"scipy.stats.{m.name}"))
    out, seen = [], set()
    for modname, target in modules:
        try:
            mod = importlib.import_module(modname)
            lib = importlib.import_module(target.rsplit(".", 1)[0] if ".stats." in target else target)
        except ImportError:
            continue
        if ".stats." in target:
            lib = getattr(lib, target.rsplit(".", 1)[1], None)
        for name, obj in sorted(vars(mod).items()):
            if getattr(obj, "__hash__", None) is None or obj not in primitive_vjps:
                continue
            name = _AUTOGRAD_ALIASES.get(name, name)
            fun = getattr(lib, name, None)
            key = f"{target}.{name}"
            if fun is None or key in seen:
                continue            # an autograd internal (untake, truncate_pad ...)
            seen.add(key)
            out.append((target.split(".")[0], key, fun))
    return out


def _second_order(rule):
    """How the adjoint templates are differentiated again: every function
    they call has a rule ("yes"), or some is a runtime helper differentiated
    from its source ("helper source")."""
    how = "yes"
    for template in rule.adjoints.values():
        for obj in template.globals.values():
            if callable(obj) and not isinstance(obj, type) and lookup(obj) is None:
                if not (getattr(obj, "__module__", "") or "").startswith("srcgrad.runtime"):
                    return "-"
                how = "helper source"
    return how


def _refused(rule):
    """The rule exists only to refuse (its template calls a refusal)."""
    return any("unsupported" in n or "refus" in n
               for t in rule.adjoints.values() for n in t.globals)


def support(fun):
    """(reverse, forward, second order) marks for one function."""
    rule = lookup(fun)
    if rule is None:
        return "-", "-", "-"
    if not rule.differentiable:           # declared piecewise constant: its derivative is 0
        return "constant", "constant", "constant"
    if _refused(rule):
        return "refused", "refused", "refused"
    forward = all(tangent_template(rule, p) is not None for p in rule.adjoints)
    return "yes", "yes" if forward else "-", _second_order(rule)


def peer_table():
    functions = autograd_functions()
    if not functions:
        return ["## Compared with autograd", "", "(autograd is not installed here.)", ""]
    lines = ["## Compared with autograd", "",
             "Every function autograd's NumPy and SciPy wrappers differentiate, and srcgrad's "
             "support: *reverse* (a `defvjp` rule), *forward* (a tangent rule for every "
             "differentiable parameter; *constant*: declared non-differentiable, a piecewise "
             "constant function through which no derivative flows, autograd's zero derivative), "
             "*second order* (\"yes\": every function the adjoint "
             "templates call has a rule itself; \"helper source\": a runtime helper the adjoint "
             "calls is differentiated from its source, see `tests/test_higher_helpers.py`; Hessians "
             "are tested in `tests/test_rules.py`, `tests/test_lib_*.py`; where a helper's source is not differentiable yet, the Hessian is refused with the reason).", ""]
    for library in ("numpy", "scipy"):
        rows = [(k, support(f)) for lib, k, f in functions if lib == library]
        n = sum(1 for _, s in rows if s[0] in ("yes", "constant"))
        lines += [f"**{library}**: srcgrad covers {n} of autograd's {len(rows)}.", "",
                  "| function | reverse | forward | second order |", "| --- | --- | --- | --- |"]
        lines += [f"| `{k}` | {r} | {fw} | {h} |" for k, (r, fw, h) in rows]
        lines.append("")
    return lines


def complex_support(rule):
    """How the rule treats complex values (docs/complex.md): "yes" (its templates
    hold as written), "own rule" (a complex version), "real data" (a complex result
    of real arguments only), "-" (refused where a complex value reaches it)."""
    if rule.complex == "holomorphic":
        return "yes"
    if rule.complex is not None:
        return "own rule"
    return "real data" if rule.complex_result == "always" else "-"


def md(text):
    return str(text).replace("|", "\\|")


def main():
    try:
        import scipy  # noqa: F401  (loads srcgrad's SciPy rules, when SciPy is installed)
        lookup(None)
    except ImportError:
        pass
    rules = all_rules()
    diff = [r for r in rules if r.differentiable]
    nondiff = [r for r in rules if not r.differentiable]
    lines = [
        "# Supported functions",
        "",
        "<!-- generated by tools/gen_supported.py from srcgrad's rule registry; do not edit -->",
        "This file is **generated**: regenerate it with `python tools/gen_supported.py` after",
        "adding or changing a rule (rules live in `srcgrad/rules/`; see `docs/architecture.md`).",
        "",
        f"{len(diff)} differentiable functions and {len(nondiff)} non-differentiable ones "
        f"({len(rules)} rules in all, NumPy {np.__version__}).",
        "",
        "*Kind* tells the compiler about shapes: `elementwise` (broadcasting; adjoints are "
        "summed back to each argument's shape), `reduction` (a scalar when no `axis` is given), "
        "`scalar` (always a scalar), `-` (the adjoint formula itself has the argument's shape).",
        "*Complex* (docs/complex.md): `yes` -- the rule holds for complex values; `own rule` -- "
        "a complex version of the rule is declared; `real data` -- a complex result of real "
        "arguments (complex arguments are refused); `-` -- refused where a complex value "
        "reaches it.",
        "Array methods (`x.sum()`, `x.reshape(2, 3)`, `x.T`, `x.copy()` ...) use the rule of the "
        "NumPy function of the same name.",
        "",
    ]
    for g in GROUPS:
        rs = sorted((r for r in diff if group(r) == g), key=display)
        if not rs:
            continue
        lines += [f"## {g}", "", "| function | signature | differentiable in | kind | complex |",
                  "| --- | --- | --- | --- | --- |"]
        for r in rs:
            params = ", ".join(f"`{p}`" for p in r.adjoints)
            lines.append(f"| `{md(display(r))}` | `{md(r.signature)}` | {params} | "
                         f"{r.kind or '-'} | {complex_support(r)} |")
        lines.append("")
    lines += ["## Non-differentiable", "",
              "Calls to these are kept in the forward sweep; no derivative flows through "
              "their results.", ""]
    for g in GROUPS:
        names = sorted(display(r) for r in nondiff if group(r) == g)
        if names:
            lines.append(f"- **{g}**: " + ", ".join(f"`{n}`" for n in names))
    lines += [""] + peer_table()
    lines += ["", CONTAINERS, STATEMENTS]
    lines += ["", "## Kinks and special points", "",
              "Where a function has no derivative, srcgrad returns a documented one-sided "
              "value or subgradient, never nan from `0 * inf`:", "",
              "- `np.std` where the elements reduced are all equal (one element, or a constant "
              "row): 0 (a subgradient at the minimum; for one element std is constant).",
              "- `x ** y`, `np.power`, `np.float_power`, `math.pow`: the derivative of `x ** 0` "
              "is 0 (also at `x = 0`); the derivative of `0 ** y` in `y` is 0 (for `y > 0`; "
              "the right-hand derivative at `y = 0`).",
              "- `np.linalg.norm` at the zero vector (2-norm, p-norms, Frobenius): 0; `ord=1` at "
              "a zero element: `sign(0) = 0`; ties of `inf` norms share equally.",
              "- `np.maximum`, `np.minimum`, `np.clip` at ties: the whole adjoint to one "
              "argument (the first; `np.clip`: `a`).", "",
              "## Not yet supported", "",
              "Refused with an `UnsupportedError` when srcgrad transforms the function if the "
              "argument that decides it is a constant in the source, else when the generated "
              "code runs:", "",
              "- `np.einsum` with more than three operands; `np.pad` modes other "
              "than constant, edge, reflect, symmetric, wrap and mean; the vectors of "
              "`np.linalg.svd(a)` of a matrix that is not square with `full_matrices=True`; "
              "`np.average(..., returned=True)`; `np.linalg.norm` orders other than those "
              "listed in `srcgrad.runtime.norm_dx`, and second derivatives of the nuclear and "
              "spectral norms.", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {os.path.normpath(OUT)}: {len(diff)} differentiable, {len(nondiff)} non-differentiable")


if __name__ == "__main__":
    main()
