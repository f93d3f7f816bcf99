"""ember's benchmarks: the end-to-end suite (``python -m benchmarks``) and per-kernel scripts.

See benchmarks/README.md for what each measures and how to read the report.
"""
