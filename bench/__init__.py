"""Benchmarks, run by `make bench` and kept out of `make test`. Each figure is printed beside its reference."""
