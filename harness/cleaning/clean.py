"""`clean_records`: the record-level cleaning pipeline prep runs between load and split.

Order is quality -> PII -> dedup -> decontam: repair/drop broken text first so later steps see clean
strings; mask PII before dedup so rows differing only in a name or e-mail collapse into one; decontaminate
last, on exactly the rows that will be trained on. `harness.cleaning.pipeline` runs the steps: each row's
own work on worker processes, the order-dependent decisions in this process, with the same output as the
step functions (`quality_filter`, `mask_records`, `dedup_records`, `decontaminate`) run one after another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.cleaning.config import CleaningConfig
from harness.cleaning.decontam import EvalIndex, EvalTexts
from harness.cleaning.fields import check_kind
from harness.cleaning.pipeline import run_pipeline, worker_count
from harness.errors import HarnessError


def clean_records(records: Sequence[dict[str, Any]], kind: str, cfg: CleaningConfig | None = None,
                  eval_texts: EvalTexts | EvalIndex | None = None,
                  processes: int | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run every enabled step; returns (kept records, report). Input records are never mutated.

    `eval_texts`: {source name: [eval item text, ...]} (or a flat list, or a prebuilt EvalIndex to share
    across datasets). `processes`: worker processes for the per-row work (default: env
    HARNESS_PREP_PROCESSES, else the usable CPUs; small inputs use one); the output does not depend on it.
    Report keys: rows_in, rows_out, dropped_by_reason, fixed, pii_counts_by_type, pii_rows, dedup{exact,
    near}, contamination{...}, seconds{step: s, summed over processes}, config_key.
    """
    check_kind(kind)
    cfg = cfg or CleaningConfig()
    rows = list(records)
    report: dict[str, Any] = {"kind": kind, "rows_in": len(rows), "rows_out": len(rows), "dropped_by_reason": {},
                              "fixed": {}, "pii_mode": cfg.pii.mode if cfg.pii.enabled else "off",
                              "pii_counts_by_type": {}, "pii_rows": 0, "dedup": {"exact": 0, "near": 0},
                              "contamination": {}, "seconds": {}, "config_key": cfg.cache_key()}
    if not cfg.enabled:
        return rows, report
    index = None
    if cfg.decontam.enabled and eval_texts is not None:
        index = eval_texts if isinstance(eval_texts, EvalIndex) else \
            EvalIndex(eval_texts, cfg.decontam.n, cfg.decontam.short_containment_min_words)
    kept, parts = run_pipeline(rows, kind, cfg, index, worker_count(len(rows), processes))

    q = parts["quality"]
    report["dropped_by_reason"].update(q["dropped_by_reason"])
    report["fixed"] = q["fixed"]
    if report["rows_in"] and not parts["quality_kept"] and q["dropped_by_reason"].get("malformed") == report["rows_in"]:
        raise HarnessError(f"none of the {report['rows_in']} rows has the fields of kind '{kind}'",
                           "check the dataset's `kind` and `columns` mapping in the domain manifest")
    report["pii_counts_by_type"] = parts["pii"]["counts_by_type"]
    report["pii_rows"] = parts["pii"]["rows_with_pii"]
    d = parts["dedup"]
    report["dedup"] = {"exact": d["exact"], "near": d["near"], "examples": d["examples"]}
    report["dropped_by_reason"]["exact_duplicate"] = d["exact"]
    report["dropped_by_reason"]["near_duplicate"] = d["near"]
    c = parts.get("decontam") or {"n": cfg.decontam.n, "eval_items": 0, "train_rows_hit": 0, "rows_dropped": 0,
                                  "eval_items_touched": 0, "per_source": {}, "examples": []}
    report["contamination"] = c
    report["dropped_by_reason"]["contaminated"] = c["rows_dropped"]
    report["seconds"] = {step: round(parts["seconds"].get(step, 0.0), 3)
                         for step in ("quality", "pii", "dedup", "decontam")}
    report["rows_out"] = len(kept)
    return kept, report
