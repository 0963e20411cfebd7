"""netgrad's benchmark suite: ``python -m benchmarks [--quick]`` (not part of the test run).

Every table compares contenders measured side by side in one process run (interleaved,
warmed up, medians over repeats), against hand-written NumPy as the limit.
"""

__all__: list[str] = []
