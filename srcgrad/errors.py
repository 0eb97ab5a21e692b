"""Errors raised by srcgrad.

Every error a user can see derives from :class:`SrcgradError`.  Errors about the
user's code carry the file, line and construct they are about, and a one-line
hint, so that the message alone says what to change.
"""


class SrcgradError(Exception):
    """Base class of every error srcgrad raises on purpose."""


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
