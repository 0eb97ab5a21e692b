"""srcgrad's wide random-program fuzzer.

* ``gen``      -- program k from seed k: a typed generator of valid Python/NumPy
                  programs (loops over enumerate/zip/reversed/sorted/lists/dicts,
                  while loops, jumps, helpers, closures, lambdas, containers,
                  records, in-place writes through names, views, slices, masks,
                  fancy indices and ``out=``, reductions, matmul, ...);
* ``runner``   -- load a program as a module, discard it unless its primal
                  runs, is finite and smooth at its arguments, check every mode
                  with ``tests.modes.check_modes``, classify the outcomes;
* ``shrink``   -- reduce a failing program on its AST while it fails the same
                  way (same mode, same status);
* ``campaign`` -- runs, counts, shrinking of each class or each seed, the
                  findings report and the xfail list of tests/test_fuzz_wide.py.

Command line: ``python tools/fuzz.py --help`` (``make fuzz``).
"""
