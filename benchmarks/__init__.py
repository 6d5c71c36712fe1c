"""Benchmarks for vdq-gui: ``python -m benchmarks [--quick] [--json PATH]`` (see __main__)."""
