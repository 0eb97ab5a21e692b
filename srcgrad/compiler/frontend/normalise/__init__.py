"""Stage 2 — normalise: desugar Python into a small structured core.

After this stage a function body contains only

* ``name = expr``, ``name[index] = expr``, expression statements, ``raise``,
  ``assert``;
* ``if test: ... else: ...``;
* ``for i in range(...)`` and ``while test:`` loops whose only ``break`` is a
  final ``if flag: break`` (so every iteration that starts also reaches the
  end of the body);
* one ``return name`` as the last statement.

One desugaring per module, composed into :class:`Normaliser`
(``normaliser.py``, which walks the statements and dispatches):

* ``assignments.py``: docstrings, annotations, augmented and multiple
  assignment, tuple unpacking and swaps;
* ``loops.py``: ``for x in seq`` becomes ``for i in range(n)``, nested and
  starred loop targets, ``for``/``while`` ``else``; ``iterables.py``: how the
  loop reads ``enumerate``, ``zip``, ``reversed``, ``list(...)`` of them
  (the iterable is evaluated once, before the loop, as Python does);
* ``jumps.py``: ``break``, ``continue`` and ``return`` anywhere become flags
  (only where needed: ``if c: return a`` followed by more code puts that code
  into the ``else`` branch instead) and one final ``return``;
* ``copy_written_arguments.py``: an argument the function writes into is
  copied first.
* ``frozen.py``: a frozen scipy.stats distribution made in the function,
  ``d = norm(mu, s); d.logpdf(x)``, becomes ``norm.logpdf(x, mu, s)``.

Calls to the user's own functions are inlined on the way
(``srcgrad.compiler.frontend.inline``), comprehensions desugared
(``srcgrad.compiler.frontend.comprehensions``).
"""

from srcgrad.compiler.frontend.normalise.copy_written_arguments import VIEW_NAMES
from srcgrad.compiler.frontend.normalise.normaliser import Normaliser, normalise_text

__all__ = ["Normaliser", "VIEW_NAMES", "normalise_text"]
