"""User-facing cleaning configuration (one block per step), validated with pydantic (extra="forbid").

Lives under a domain manifest or recipe as `cleaning:`; every default is what a cautious regulated user
would want: PII redacted, duplicates and eval contamination removed, broken text dropped.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from harness.errors import HarnessError
from harness.fingerprint import fingerprint

PiiType = Literal[
    "EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "SSN", "IP_ADDRESS", "MAC_ADDRESS", "PERSON", "ACCOUNT_ID",
]
ALL_PII_TYPES: tuple[str, ...] = (
    "EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "SSN", "IP_ADDRESS", "MAC_ADDRESS", "PERSON", "ACCOUNT_ID",
)
DEFAULT_PHONE_REGIONS = ["US", "CA", "GB", "IE", "DE", "AT", "CH", "FR", "NL", "BE", "IT", "ES", "IN", "AU"]


class PiiConfig(BaseModel):
    """PII masking. `pseudonymize` needs a secret salt: without one, pseudonyms could be reversed by
    hashing every possible phone number, so the salt comes from `salt` or the env var `salt_env`."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    mode: Literal["redact", "pseudonymize"] = "redact"
    types: list[PiiType] = Field(default_factory=lambda: list(ALL_PII_TYPES))
    account_patterns: list[str] = Field(default_factory=list)  # e.g. ["ACC-\\d{8}", "MRN[: ]*(?P<id>\\d{6,10})"]
    phone_regions: list[str] = Field(default_factory=lambda: list(DEFAULT_PHONE_REGIONS))
    salt: SecretStr | None = None
    salt_env: str = "HARNESS_PII_SALT"

    @field_validator("account_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                compiled = re.compile(p)
            except re.error as exc:
                raise ValueError(f"account pattern {p!r} is not a valid regex ({exc})") from exc
            if compiled.search("") is not None:
                raise ValueError(f"account pattern {p!r} matches the empty string")
        return patterns

    @field_validator("phone_regions")
    @classmethod
    def _regions_known(cls, regions: list[str]) -> list[str]:
        import phonenumbers

        bad = [r for r in regions if r.upper() not in phonenumbers.SUPPORTED_REGIONS]
        if bad:
            raise ValueError(f"unknown phone region(s) {bad}; use ISO 3166 codes such as US, GB, DE")
        return [r.upper() for r in regions]

    def resolved_salt(self) -> bytes:
        """The pseudonymisation key; HarnessError when pseudonymize has none (never a silent default)."""
        if self.salt is not None and self.salt.get_secret_value():
            return self.salt.get_secret_value().encode()
        env = os.environ.get(self.salt_env, "")
        if env:
            return env.encode()
        raise HarnessError("pii.mode is 'pseudonymize' but no salt is set",
                           f"export {self.salt_env}=<a long random secret> (or set pii.salt; keep it out of git)")

    def salt_id(self) -> str:
        """Short hash of the salt: goes into cache keys so a new salt re-cleans, without revealing it."""
        if self.mode != "pseudonymize":
            return ""
        return hashlib.sha256(b"harness-pii-salt-id:" + self.resolved_salt()).hexdigest()[:12]


class DedupConfig(BaseModel):
    """Exact (normalised hash) and near (MinHash LSH) duplicate removal; the first occurrence is kept."""

    model_config = ConfigDict(extra="forbid")
    exact: bool = True
    near: bool = True
    threshold: float = Field(0.8, gt=0, le=1)  # estimated Jaccard similarity of shingle sets
    num_perm: int = Field(128, ge=16, le=1024)
    shingle_size: int = Field(5, ge=1, le=50)
    shingle_unit: Literal["word", "char"] = "word"


class DecontamConfig(BaseModel):
    """Drop training rows that share word n-grams with eval items (benchmark leakage)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    n: int = Field(13, ge=3, le=100)
    # 0 drops a row on any shared n-gram; >0 needs that fraction of the row's n-grams to be eval n-grams
    min_overlap_fraction: float = Field(0.0, ge=0, le=1)
    # eval items shorter than n words: matched as a whole (equal to the row or one of its fields);
    # items with at least this many words also match when contained verbatim in a row
    short_containment_min_words: int = Field(6, ge=1)


class QualityConfig(BaseModel):
    """Heuristic quality filters; each rule can be switched off by setting its limit to null/0."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    min_chars: int = Field(1, ge=0)
    max_chars: int | None = Field(200_000, ge=1)
    min_words: int = Field(1, ge=0)
    max_words: int | None = Field(None, ge=1)
    fix_text: bool = True  # strip NULs/control chars, repair mojibake (ftfy) before judging
    max_control_fraction: float = Field(0.02, ge=0, le=1)  # above this the row is binary junk: drop
    expected_scripts: list[str] = Field(default_factory=lambda: ["LATIN"])  # Unicode script names; [] = off
    min_script_fraction: float = Field(0.8, ge=0, le=1)
    max_repeated_line_fraction: float | None = Field(0.3, ge=0, le=1)
    min_lines_for_repetition: int = Field(4, ge=2)

    @field_validator("expected_scripts")
    @classmethod
    def _upper(cls, scripts: list[str]) -> list[str]:
        return [s.upper() for s in scripts]

    @model_validator(mode="after")
    def _ranges(self) -> QualityConfig:
        if self.max_chars is not None and self.max_chars < self.min_chars:
            raise ValueError("max_chars must be >= min_chars")
        if self.max_words is not None and self.max_words < self.min_words:
            raise ValueError("max_words must be >= min_words")
        return self


class CleaningConfig(BaseModel):
    """All cleaning steps; run by `clean_records` as quality -> PII -> dedup -> decontam."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    quality: QualityConfig = Field(default_factory=QualityConfig)
    pii: PiiConfig = Field(default_factory=PiiConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    decontam: DecontamConfig = Field(default_factory=DecontamConfig)

    def cache_key(self) -> str:
        """Fingerprint for prepared-data caching: the dumped config hides the salt, so add its hash."""
        return fingerprint(self.model_dump(mode="json"), self.pii.salt_id() if self.pii.enabled else "")
