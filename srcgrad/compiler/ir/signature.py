"""The parameters of a generated function that takes extra arguments.

``jvp`` adds tangents and ``vjp`` a cotangent after the user's parameters;
parameters with a default become keyword-only, so that ``def f(x, num=5)``
gives ``def jvp_f(x, d_x, *, num=5)``:

>>> import gast
>>> def f(x, num=5):
...     return x * num
>>> args = gast.parse("def f(x, num=5): pass").body[0].args
>>> new = with_extra_parameters(args, ["d_x"], f)
>>> [a.id for a in new.args], [a.id for a in new.kwonlyargs]
(['x', 'd_x'], ['num'])
>>> Positional(f, args).__kwdefaults__
{'num': 5}
"""

import inspect

import gast


def with_extra_parameters(args, extras, fun):
    """The parameters of a generated function that takes the ``extras``
    (tangents, a cotangent: names) besides the user's parameters ``args``
    (a gast ``arguments``) of ``fun``.

    The user's positional parameters without a default come first, then
    the ``extras``, positionally; parameters with a default become
    keyword-only (after the user's own keyword-only ones), keeping their
    defaults.  So ``def f(x, y, num=5)`` gives ``jvp_f(x, y, d_x, d_y, *,
    num=5)``: a tangent is never taken for ``num``, ``num`` is still
    optional, and a function without defaults is called exactly as before
    (``jvp(f)(x, t)``).  :class:`Positional` gives the generated function
    the matching default values."""
    n = len(fun.__defaults__ or ())
    positional = list(args.posonlyargs) + list(args.args)
    required = positional[:len(positional) - n]
    defaulted = positional[len(positional) - n:]
    shown = list(args.defaults) if len(args.defaults) == n else \
        [gast.Constant(value=Ellipsis, kind=None)] * n
    extra = [gast.Name(id=e, ctx=gast.Param(), annotation=None, type_comment=None)
             for e in extras]
    posonly = [a for a in required if a in args.posonlyargs]
    return gast.arguments(
        posonlyargs=posonly, args=[a for a in required if a not in posonly] + extra,
        vararg=None, kwonlyargs=list(args.kwonlyargs) + defaulted,
        kw_defaults=list(args.kw_defaults) + shown, kwarg=None, defaults=[])


class Positional:
    """What :func:`srcgrad.emit.build` reads of the user's function, for a
    generated function with extra positional parameters after the user's
    (:func:`with_extra_parameters`): the defaults of positional parameters
    become keyword-only defaults.  ``optional``: the number of positional
    parameters after the extra ones that default to None (a helper's
    ``vjp`` takes its caller's adjoints, ``optimise/accumulators.py``)."""

    def __init__(self, fun, args, optional=0):
        defaults = fun.__defaults__ or ()
        positional = [a.id for a in list(args.posonlyargs) + list(args.args)]
        self.__defaults__ = (None,) * optional or None
        kw = dict(zip(positional[len(positional) - len(defaults):], defaults))
        kw.update(fun.__kwdefaults__ or {})
        self.__kwdefaults__ = kw or None
        self.__module__ = fun.__module__
        self.__qualname__ = fun.__qualname__


def call_with_extra(made, fun, args, extra):
    """``made`` (a jvp or vjp of ``fun``) called on ``fun``'s arguments
    ``args`` (every positional parameter, in order) and the tangent or
    cotangent ``extra``, which comes after the parameters without a default;
    those with one are keyword-only there (:func:`with_extra_parameters`)."""
    required = len(args) - len(fun.__defaults__ or ())
    names = list(inspect.signature(fun).parameters)
    return made(*args[:required], extra,
                **{names[k]: args[k] for k in range(required, len(args))})
