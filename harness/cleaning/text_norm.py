"""The one text normalisation dedup and decontamination agree on: NFKC, casefold, punctuation and symbols
removed, whitespace collapsed. Sharing it means "duplicate" and "contaminated" are judged on the same view.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s]|_")


def normalize(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


def words(text: str) -> list[str]:
    return normalize(text).split()
