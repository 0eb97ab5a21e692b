"""What a function's tree holds, found in one walk: the normalising passes
that look for constructs numeric code seldom has (``dict(zip(...))``, a set
comprehension, a starred argument, ``np.einsum`` sublists,
``dataclasses.replace``) are run only where the walk saw what they rewrite
(each would otherwise walk the whole function, and every inlined body, to
find nothing).

>>> import gast
>>> tree = gast.parse("y = np.einsum('i,i', a, b) + f(*xs) + g(**kw)").body[0]
>>> found = scan(tree)
>>> sorted(found.called_attrs), sorted(found.called_names), found.stars
(['einsum'], ['f', 'g'], True)
>>> len(found.calls), gast.SetComp in found.classes
(3, False)
"""

import gast

from srcgrad.compiler.ir.walk import inner_nodes


class Found:
    """What :func:`scan` saw: the node classes, the calls (in the order of
    a walk), the names and attribute names called, and whether any
    argument is starred (``*xs`` or ``**kw``)."""

    __slots__ = ("classes", "calls", "called_names", "called_attrs", "stars")


def scan(tree):
    found = Found()
    classes, calls, names, attrs = set(), [], set(), set()
    stars = False
    for n in inner_nodes(tree):
        cls = n.__class__
        classes.add(cls)
        if cls is gast.Call:
            calls.append(n)
            f = n.func.__class__
            if f is gast.Name:
                names.add(n.func.id)
            elif f is gast.Attribute:
                attrs.add(n.func.attr)
        elif cls is gast.Starred or cls is gast.keyword and n.arg is None:
            stars = True
    found.classes, found.calls, found.called_names, found.called_attrs = \
        classes, calls, names, attrs
    found.stars = stars
    return found
