"""Rules for SciPy, loaded only when the user's code has imported SciPy.

:mod:`srcgrad.rules.registry` imports this package the first time a rule
lookup misses while ``scipy`` is in ``sys.modules``; each module below
declares the rules of one SciPy subpackage with the public ``defvjp`` /
``defjvp``, exactly as a user would.
"""

from srcgrad.rules.scipy import special  # noqa: F401,E402
from srcgrad.rules.scipy import stats  # noqa: F401,E402
from srcgrad.rules.scipy import integrate, linalg, signal  # noqa: F401
