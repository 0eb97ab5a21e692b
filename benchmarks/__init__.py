"""Benchmark suite for srcgrad: ``python -m benchmarks`` (see README.md).

This file deliberately imports nothing: ``python -m benchmarks`` imports the
package before ``__main__``, and ``__main__`` has to pin the BLAS/XLA thread
counts in the environment before NumPy is first imported.
"""
