"""Adversarial robustness: seeded perturbations of suites (lm-eval include folders) and of SFT data."""
