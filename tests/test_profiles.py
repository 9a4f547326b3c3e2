"""Run profiles (domains/<name>/profiles/*.yaml): every shipped one validates and plans, and `stages:` limits the
pipeline to exactly the stages it names (the SmolLM2 profile runs CPT -> SFT -> DPO, not the intent head)."""

from __future__ import annotations

import pytest

from harness.domains import list_domains, load_domain
from harness.errors import HarnessError
from harness.pipeline import PipelineOptions, plan_pipeline
from harness.profiles import available_profiles, load_profile


def _shipped() -> list[tuple[str, str]]:
    return [(d, p) for d in list_domains() for p in available_profiles(load_domain(d).root)]


def test_some_profile_is_shipped() -> None:
    assert ("support_chat", "smollm2") in _shipped()


@pytest.mark.parametrize(("domain", "name"), _shipped())
def test_shipped_profile_plans(domain: str, name: str) -> None:
    prof = load_profile(domain, name)
    opts = PipelineOptions(domain=domain, base_model=prof.model, overrides=prof.overrides, stages=prof.stages)
    _, plans = plan_pipeline(opts)
    manifest_stages = list(load_domain(domain).manifest.stages)
    assert [p.stage for p in plans] == (prof.stages or manifest_stages)
    for override in prof.overrides:  # every --set value reached the stage it names
        stage, _, rest = override.partition(".")
        if stage in manifest_stages and stage in [p.stage for p in plans]:
            key, _, value = rest.partition("=")
            cfg = next(p for p in plans if p.stage == stage).config
            got = cfg
            for part in key.split("."):
                got = getattr(got, part)
            assert str(got).lower() == value.lower() or float(got) == pytest.approx(float(value))


def test_smollm2_profile_runs_cpt_sft_dpo_only() -> None:
    prof = load_profile("support_chat", "smollm2")
    assert prof.stages == ["cpt", "sft", "dpo"]
    assert "intent_head" in load_domain("support_chat").manifest.stages  # left out on purpose, not missing


def test_unknown_profile_is_one_line_error() -> None:
    with pytest.raises(HarnessError) as err:
        load_profile("support_chat", "no-such-profile")
    assert "smollm2" in err.value.fix
