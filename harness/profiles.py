"""Named run profiles of a domain: a base model, an eval limit and `--set` overrides kept in one YAML file, so a
sized variant of the demo (say, SmolLM2 on a 2-core CPU) is one flag: `harness demo --profile smollm2`.

A profile lives next to the domain's manifest, `domains/<name>/profiles/<profile>.yaml`; it changes nothing the
manifest says except through the same `--set` overrides a user could type (so stage fingerprints, reuse and the
store treat a profile run like any other)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from harness.config_io import load_yaml_model
from harness.errors import HarnessError

PROFILE_DIR = "profiles"


class Profile(BaseModel):
    """A domain's run profile (YAML: domains/<name>/profiles/<profile>.yaml)."""

    model_config = ConfigDict(extra="forbid")
    description: str = Field("", description="what the profile is for and what it costs")
    model: str = Field("default", description="the base model (any `--model` value)")
    eval_limit: int | float | None = Field(None, description="items per eval task (None: every item)")
    overrides: list[str] = Field(default_factory=list, description="`--set` values, applied before the user's own")
    stages: list[str] | None = Field(
        None, description="the manifest's stages to run, in order (None: all of them); a sized profile may leave "
                          "out a stage its budget cannot afford")


def available_profiles(domain_root: Path) -> list[str]:
    return sorted(p.stem for p in (domain_root / PROFILE_DIR).glob("*.yaml"))


def load_profile(domain: str, name: str) -> Profile:
    from harness.domains import load_domain

    root = load_domain(domain).root
    path = root / PROFILE_DIR / f"{name}.yaml"
    if not path.is_file():
        known = available_profiles(root)
        raise HarnessError(f"domain '{domain}' has no profile '{name}'",
                           f"use one of: {', '.join(known)}" if known else f"add {path} or drop --profile")
    return load_yaml_model(Profile, path)
