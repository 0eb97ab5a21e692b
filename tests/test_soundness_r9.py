"""Regressions found in the thirteenth session (2026-11-30) by the wide fuzzer.

* fuzz seed 3235291 -- **silent wrong gradient and jvp, present before this session**
  (at d4abab7 too): an array put into a list, then maybe rebound by a loop that may run
  no time or by one side of a branch, then written in place: when the loop does not run
  (or the other side is taken), the write changes the list's element, which srcgrad did not
  see.  The container check (``analysis/containers.check_containers``) took a loop's body as
  if it always ran (its rebinding dropped the name from those stored) and left out the
  copies SSA makes where branches join (``else: a_3 = a``).  Both are refused now, with the
  line and a hint; rebinding to a new array on every path, or in a loop over ``range`` of
  a constant length (its body runs), is still differentiated.  Cost: the second derivative
  of a gradient that writes through a view in a loop is refused
  (``test_soundness_aliasing``: on the path where the view turns out not to be one, which
  never runs for NumPy arrays, that gradient tapes the array it then writes into).
"""

import numpy as np
import pytest

from tests.modes import assert_sound


def rebound_in_a_while(x, z):
    a = -np.tanh(x ** 2)
    kept = [x, a]
    n = 0
    while x[-1] <= -0.42 and n < 4:        # runs no time at the point checked
        n += 1
        a = a * 0.83
    a[-3] *= 1.5
    return np.sum(a) * 0.73 + sum(np.sum(e * e) for e in kept) * 0.71


def rebound_in_a_branch(x, z):
    a = -np.tanh(x ** 2)
    kept = [a]
    if z > 5.0:                              # not taken at the point checked
        a = a * 0.83
    a[0] *= 1.5
    return np.sum(kept[0] * kept[0]) + z


def rebound_on_every_path(x, z):
    a = -np.tanh(x ** 2)
    kept = [a]
    if z > 5.0:
        a = a * 0.83
    else:
        a = a + 1.0
    a[0] *= 1.5
    return np.sum(kept[0] * kept[0]) + np.sum(a) + z


def rebound_before_the_list(x, z):
    a = -np.tanh(x ** 2)
    for i in range(2):
        a = a * 0.83
    kept = [a * 1.0]
    a[0] *= 1.5
    return np.sum(kept[0] * kept[0]) + np.sum(a) + z


def rebound_in_a_loop_that_runs(x, z):
    a = -np.tanh(x ** 2)
    kept = [a]
    for i in range(2):                       # runs: a is a new array after it
        a = a * 0.83
    a[0] *= 1.5
    return np.sum(kept[0] * kept[0]) + np.sum(a) + z


X = np.array([-0.859583, -0.911245, -0.627469, 0.265415])


@pytest.mark.parametrize("f", [rebound_in_a_while, rebound_in_a_branch])
def test_maybe_the_stored_array_is_refused(f):
    outcomes = assert_sound(f, (X.copy(), 1.08), wrt=(0, 1), expect="refused")
    assert all("put into another container" in o.detail for o in outcomes), outcomes


@pytest.mark.parametrize("f", [rebound_on_every_path, rebound_before_the_list,
                               rebound_in_a_loop_that_runs])
def test_a_new_array_on_every_path_is_differentiated(f):
    assert_sound(f, (X.copy(), 1.08), wrt=(0, 1))
    assert_sound(f, (X.copy(), 6.0), wrt=(0, 1))
