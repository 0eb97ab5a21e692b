"""The Python users write (issue #14) in the fuzzer's grammar (mixed into
``gen.Gen``): sets of indices (displays, set comprehensions, set operators)
iterated by comprehensions and loops.

Every choice here comes from a random stream of its own (``Gen.rf``), so a
program where none of these forms appears is the one its seed always gave.

>>> from tests.fuzz.gen import generate
>>> sources = [generate(seed).source for seed in range(400)]
>>> any("for k_ in {" in s or "for k_ in (" in s for s in sources)
True
"""

SETS = ["{{i_ % 3 for i_ in range({n})}}", "({{0, 2}} | {{1}})", "(frozenset([0, 3, 1]) - {{3}})",
        "{{0, 1, 2}}.intersection({{2, 1}})", "{{(i_ * 2) % 4 for i_ in range({n}) if i_ != 1}}"]


class FormsGrammar:
    """Hooks ``Gen`` calls with a small probability drawn from ``self.rf``."""

    def forms_scalar(self, d):
        """A scalar read through a set of indices."""
        r = self.rf
        s = r.choice(SETS).format(n=r.randint(2, 6))
        vs = [n for n, v in self.env.items() if v.type == "v4"]
        if vs and r.random() < 0.8:
            v = r.choice(vs)
            a = self.scalar_leaf()
            return r.choice([f"sum([{v}[k_] * {a} for k_ in {s}])",
                             f"sum({v}[k_] ** 2 for k_ in sorted({s}))",
                             f"np.sum({v}[sorted({s})])"])
        return f"({self.scalar_leaf()} * len({{k_ for k_ in {s}}}))"
