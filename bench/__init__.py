"""Benchmarks on the services stack. `make bench` (python -m bench) prints one table."""
