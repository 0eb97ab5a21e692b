"""Stage 2a — inline: calls to the user's own functions become straight code.

The normaliser (stage 2) asks this package to expand every call whose callee
is known when the gradient is generated and is plain Python source:

* a module-level function, one imported from another module of the user's,
  a method of an object the function reads from a global
  (``model.predict(x)``), a ``functools.partial`` of one of these;
* a function defined inside the function (``def``), a ``lambda`` assigned to
  a name or passed straight to a call, and ``functools.partial`` of one;
* a parameter of an inlined function that was bound to any of the above
  (``apply(np.sin, x)``, ``apply(lambda t: t * t, x)``).

The callee's source is parsed, its parameters and locals renamed to fresh
names (derived from its own: ``x`` becomes ``x_1`` only if the caller uses
``x``), its global names rewritten so that they mean in the caller what they
mean in the callee, and its body normalised with a single result variable.
The call is replaced by that variable, the body is put in front of the
statement that made the call.  Every later stage then sees one function, so
activity, shapes, tape placement and the optimiser work across calls, and the
generated code has no per-call overhead.

Line numbers of inlined code are encoded (``parse.LINES``) so that comments
and error messages name the callee's own file and line.

A call that would recurse into a function already being inlined is left as a
call; the analysis gives it a rule on the fly that differentiates it by
calling the generated vjp/jvp of the callee
(``srcgrad.compiler.analysis.callees.recursive_rule``).

The package: ``callees.py`` (what a call calls: the kinds of callee, static
resolution of names, the definitions made in the code), ``bind.py`` (the
call's arguments bound to the callee's parameters), ``rename.py`` (the
callee's names renamed, its scopes respected), ``inliner.py`` (the
:class:`Inliner` itself: a call expanded into statements).
"""

from srcgrad.compiler.frontend.inline.callees import primitive_library
from srcgrad.compiler.frontend.inline.inliner import Inliner

__all__ = ["Inliner", "primitive_library"]
