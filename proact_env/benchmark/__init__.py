"""Evaluation: the policy registry, the benchmark runner, metrics and plots (the top floor)."""
