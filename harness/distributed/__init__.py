"""Multi-process work handed to the engines users already run: `accelerate launch` for training stages and
data-parallel lm-eval (launch.py spawns, worker.py is what each process runs). The harness process that
launches keeps the run's lifecycle in the store; inside the launch only the main process writes."""
