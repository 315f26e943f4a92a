"""The benchmark: a big deterministic organisation, timings of everything a user waits for,
and the same views computed the way a typical dashboard does (pandas over CSV files).
Run it with `python -m squadboard bench`; see docs/benchmarks.md."""
