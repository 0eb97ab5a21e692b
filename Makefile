# srcgrad — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PIP     = $(VENV)/bin/python -m pip install --disable-pip-version-check -q

.PHONY: demo test test-one bench bench-quick fuzz clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[test]'
	touch $@

## demo: set up, differentiate a real example, print the generated gradient and check it
demo: $(VENV)/.installed
	$(VENV)/bin/python examples/fit_oscillator.py

## test: the whole suite under python3, and, at the same time (two cores: one for each),
## under every other CPython 3.10-3.13 found here all of it but the random-program fuzzers
## (tests/test_random_*, tests/test_fuzz_*) and the rule sweeps: batched against unbatched,
## the library's (tests/test_lib_*: rules are data that NumPy and SciPy evaluate), every rule
## against finite differences (test_rules) and at second order (test_closure), and the
## zero-adjoint sweep (they test the compiler's logic and the rules, which do not depend on
## the Python version; the budget for `make test` is fifteen minutes on two cores: the
## sweeps cost about 40% of a run). The main run's report is printed at the end, and how
## long each part took.
test: $(VENV)/.installed
	@rm -f .test-main.log .test-main.rc
	@start=$$(date +%s); \
	( $(VENV)/bin/python -m pytest > .test-main.log 2>&1; echo $$? > .test-main.rc; \
	  echo "== the whole suite took $$(( $$(date +%s) - start )) s" >> .test-main.log ) & \
	others=0; \
	for py in $$(.ci/pythons.sh $(VENV)/bin/python); do \
		v=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
		echo "== tests under Python $$v ($$py), without the fuzzers and the rule sweeps"; \
		$(MAKE) --no-print-directory test-one PYTHON=$$py VENV=.venv-$$v \
			PYTEST_ARGS="-p no:cacheprovider --ignore-glob=tests/test_random_* --ignore-glob=tests/test_fuzz_* --ignore-glob=tests/test_lib_* --ignore=tests/test_batched.py --ignore=tests/test_soundness_zero_adjoints.py --ignore=tests/test_closure.py --ignore=tests/test_rules.py" \
			|| others=1; \
		echo "== Python $$v took $$(( $$(date +%s) - start )) s since the start"; \
	done; \
	wait; \
	echo "== tests under $$($(VENV)/bin/python --version) (the whole suite)"; \
	cat .test-main.log; main=$$(cat .test-main.rc); rm -f .test-main.log .test-main.rc; \
	test "$$main" = 0 && test $$others = 0

test-one: $(VENV)/.installed
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

## bench: the benchmark suite (install jax, torch==2.13.0 into the venv to compare with them)
bench: $(VENV)/.installed
	$(PIP) -e '.[bench]'
	$(VENV)/bin/python -m benchmarks

bench-quick: $(VENV)/.installed
	$(VENV)/bin/python -m benchmarks --quick

## fuzz: the wide random-program fuzzer (tests/fuzz/) for FUZZ_SECONDS seconds, every mode,
## then the failures of each class shrunk to minimal programs (more options: FUZZ_ARGS,
## e.g. FUZZ_ARGS="--jobs 2 --report fuzz-findings.md"; see python tools/fuzz.py --help)
FUZZ_SECONDS ?= 1200
FUZZ_ARGS ?=
fuzz: $(VENV)/.installed
	$(VENV)/bin/python tools/fuzz.py --seconds $(FUZZ_SECONDS) --shrink $(FUZZ_ARGS)

clean:
	rm -rf .venv .venv-* *.egg-info .pytest_cache .hypothesis
