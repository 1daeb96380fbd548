"""Benchmarks for clipstitch; run `python -m bench.run` (see README.md)."""
