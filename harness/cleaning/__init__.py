"""Record-level data cleaning used by domain prep: quality -> PII -> dedup -> decontam.

Every step takes canonical records of one kind and returns (kept_records, report_dict); `clean_records`
runs them in order under one `CleaningConfig`.
"""

from harness.cleaning.clean import clean_records
from harness.cleaning.config import CleaningConfig, DecontamConfig, DedupConfig, PiiConfig, QualityConfig
from harness.cleaning.decontam import EvalIndex, decontaminate
from harness.cleaning.dedup import Deduplicator, dedup_records
from harness.cleaning.packing_stats import length_histogram, pack_greedy, padding_stats
from harness.cleaning.pii import PiiDetector, PiiMasker, PiiSpan, Pseudonymizer, mask_records
from harness.cleaning.quality import quality_filter
from harness.cleaning.report import render_report
from harness.cleaning.step import CLEANING_VERSION, CleanRecordsStep

__all__ = [
    "CLEANING_VERSION", "CleanRecordsStep", "CleaningConfig", "DecontamConfig", "DedupConfig", "Deduplicator",
    "EvalIndex", "PiiConfig", "PiiDetector", "PiiMasker", "PiiSpan", "Pseudonymizer", "QualityConfig",
    "clean_records", "decontaminate", "dedup_records", "length_histogram", "mask_records", "pack_greedy",
    "padding_stats", "quality_filter", "render_report",
]
