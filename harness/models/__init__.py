"""Models: the embedded default base (embedded.py, general_corpus.py) and --model resolution (refs.py)."""
