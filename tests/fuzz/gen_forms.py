"""The Python users write (issue #14) in the fuzzer's grammar (mixed into
``gen.Gen``): sets of indices (displays, set comprehensions, set operators)
iterated by comprehensions and loops; ``try``/``except``/``else``/``finally``
(``np.linalg.LinAlgError`` around a solve, ``KeyError`` around a dict read,
``ZeroDivisionError`` around a division by an integer that may be zero);
starred arguments of names whose length the source shows (``f(*pair)``,
``f(**opts)``), lambdas taking ``*args``, and a last parameter that is a
``*args`` parameter.

Every choice here comes from a random stream of its own (``Gen.rf``), so a
program where none of these forms appears is the one its seed always gave.

>>> from tests.fuzz.gen import generate
>>> sources = [generate(seed).source for seed in range(400)]
>>> any("for k_ in {" in s or "for k_ in (" in s for s in sources)
True
>>> any("except " in s for s in sources), any("finally:" in s for s in sources)
(True, True)
>>> any("(*pr_)" in s for s in sources), any("def f(" in s and "_):" in s and ", *" in s
...                                          for s in sources)
(True, True)
"""

SETS = ["{{i_ % 3 for i_ in range({n})}}", "({{0, 2}} | {{1}})", "(frozenset([0, 3, 1]) - {{3}})",
        "{{0, 1, 2}}.intersection({{2, 1}})", "{{(i_ * 2) % 4 for i_ in range({n}) if i_ != 1}}"]


class FormsGrammar:
    """Hooks ``Gen`` calls with a small probability drawn from ``self.rf``."""

    def forms_scalar(self, e):
        """The scalar ``e``, sometimes with a term read through a set of indices
        (every choice from ``self.rf``)."""
        r = self.rf
        if r.random() >= 0.01:
            return e
        s = r.choice(SETS).format(n=r.randint(2, 6))
        vs = sorted(n for n, v in self.env.items() if v.type == "v4")
        if vs and r.random() < 0.8:
            v = r.choice(vs)
            return r.choice([f"({e} + sum([{v}[k_] * 0.5 for k_ in {s}]))",
                             f"({e} + sum({v}[k_] ** 2 for k_ in sorted({s})))",
                             f"({e} + np.sum({v}[sorted({s})]))"])
        return f"({e} * len({{k_ for k_ in {s}}}))"

    def forms_stmt(self, indent):
        """Sometimes a ``try`` statement changing a float (before the statement
        the main stream makes; every choice from ``self.rf``)."""
        r = self.rf
        if r.random() >= 0.03:
            return
        fs = sorted(n for n, v in self.env.items() if v.type == "f")
        if not fs:
            return
        f = r.choice(fs)
        vs = sorted(n for n, v in self.env.items() if v.type == "v4")
        ds = sorted(n for n, v in self.env.items() if v.type == "dict" and v.keys)
        idx = sorted(n for n, v in self.env.items() if v.type == "idx")
        forms = ["finally", "star", "star_lambda"]
        if vs:
            forms.append("solve")
        if ds:
            forms.append("key")
        if idx:
            forms.append("divide")
        form = r.choice(forms)
        lines = []
        if form == "solve":
            v = r.choice(vs)
            scale = r.choice(["2.0", "0.0"])         # 0.0: singular when the outer product is
            lines = ["try:",
                     f"    {f} = {f} * 0.5 + np.sum(np.linalg.solve(np.eye(4) * {scale} + "
                     f"np.outer({v}, {v}) * 0.0, {v})) * 0.1",
                     "except np.linalg.LinAlgError:",
                     f"    {f} = {f} * 0.9 + np.sum({v}) * 0.1"]
        elif form == "key":
            d = r.choice(ds)
            key = r.choice(list(self.env[d].keys) + ["zz"])
            lines = ["try:",
                     f"    {f} = {f} * 0.7 + {d}[{key!r}] * 0.3",
                     "except KeyError as e_:",
                     f"    {f} = {f} * 0.8 + len(str(e_)) * 0.01"]
            if r.random() < 0.5:
                lines += ["else:", f"    {f} = {f} * 1.1"]
        elif form == "divide":
            i = r.choice(idx)
            lines = ["try:",
                     f"    {f} = {f} + 0.5 / ({i} - {r.randint(0, 2)})",
                     "except ZeroDivisionError:",
                     f"    {f} = {f} * 0.5"]
        elif form == "star":
            if vs and r.random() < 0.5:
                v = r.choice(vs)
                lines = [f"pr_ = [{v}, {v} * 0.5 + 0.1]", f"ko_ = {{'axis': 0}}",
                         f"{f} = {f} + np.sum(np.cumsum(np.maximum(*pr_), **ko_)) * 0.1"]
            else:
                lines = [f"pr_ = ({f}, 1.3)", f"{f} = np.hypot(*pr_) * 0.5"]
        elif form == "star_lambda":
            lines = ["va_ = lambda *a_: a_[0] * a_[1] + len(a_) * 0.1",
                     f"pr_ = ({f}, 0.9)", f"{f} = va_(*pr_) + va_({f}, {f})"]
        if form in ("star", "star_lambda"):
            for line in lines:
                self.emit(indent, line)
            return
        if form == "finally" or r.random() < 0.3:
            body = lines or ["try:", f"    {f} = np.sin({f}) * 0.9"]
            lines = body + ["finally:", f"    {f} = {f} + 0.1"]
        for line in lines:
            self.emit(indent, line)

    def forms_signature(self, sig, body):
        """Sometimes the last parameter ``p`` becomes ``*p_`` (with ``p =
        p_[0]`` first in the body): the function is differentiated for the
        arguments of each call."""
        r = self.rf
        if r.random() >= 0.05:
            return sig, body
        names = sig.split(", ")
        last = names[-1]
        return ", ".join(names[:-1] + [f"*{last}_"]), [f"    {last} = {last}_[0]"] + body
