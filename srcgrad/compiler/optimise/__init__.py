"""Stage 6 — optimisations of generated code (and the loop-invariant code
motion that runs before the analyses), one pass per module:

* ``hoist.py``: loop-invariant statements move in front of their loop (on
  the SSA form, before analysis: they are then computed once, never taped);
* ``copies.py``: copies of adjoints of compiler temporaries are propagated;
* ``constants.py``: adjoints that are a number (the seed ``1.0``) are
  substituted into arithmetic, which is simplified (``simplify.py``: constant
  folding and algebraic identities, on top of :mod:`srcgrad.compiler.ir.fold`);
* ``dead_code.py``: dead assignments and empty control structures go;
* ``accumulations.py``: the adjoint of ``out[i] += e`` leaves ``d_out[i]`` as
  it is (no zeroing and adding back);
* ``temporaries.py``: single-use temporaries are forwarded into their use;
* ``outer_products.py``: a loop's outer products become one matrix product;
* ``closures.py``: the split form's reverse sweep becomes a closure it returns;
* ``accumulators.py``: a helper's ``vjp`` adds into its caller's adjoints;
* ``first_writes.py``, ``list_fusion.py``: a fresh list adjoint's items set,
  not added to, and computed where a later reverse loop pops them;
* ``primal.py``: a helper's primal form (the front end's statements, made
  readable by the passes above), what its callers' forward sweeps call.

``effects.py`` holds what they share: which names a statement reads and
which calls may change something.
"""

from srcgrad.compiler.optimise.accumulations import cancel_accumulations
from srcgrad.compiler.optimise.closures import split_closure
from srcgrad.compiler.optimise.constants import propagate_constants
from srcgrad.compiler.optimise.copies import propagate_copies
from srcgrad.compiler.optimise.dead_code import eliminate_dead_code
from srcgrad.compiler.optimise.hoist import hoist_invariants, never_none
from srcgrad.compiler.optimise.outer_products import batch_outer_products
from srcgrad.compiler.optimise.temporaries import forward_temporaries

__all__ = ["batch_outer_products", "cancel_accumulations", "eliminate_dead_code",
           "forward_temporaries", "hoist_invariants", "never_none", "propagate_constants",
           "propagate_copies",
           "split_closure"]
