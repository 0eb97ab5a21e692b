"""Stage 5 — the transforms: reverse mode (the adjoint sweeps of ``grad``,
``vjp``) and forward mode (the tangents of ``jvp``, batched for Jacobians).
"""

from srcgrad.compiler.transforms.forward import BatchedForward, Forward
from srcgrad.compiler.transforms.reverse import Comment, Reverse

__all__ = ["Reverse", "Comment", "Forward", "BatchedForward"]
