"""Stages 1–3 — the front end: parse the user's function, normalise it into
a small structured core (inlining the user's own functions and desugaring
comprehensions on the way), and give it SSA form (``srcgrad.compiler.ir.ssa``).
"""

from srcgrad.compiler.frontend.inline import primitive_library
from srcgrad.compiler.frontend.normalise import VIEW_NAMES, Normaliser
from srcgrad.compiler.frontend.parse import MISSING, parse

__all__ = ["parse", "MISSING", "Normaliser", "VIEW_NAMES", "primitive_library"]
