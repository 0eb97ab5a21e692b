"""Stage 5' — the forward-mode (tangent) transform.

Builds the Jacobian-vector product function from the same analysed SSA form
the reverse transform reads.  One pass, no tape: the primal code is kept as
it is (control flow included: ``if``, ``for i in range``, ``while`` and the
final ``if broke: break`` of a loop), and after each active assignment
``y = op(args)`` comes its tangent statement ``d_y = <tangent>``, the sum of
the tangent templates of the arguments that carry a tangent (``d_y = d_x *
np.cos(x)``).

* The tangents of the ``wrt`` parameters are the extra arguments ``d_<p>``.
* A value that is not active has a zero tangent: nothing is emitted for it,
  and a tangent template is instantiated only for active arguments.  An
  active name assigned a value without tangent (a constant, a
  non-differentiable call) gets an explicit zero, so that its tangent is
  defined on every path that defines the value.
* A loop-carried overwrite ``x = x * y`` puts the tangent statement first
  (it reads the old ``x``); when it also reads the result, the new value is
  computed into a temporary first.
* Elementwise tangents may have the shape of the active argument only
  (``k * v`` with only ``k`` varied); where the forward shape facts cannot
  prove that one active argument has the result's shape, the tangent is
  broadcast to it (``broadcast_like``).

The shape facts used are the *forward* ones only (``Analysis.forward_scalar``
and the same-shape classes): the result of a ``jvp`` need not be a scalar.

:class:`Forward` is in :mod:`.tangents`; :class:`BatchedForward`
(``srcgrad.jacobian``, ``srcgrad.hessian``, in :mod:`.batched`) is the same
transform for a batch of directions: every tangent has a last axis of them
(see its docstring and docs/modes.md, "Batched directions").

The tangent of a loop (the whole forward pipeline):

>>> from srcgrad.compiler.pipeline import Driver, forward_transform
>>> def f(x, n):
...     s = 0.0
...     for i in range(n):
...         s = s * x + 1.0
...     return s
>>> df = forward_transform(f, ("x",), Driver())
>>> print(df.srcgrad_source.rstrip())
def jvp_f(x, n, d_x):
    if check_argument(x, 'x'):
        return jvp_f_complex(x, n, d_x)
    s = 0.0
    d_s = 0.0
    for i in range(n):
        # line 4: s = s * x + 1.0
        s_1 = s * x
        d_s_1 = d_s * x + d_x * s
        s = s_1 + 1.0
        d_s = d_s_1
    # line 5: return s
    out = s
    d_out = d_s
    return (out, like_value(d_out, out))
"""

from srcgrad.compiler.transforms.forward.batched import BatchedForward
from srcgrad.compiler.transforms.forward.tangents import Forward

__all__ = ["Forward", "BatchedForward"]
