"""Stage 5 — the reverse-mode transform (``grad``, ``vjp``).

Builds the gradient function from the analysed SSA form in three steps:

1. **sweeps** (:mod:`.walk`): the forward sweep is the primal code (plus an
   iteration counter for ``while`` loops and loops with ``break``); the
   reverse sweep mirrors it: statements in reverse order, ``if`` on the
   recorded condition, ``for`` loops reversed.  Each active assignment
   contributes an ``Adjoint`` made from its primitive's rule templates
   (:mod:`.adjoints`); lists, dicts and arrays changed in place have their own
   (:mod:`.containers`).  Code not written yet is a placeholder
   (:mod:`.placeholders`).
2. **materialise** adjoints (:mod:`.materialise`): a dataflow pass over the
   reverse sweep decides, for every contribution, whether it is the first
   (``d_x = ...``) or adds to earlier ones (``d_x = d_x + ...``);
   contributions from a zero adjoint are dropped; zeros are created only
   where control flow merges a path with and a path without a contribution.
3. **tape** (:mod:`.tape`): the reverse sweep now says exactly which primal
   values it reads.  In loops, a loop-carried value the reverse sweep reads is
   pushed before it is overwritten and popped back after that statement's
   adjoint; values defined once per iteration are pushed together at the end
   of their block and popped at the start of its reverse.  Nothing else is
   recorded.

:class:`Reverse` (:mod:`.transform`) holds the state and ``run``; each step
is one of its bases, in its own module.  The gradient of a loop (the whole
reverse pipeline; its first version, the one for Python floats):

>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def f(x, n):
...     s = 0.0
...     for i in range(n):
...         s = s * x + 1.0
...     return s
>>> df = reverse_transform(f, ("x",), Driver(), with_value=False)
>>> print(df.srcgrad_source.split("\\n\\n\\n")[0].rstrip())
def d_f(x, n):
    if type(x) is not float and type(x) is not float64:
        return d_f_generic(x, n)
    tape = []
    s = 0.0
    for i in range(n):
        s_1 = s * x
        tape.append(s)
        s = s_1 + 1.0
    d_out = 1.0
    # line 5: return s
    d_s = d_out
    d_x = 0.0
    for i in reversed(range(n)):
        # line 4: s = s * x + 1.0
        s = tape.pop()
        d_s_1 = d_s
        d_s = d_s * x
        d_x = d_x + d_s_1 * s
    return d_x
"""

from srcgrad.compiler.transforms.reverse.placeholders import Comment
from srcgrad.compiler.transforms.reverse.transform import Reverse

__all__ = ["Reverse", "Comment"]
