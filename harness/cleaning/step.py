"""Adapter from `clean_records` to prep's CleaningStep protocol (`step(records, ctx) -> (records, info)`).

Duck-typed on the context (needs `ctx.kind` and, for decontamination, `ctx.eval_texts_by_source`) so
this module does not import harness.prep. `fingerprint` changes with the config, the pseudonymisation salt
and CLEANING_VERSION, so prep's cache is invalidated whenever cleaning would produce different rows.
"""

from __future__ import annotations

from typing import Any

from harness.cleaning.clean import clean_records
from harness.cleaning.config import CleaningConfig
from harness.fingerprint import fingerprint

# bump when a change in harness/cleaning alters which rows are kept or how they are rewritten
CLEANING_VERSION = "2"  # 2: phone rule no longer masks arithmetic, decimals, year ranges


class CleanRecordsStep:
    """quality -> PII -> dedup -> decontam as one prep step; its info is the full cleaning report."""

    name = "harness.cleaning"

    def __init__(self, cfg: CleaningConfig | None = None) -> None:
        self.cfg = cfg or CleaningConfig()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.name, CLEANING_VERSION, self.cfg.cache_key())

    def __call__(self, records: list[dict[str, Any]], ctx: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        eval_texts = getattr(ctx, "eval_texts_by_source", None) if self.cfg.decontam.enabled else None
        return clean_records(records, ctx.kind, self.cfg, eval_texts=eval_texts)
