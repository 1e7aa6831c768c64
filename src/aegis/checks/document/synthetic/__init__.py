"""Synthetic identity documents the project draws itself, for tests, benchmarks and the demo."""
