"""Performance benchmarks (run as scripts; figures go to docs/performance.md)."""
