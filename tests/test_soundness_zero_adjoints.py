"""The symbolic zero reaches every adjoint.

When a list element is overwritten (``AL[0] = ...``), the adjoint of its old
value is the symbolic zero ``0.0``, whatever the element's shape (fuzz seed
313856: ``np.cumsum``'s adjoint reshaped ``0.0`` to the element's shape and
crashed).  The reverse transform now takes such an adjoint for *lazy* (it only
broadcasts to the element's shape) wherever an element goes into a list or
dict that is changed later (a literal, ``append``, ``d[k] = v``), and expands
it before a rule that needs the full shape.  Each case here computes an element with one NumPy or SciPy call,
overwrites it, and checks grad, jvp and hvp: right or refused, never a crash.
"""

import pathlib

import numpy as np
import pytest
import scipy.special
import scipy.stats

from tests.modes import assert_sound

CALLS = [line for line in (pathlib.Path(__file__).parent / "data" / "zero_adjoint_calls.txt")
         .read_text().splitlines() if line.strip()]
X = np.array([0.5, -0.3, 0.8, 0.2])
A = np.array([[2.0, 0.3, -0.1, 0.2], [0.1, 1.5, 0.4, 0.0], [0.0, -0.2, 1.8, 0.3],
              [0.2, 0.1, 0.0, 1.2]])
M = np.arange(12.0).reshape(3, 4) / 10 - 0.4


FORMS = {
    "list": ("    AL = [{call}, x * 2.0]\n"
             "    AL[0] = np.sin(x) * 1.0\n"
             "    return sum(np.sum(e * e) for e in AL) + np.sum(AL[0] * x)\n"),
    "appended": ("    AL = []\n"
                 "    AL.append({call})\n"
                 "    AL.append(x * 2.0)\n"
                 "    AL[0] = np.sin(x) * 1.0\n"
                 "    return sum(np.sum(e * e) for e in AL)\n"),
    "written": ("    AL = [x * 3.0, x * 2.0]\n"
                "    AL[0] = {call}\n"
                "    AL[0] = np.sin(x) * 1.0\n"
                "    return sum(np.sum(e * e) for e in AL)\n"),
    "dict": ("    D = {{'a': {call}, 'b': x * 2.0}}\n"
             "    D['a'] = np.sin(x) * 1.0\n"
             "    return np.sum(D['a'] * D['b'])\n"),
}


def _function(call, form):
    src = "def f(x):\n" + FORMS[form].format(call=call)
    ns = {"np": np, "scipy": scipy, "A": A, "M": M}
    import linecache
    name = f"<zero adjoint {abs(hash((call, form)))}>"
    linecache.cache[name] = (len(src), None, src.splitlines(True), name)
    exec(compile(src, name, "exec"), ns)
    return ns["f"]


# every call in a list literal; a sample of shape-changing calls in the other forms (the
# mechanism is one: an adjoint read out of a changed list or dict is lazy)
SAMPLE = ["np.cumsum(x)", "np.reshape(x, (2, 2)).T.ravel()", "np.tile(x, 2)", "np.diff(x)",
          "np.outer(x, x).ravel()", "np.dot(M, x)", "np.sort(M * x, axis=1).ravel()",
          "np.broadcast_to(x, (3, 4)).ravel()", "np.linalg.solve(A, x)",
          "np.cumsum(M * x, axis=0).ravel()", "np.take(x, [0, 2])", "np.pad(x, 1)"]
CASES = [(call, "list") for call in CALLS] + \
    [(call, form) for form in sorted(FORMS) if form != "list" for call in SAMPLE]


@pytest.mark.parametrize("call, form", CASES)
def test_an_overwritten_element_s_zero_adjoint_reaches_the_call(call, form):
    assert_sound(_function(call, form), (X,), wrt=0, expect="ok-or-refused")
