"""Stage 4 — analyses of the SSA form: what each operation is (resolution),
which names carry a derivative (activity), what may share memory
(aliasing), which names are scalars and which have the same shape (shapes),
and the refusals of whatever is not understood on a differentiated path.
``analyse.py`` runs them in order (its docstring lists them).
"""

from srcgrad.compiler.analysis.analyse import Analysis, analyse
from srcgrad.compiler.analysis.ops import Op, defined_name, iter_ops
from srcgrad.rules.tables import ARRAY_ATTRIBUTES, ARRAY_METHODS, IDENTITY_HELPERS, VIEW_FUNCTIONS

__all__ = ["Analysis", "analyse", "Op", "defined_name", "iter_ops", "ARRAY_ATTRIBUTES",
           "ARRAY_METHODS", "IDENTITY_HELPERS", "VIEW_FUNCTIONS"]
