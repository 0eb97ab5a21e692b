"""The workload suites: ``python -m benchmarks --suite NAME`` (and
``python -m benchmarks.verify --suite NAME``).

- ``default``: :data:`benchmarks.workloads.WORKLOADS`, small programs and the
  vectorised NumPy code every AD tool handles;
- ``loops``: :data:`benchmarks.loop_workloads.LOOP_WORKLOADS`, element-wise
  loops, integrators, recursion and ``while`` loops as scientists write them;
- ``all``: both.
"""

from .loop_workloads import LOOP_WORKLOADS
from .workloads import WORKLOADS

SUITES = {
    "default": WORKLOADS,
    "loops": LOOP_WORKLOADS,
    "all": WORKLOADS + LOOP_WORKLOADS,
}


def by_name(name):
    """The workload called ``name``, from any suite."""
    for w in SUITES["all"]:
        if w.name == name:
            return w
    raise KeyError(f"no workload {name!r}; have: {', '.join(w.name for w in SUITES['all'])}")
