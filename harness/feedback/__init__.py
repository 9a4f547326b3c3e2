"""The feedback loops that sit on the method registry: RLHF against a reward model (harness/recipes/grpo.py,
rloo.py; shared pieces in `online`), AI-judged preference labels (`judge`, `harness label --judge`) and
distillation from a teacher's token distributions (harness/recipes/gkd.py; the narrower student in `students`)."""
