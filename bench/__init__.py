"""Benchmarks: each module ``bench/bench_*.py`` measures one figure against a raw baseline in the same run."""
