"""Benchmarks: ``python -m bench NAME [--quick]`` (``make bench``).

Each benchmark module exposes ``run(quick: bool) -> BenchResult``: a headline figure compared
against a baseline measured in the same run on the same machine, plus extra figures.
"""
