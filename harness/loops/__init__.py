"""Feedback loops around the stage runner: hyperparameter sweeps, continual releases, human labels."""
