"""Stage 6 — optimisations of generated code (and the loop-invariant code
motion that runs before the analyses)."""

from srcgrad.compiler.optimise.optimise import (batch_outer_products, eliminate_dead_code,
                                                forward_temporaries, hoist_invariants,
                                                propagate_constants, propagate_copies)

__all__ = ["batch_outer_products", "eliminate_dead_code", "forward_temporaries",
           "hoist_invariants", "propagate_constants", "propagate_copies"]
