"""Stage 4 — analyses of the SSA form: what each operation is (resolution),
which names carry a derivative (activity), what may share memory
(aliasing), which names are scalars and which have the same shape (shapes),
and the refusals of whatever is not understood on a differentiated path.
"""

from srcgrad.compiler.analysis.analyse import (ARRAY_ATTRIBUTES, ARRAY_METHODS, IDENTITY_HELPERS,
                                               VIEW_FUNCTIONS, Analysis, Op, analyse,
                                               defined_name, iter_ops)

__all__ = ["Analysis", "analyse", "Op", "defined_name", "iter_ops", "ARRAY_ATTRIBUTES",
           "ARRAY_METHODS", "IDENTITY_HELPERS", "VIEW_FUNCTIONS"]
