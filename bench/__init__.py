"""The benchmark: `make bench` (run.py), the report figures (bench_reports.py) and, as a
development-only Django app, the commands that generate its data and time a dispatch pass.

Installed only where FLEXION_BENCH_APPS is on (the benchmark's processes, and the tests
of these commands); never in production.
"""
