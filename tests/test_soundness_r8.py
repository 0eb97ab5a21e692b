"""Regressions found in the sixth session (2026-11-30) by the wide fuzzer.

* fuzz seed 2202170 -- **silent wrong gradient and jvp, present before this session**:
  ``p = P(b=M[0], a=x); M[M > 0.37] = 1.0; np.sum(p)``: the write into ``M`` changes the
  row ``p`` holds (a view), which srcgrad did not see because the view itself was no longer
  used, only the container holding it.  A view held by a container still in use now counts
  as in use: a 2-D ``M`` (the row is a view) is refused when the code runs, a 1-D one (the
  element is a copy) is differentiated.
* fuzz seed 3000014 (the grammar's new recursive helpers): the callee's ``jvp`` takes its
  parameters with defaults by keyword; the recursive call passed them positionally (a crash;
  tests/test_recursion.py).
"""

from collections import namedtuple

import numpy as np
import pytest

from tests.modes import assert_sound, check_modes

P = namedtuple("P", ["a", "b"])


def row_in_a_record(M, x):
    M = M * 0.5
    p3 = P(b=M[0], a=x)
    M[M > 0.37] = 1.0
    return np.sum(p3)


def row_in_a_tuple(M, x):
    M = M * 0.5
    t = (x, M[0] * 1.0, M[1])
    M[M > 0.37] = 1.0
    return np.sum(t[0]) + np.sum(t[2]) * 2.0


def row_in_a_list(M):
    M = M * 0.5
    rows = [M[0], M[1]]
    M[0, 1] = 3.0
    return np.sum(rows[0] * rows[1])


M0 = np.array([[0.998845, -0.583874, -0.41642, -0.140433],
               [-0.242065, 0.469425, -0.875288, -0.810092],
               [0.52343, 0.266062, 0.549101, 0.680055]])
X0 = np.array([-0.4322, -0.972661, -0.400714, 0.522344])


@pytest.mark.parametrize("f, args", [
    (row_in_a_record, (M0, X0)),
    (row_in_a_tuple, (M0, X0)),
    (row_in_a_list, (M0,)),
])
def test_a_view_held_by_a_container_in_use_is_not_ignored(f, args):
    # rows of a matrix: views, changed by the write -- the reverse sweep refuses (when
    # the code runs), never wrong; forward mode follows the write (the tangent's row is
    # a view of the tangent too)
    status = {o.mode: o.status for o in check_modes(f, args, 0, ("grad", "jvp", "hvp"))}
    assert status["grad"] == "refused" and status["jvp"] == "ok", status


def element_in_a_record(v, x):
    v = v * 0.5
    p3 = P(b=v[0], a=x)
    v[v > 0.37] = 1.0
    return np.sum(p3.a) + p3.b * 2.0 + np.sum(v)


def test_an_element_of_a_vector_is_a_copy():
    assert_sound(element_in_a_record, (M0[0].copy(), X0), wrt=(0, 1))
