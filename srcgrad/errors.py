"""Errors raised by srcgrad.

Every error a user can see derives from :class:`SrcgradError`.  Errors about the
user's code carry the file, line and construct they are about, and a one-line
hint, so that the message alone says what to change.
"""


#: for each file name of compiled generated code, the user's line each of
#: its lines comes from: ``{generated line: (file, line, source text)}``
#: (filled by the emitter; read when an error raised at run time is printed)
GENERATED_LINES = {}


def generated_location(tb):
    """``(file, line, source text)`` of the user's line that the innermost
    frame of generated code in traceback ``tb`` was running, or None."""
    found = None
    while tb is not None:
        lines = GENERATED_LINES.get(tb.tb_frame.f_code.co_filename)
        if lines is not None:
            found = lines.get(tb.tb_lineno, found)
        tb = tb.tb_next
    return found


class SrcgradError(Exception):
    """Base class of every error srcgrad raises on purpose.

    An error raised while generated code runs (a refusal that depends on the
    values, like ``np.linalg.norm(x, ord=p)`` with a ``p`` known only then)
    names the user's file and line it comes from when it is printed: the
    emitter records which user line each generated line belongs to."""

    filename = lineno = None
    _located = None           # (prefix, suffix) found from the traceback

    def __str__(self):
        text = super().__str__()
        if self.filename is None and self._located is None:
            where = generated_location(self.__traceback__)
            if where is not None:
                self.filename, self.lineno, line = where
                self._located = (f"{self.filename}:{self.lineno}: ",
                                 f"\n    {line}" if line else "")
        if self._located is not None:
            text = self._located[0] + text + self._located[1]
        return text


class UnsupportedError(SrcgradError):
    """A construct, or a call to a function without a rule, that srcgrad cannot
    differentiate.  The message names the user's file, line and construct."""

    def __init__(self, message, *, filename=None, lineno=None, construct=None,
                 hint=None, source_line=None):
        self.filename = filename
        self.lineno = lineno
        self.construct = construct
        self.hint = hint
        self.source_line = source_line
        where = ""
        if filename is not None:
            where = f"{filename}:{lineno}: " if lineno is not None else f"{filename}: "
        text = f"{where}{message}"
        if source_line:
            text += f"\n    {source_line.strip()}"
        if hint:
            text += f"\n  hint: {hint}"
        super().__init__(text)


class ClassesNeeded(UnsupportedError):
    """Raised while generating the derivative of a function that calls a
    method of an argument (``osc.energy(x)``, ``osc`` a parameter): which
    function it calls depends on the argument's class, known when the
    derivative is called.  The public API then generates one version per
    tuple of classes (``srcgrad.api.classes``); anywhere else this is the
    refusal it carries.  ``params``: the parameters whose class is needed."""

    def __init__(self, params, error):
        self.params = tuple(params)
        for a in ("filename", "lineno", "construct", "hint", "source_line"):
            setattr(self, a, getattr(error, a, None))
        SrcgradError.__init__(self, error.args[0] if error.args else str(error))


class RuleError(SrcgradError):
    """A differentiation rule is malformed (bad signature or template)."""


class GradientCheckError(SrcgradError, AssertionError):
    """Raised by :func:`srcgrad.check_grad` when srcgrad's gradient and finite
    differences disagree."""


class NonScalarOutputError(SrcgradError, ValueError):
    """``grad`` was asked for the gradient of a function whose result is not a
    scalar."""


class ArgumentTypeError(SrcgradError, TypeError):
    """An argument a derivative is taken with respect to (named in ``wrt``)
    is not a float, a floating-point array or a container of them (a string,
    an int, a bool, an integer array, None, a complex number)."""
