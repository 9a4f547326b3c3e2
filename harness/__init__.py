"""Evaluation-driven domain adaptation harness for causal language models."""

__version__ = "0.1.0"
