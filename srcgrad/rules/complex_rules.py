"""Complex numbers: which rules hold for complex values, the rules of the
functions that are not complex-differentiable, and ``np.fft``.

The convention is JAX's (docs/complex.md): the adjoint of a complex ``z`` is
``dL/dRe(z) - 1j * dL/dIm(z)`` for a real ``L``, so the adjoint of a
holomorphic function is ``g * f'(z)`` -- its real template, unchanged
(``holomorphic(np.sin)``).  The others (``abs``, ``real``, ``imag``, ``conj``,
``angle``) have a complex version of their rule (``defcomplex``).  A function
that has neither is refused where a complex value reaches it.  Where a
complex result feeds a real argument, the compiler takes the real part of
the argument's adjoint; a real ``x`` thus always gets a real gradient.
"""

import builtins
import operator

import numpy as np

from srcgrad import runtime
from srcgrad.runtime import forward as runtime_forward
from srcgrad.runtime import (  # noqa: F401  (used in templates)
    div_or_zero, fft_axes, fft_sizes, fit_axes, fit_axes_dx, irfft_weights)
from srcgrad.rules.registry import defcomplex, defjvp, defvjp, holomorphic, nondifferentiable

# -- rules that hold as written (complex-differentiable, or linear) --------------------
holomorphic(operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
            operator.neg, operator.pos, operator.matmul, builtins.pow, builtins.sum)
holomorphic(np.add, np.subtract, np.multiply, np.divide, np.true_divide, np.power, np.negative,
            np.positive, np.square, np.sqrt, np.reciprocal, np.exp, np.exp2, np.expm1, np.log,
            np.log2, np.log10, np.log1p, np.sin, np.cos, np.tan, np.arcsin, np.arccos,
            np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh, np.arccosh, np.arctanh, np.where)
holomorphic(np.sum, np.mean, np.prod, np.cumsum, np.trace, np.dot, np.matmul, np.inner,
            np.outer, np.tensordot, np.einsum, np.kron, np.linalg.solve, np.linalg.inv,
            np.linalg.det)
holomorphic(np.reshape, np.ravel, np.transpose, np.ndarray.transpose, np.ndarray.reshape,
            np.swapaxes, np.moveaxis, np.expand_dims, np.squeeze, np.atleast_1d, np.atleast_2d,
            np.atleast_3d, np.broadcast_to, np.tile, np.repeat, np.flip, np.roll, np.diag,
            np.diagonal, np.triu, np.tril, np.copy, np.array, np.asarray, np.concatenate,
            np.stack, np.hstack, np.vstack, np.split, np.take)
# -- functions that are not complex-differentiable -------------------------------------
# |z|: dL/dRe(z) - 1j dL/dIm(z) = g * (x - 1j y) / |z|; 0 at z = 0 (like sign(0))
for _abs in (np.abs, builtins.abs):
    defcomplex(_abs, "div_or_zero(g * np.conj(x), ans)",
               tangents=("div_or_zero(np.real(np.conj(x) * t), ans)",), result="never")
defcomplex(np.real, "g", tangents=("np.real(t)",), result="never")
defcomplex(np.imag, "-1j * g", tangents=("np.imag(t)",), result="never")
defcomplex(np.conjugate, "np.conj(g)", tangents=("np.conj(t)",))
defcomplex(np.angle, "div_or_zero(-1j * g * np.conj(z), np.real(z * np.conj(z))) * (180.0 / np.pi if deg else 1.0)",
           tangents=("div_or_zero(np.imag(np.conj(z) * t), np.real(z * np.conj(z))) * (180.0 / np.pi if deg else 1.0)",),
           result="never")

# -- np.fft: linear maps; each adjoint is a transform of g, cut back to a's lengths
# where n= (s=) cut or padded a --------------------------------------------------------
F = np.fft
_1D = "a, n=None, axis=-1, norm=None"
_2D = "a, s=None, axes=(-2, -1), norm=None"
_ND = "a, s=None, axes=None, norm=None"
for _f, _sig in ((F.fft, _1D), (F.ifft, _1D)):
    _g = f"np.fft.{_f.__name__}(g, axis=axis, norm=norm)"
    defvjp(_f, _sig, f"{_g} if n is None else fit_axes_dx({_g}, a, (axis,))")
    defjvp(_f, f"np.fft.{_f.__name__}(t, n=n, axis=axis, norm=norm)")
for _f, _sig in ((F.fft2, _2D), (F.ifft2, _2D), (F.fftn, _ND), (F.ifftn, _ND)):
    _g = f"np.fft.{_f.__name__}(g, axes=fft_axes(a, s, axes), norm=norm)"
    defvjp(_f, _sig, f"np.fft.{_f.__name__}(g, axes=axes, norm=norm) if s is None else "
                     f"fit_axes_dx({_g}, a, fft_axes(a, s, axes))")
    defjvp(_f, f"np.fft.{_f.__name__}(t, s=s, axes=axes, norm=norm)")
# rfft of real data: the full transform of the half spectrum g zero-padded to the
# length n, whose real part (the compiler takes it: the argument is real) is the adjoint
defvjp(F.rfft, _1D, "np.fft.fft(g, np.shape(a)[axis], axis=axis, norm=norm) if n is None else "
                    "fit_axes_dx(np.fft.fft(g, n, axis=axis, norm=norm), a, (axis,))")
defjvp(F.rfft, "np.fft.rfft(t, n=n, axis=axis, norm=norm)")
for _f, _sig in ((F.rfft2, _2D), (F.rfftn, _ND)):
    defvjp(_f, _sig, "fit_axes_dx(np.fft.fftn(g, fft_sizes(a, s, axes), fft_axes(a, s, axes), "
                     "norm=norm), a, fft_axes(a, s, axes))")
    defjvp(_f, f"np.fft.{_f.__name__}(t, s=s, axes=axes, norm=norm)")
# irfft reads a half spectrum: each frequency but 0 (and n/2) stands for two conjugate
# ones (irfft_weights: 1 or 2, and the scale of norm)
_IRFFT = "np.conj(np.fft.rfft(g, axis=axis)) * irfft_weights(ans, axis, norm)"
defvjp(F.irfft, _1D, f"np.real({_IRFFT} if n is None else fit_axes_dx({_IRFFT}, a, (axis,)))")
defjvp(F.irfft, "np.fft.irfft(t, n=n, axis=axis, norm=norm)")
defcomplex(F.irfft, f"{_IRFFT} if n is None else fit_axes_dx({_IRFFT}, a, (axis,))",
           tangents=("np.fft.irfft(t, n=n, axis=axis, norm=norm)",), result="never")
for _f, _sig in ((F.irfft2, _2D), (F.irfftn, _ND)):
    _w = "irfft_weights(ans, fft_axes(a, s, axes), norm)"
    _g = f"np.conj(np.fft.rfftn(g, axes=fft_axes(a, s, axes))) * {_w}"
    _short = f"np.conj(np.fft.{_f.__name__[1:]}(g, axes=axes)) * {_w}"
    _adj = f"{_short} if s is None else fit_axes_dx({_g}, a, fft_axes(a, s, axes))"
    defvjp(_f, _sig, f"np.real({_adj})")
    defjvp(_f, f"np.fft.{_f.__name__}(t, s=s, axes=axes, norm=norm)")
    defcomplex(_f, _adj, tangents=(f"np.fft.{_f.__name__}(t, s=s, axes=axes, norm=norm)",),
               result="never")
defvjp(F.fftshift, "x, axes=None", "np.fft.ifftshift(g, axes)")
defvjp(F.ifftshift, "x, axes=None", "np.fft.fftshift(g, axes)")
defjvp(F.fftshift, "np.fft.fftshift(t, axes)")
defjvp(F.ifftshift, "np.fft.ifftshift(t, axes)")
# complex results of real data; linear, so the rule holds for complex data too
for _f in (F.fft, F.ifft, F.fft2, F.ifft2, F.fftn, F.ifftn):
    defcomplex(_f, result="always")
for _f in (F.rfft, F.rfft2, F.rfftn):
    defcomplex(_f, result="always", complex_arguments=False)     # of real data only
holomorphic(F.fftshift, F.ifftshift)
nondifferentiable(fft_axes, fft_sizes, irfft_weights)
# the sample frequencies k / (n d) of the spacing d
for _f in (F.fftfreq, F.rfftfreq):
    defvjp(_f, "n, d=1.0, *, device=None", None, "-np.sum(g * ans) / d")
    defjvp(_f, d="-t * ans / d")

# fit_axes (cut or zero-pad) is linear: its adjoint cuts (pads) back
defvjp(fit_axes, "x, lengths, axes", "fit_axes_dx(g, x, axes)")
defjvp(fit_axes, "fit_axes(t, lengths, axes)")
defvjp(fit_axes_dx, "h, x, axes", "fit_axes_dx(g, h, axes)", shapes=("x",))
defjvp(fit_axes_dx, "fit_axes_dx(t, x, axes)")

# srcgrad's helpers in generated code (second derivatives of code with complex values)
holomorphic(runtime.unbroadcast, runtime.unreduce, runtime.unreduce_mean, runtime.expand,
            runtime.div_or_zero, runtime.matmul_dx, runtime.matmul_dy, runtime.dot_dx,
            runtime.dot_dy, runtime.reshape_dx, runtime.transpose_dx, runtime.sum_dx,
            runtime.add_at, runtime.fit_axes, runtime.fit_axes_dx, np.asanyarray)
# structure: tapes, containers and the adjoints of indexing and stacking
holomorphic(runtime_forward.tape_push, runtime_forward.tape_pop, runtime.fit,
            runtime.written_adjoint, runtime.item_adjoint, runtime.add_item, runtime.add_item_dv,
            runtime.list_dx, runtime.own,
            runtime.copy_dx, runtime_forward.broadcast_like, runtime.take_dx, runtime.restructure,
            runtime.split_dx, runtime.set_field, runtime.set_field_dx, runtime.field_dx,
            runtime.field_put, runtime.field_tangent, runtime.replace_dx)
# their transposes (moving values, like the helpers above): tests/test_closure.py
holomorphic(runtime.list_tangent, runtime_forward.rebroadcast, runtime.element,
            runtime.element_t, runtime.entry, runtime.entry_t, runtime.restructure_t,
            runtime.restructure_t_dh)
# (astype to a real dtype drops the imaginary part; the second derivatives of array_dx,
# item_dx, concatenate_dx and stack_dx read complex adjoints as floats: not declared, so
# refused where a complex value reaches them)
