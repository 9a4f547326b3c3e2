"""`harness release DOMAIN --data NEW`: continual releases of a domain model.

A release trains one stage of the domain (default: its first stage whose method reads the new file's kind;
`--stage` to choose) from the last released model (the base for the first release) on the new data, plus,
with `--replay F`, rows drawn from the data of earlier releases so that F of the training rows are replayed
(forgetting guard). The candidate is evaluated on the domain's suites and regression suites and gated twice
with the domain's policy: against the last release and against the base. Only when both gates PASS does the
release get the next version number; a rejected candidate is still recorded (`released = false`) so the
regression page shows every attempt with its gate outcome, but it never becomes the parent of the next one."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.console import console
from harness.errors import HarnessError
from harness.fingerprint import hash_file
from harness.paths import cache_dir
from harness.store import Store

ORDER = {"PASS": 0, "INCONCLUSIVE": 1, "FAIL": 2}


@dataclass
class ReleaseResult:
    release_id: str
    released: bool
    version: int | None
    outcome: str
    gates: dict[str, tuple[str, str]]  # "last" | "base" -> (gate_id, status)
    model_ref: str
    eval_run_id: str


def last_release(store: Store, domain: str) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM releases WHERE domain = ? AND released ORDER BY version DESC LIMIT 1",
                       [domain])
    return rows[0] if rows else None


def _read_rows(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


def training_file(domain: str, new_data: Path, earlier: list[str], replay: float, seed: int) -> Path:
    """The new rows, plus replayed rows of earlier releases making up `replay` of the result."""
    from harness.file_checks import require_file

    require_file(new_data, "release data file", "pass --data with a JSONL file of the stage's records")
    if not 0 <= replay < 1:
        raise HarnessError(f"--replay {replay} is not in [0, 1)", "pass the share of replayed rows, e.g. 0.3")
    new_rows = _read_rows(new_data)
    if not new_rows:
        raise HarnessError(f"{new_data} has no records", "pass a JSONL file with at least one record")
    old_rows = [row for path in earlier if Path(path).exists() for row in _read_rows(Path(path))]
    n_replay = min(len(old_rows), round(replay / (1 - replay) * len(new_rows))) if replay else 0
    picked = random.Random(seed).sample(old_rows, n_replay) if n_replay else []
    body = "\n".join(new_rows + picked) + "\n"
    from harness.fingerprint import fingerprint

    out = cache_dir() / "releases" / domain / f"data-{fingerprint(body)[:16]}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        tmp = out.with_name(out.name + ".partial")
        tmp.write_text(body)
        tmp.rename(out)
    return out


def _gate(store: Store, policy: Any, policy_path: Path, domain: str, *, candidate: str, baseline: str,
          allow_limit: bool) -> tuple[str, str]:
    from harness.gate.cli import _check_limited
    from harness.gate.evaluate import run_gate, store_gate

    comparison, outcome = run_gate(store, policy, baseline=baseline, candidate=candidate)
    _check_limited(comparison, allow_limit)
    gate_id = store_gate(store, outcome, policy=policy, policy_path=policy_path, domain=domain,
                         config={"release_gate": True})
    return gate_id, outcome.status


def run_release(domain_name: str, data: Path, *, db: Path | None, stage: str | None = None, replay: float = 0.0,
                base_model: str = "default", overrides: list[str] | None = None, policy: Path | None = None,
                eval_limit: int | float | None = None, allow_limit: bool = False, device: str = "auto",
                suites: list[str] | None = None, trust_remote_code: bool = False,
                progress: bool = False) -> ReleaseResult:
    from harness.device import plan_device
    from harness.domains import load_domain
    from harness.evaluation import run_eval
    from harness.gate.policy import load_policy
    from harness.models.refs import resolve_model
    from harness.pipeline import PipelineOptions, _record_model, plan_pipeline, run_stage
    from harness.prep import prepare_domain, record_prep
    from harness.store.feedback import add_release

    domain = load_domain(domain_name)
    stage = stage or _default_stage(domain)
    policy_path = policy or (domain.path(domain.manifest.gate_policy) if domain.manifest.gate_policy else None)
    if policy_path is None or not Path(policy_path).exists():
        raise HarnessError(f"domain {domain.name} has no gate policy to release with",
                           "pass --policy gates.yaml or set `gate_policy:` in the manifest")
    gate_policy = load_policy(Path(policy_path))
    if eval_limit is not None and not allow_limit:
        raise HarnessError("a release gate needs full evaluations, got --limit",
                           "drop --limit, or pass --allow-limit for a smoke release")
    store = Store(db)
    last = last_release(store, domain.name)
    earlier = [r["data_path"] for r in store.query(
        "SELECT data_path FROM releases WHERE domain = ? AND released ORDER BY version", [domain.name])]
    train_file = training_file(domain.name, Path(data).expanduser().resolve(), earlier, replay,
                               domain.manifest.seed)
    opts = PipelineOptions(domain=domain_name, base_model=base_model, stages=[stage],
                           sources=[f"{stage}={train_file}"], overrides=overrides or [])
    domain, plans = plan_pipeline(opts)
    plan_dev = plan_device(device)
    base = resolve_model(base_model, trust_remote_code=trust_remote_code, store=store)
    parent = resolve_model(last["model_ref"], trust_remote_code=trust_remote_code, store=store) if last else base
    console.print(f"release of {domain.name}: stage {stage} on {train_file.name} from "
                  f"{'release v' + str(last['version']) if last else 'the base'} ({parent.model_id})")
    prepared = prepare_domain(domain)
    record_prep(store, prepared, seed=domain.manifest.seed)
    _record_model(store, base, base_ref=None, method=base.method)
    ref, train_run = run_stage(store, domain, plans[0], parent, prepared, plan_dev, progress)

    suites = suites or domain.manifest.suites + domain.manifest.regression_suites
    evals = {}
    for name, model in [("candidate", ref), ("base", base)] + ([("last", parent)] if last else []):
        evals[name] = run_eval(store, model, suites, limit=eval_limit, device=plan_dev, domain=domain.name,
                               stage="release" if name == "candidate" else name).run_id
    gates = {}
    for against in ["last", "base"] if last else ["base"]:
        gates[against] = _gate(store, gate_policy, Path(policy_path), domain.name, candidate=evals["candidate"],
                               baseline=evals[against], allow_limit=allow_limit)
    outcome = max((status for _, status in gates.values()), key=ORDER.__getitem__)
    released = outcome == "PASS"
    version = (last["version"] + 1 if last else 1) if released else None
    release_id = add_release(store, {
        "domain": domain.name, "version": version, "released": released,
        "parent_release": last["release_id"] if last else None, "model_id": ref.model_id, "model_ref": ref.path,
        "base_model_id": base.model_id, "train_run_id": train_run, "eval_run_id": evals["candidate"],
        "gate_vs_last": gates.get("last", (None, None))[0], "gate_vs_base": gates["base"][0], "outcome": outcome,
        "data_path": str(train_file), "data_hash": hash_file(train_file), "replay": replay,
    })
    verdict = f"released as v{version}" if released else "NOT released (the last release stays current)"
    console.print(f"release {release_id}: gates " + ", ".join(f"vs {k} {s}" for k, (_, s) in gates.items())
                  + f" -> {verdict}", highlight=False)
    return ReleaseResult(release_id, released, version, outcome, gates, ref.path, evals["candidate"])


def _default_stage(domain: Any) -> str:
    for name, spec in domain.manifest.stages.items():
        if spec.method == "sft":
            return name
    raise HarnessError(f"domain {domain.name} has no sft stage to release with", "pass --stage STAGE")


def release_history(store: Store, domain: str) -> list[dict[str, Any]]:
    """Every release attempt of a domain, oldest first, with both gate outcomes."""
    rows = store.query(
        "SELECT r.*, gl.passed AS last_passed, gb.passed AS base_passed,"
        " json_extract_string(rl.config_json, '$.status') AS last_status,"
        " json_extract_string(rb.config_json, '$.status') AS base_status"
        " FROM releases r LEFT JOIN gates gl ON gl.gate_id = r.gate_vs_last"
        " LEFT JOIN runs rl ON rl.run_id = gl.run_id"
        " LEFT JOIN gates gb ON gb.gate_id = r.gate_vs_base LEFT JOIN runs rb ON rb.run_id = gb.run_id"
        " WHERE r.domain = ? ORDER BY r.created_at", [domain])
    for r in rows:
        r["data_name"] = Path(r["data_path"]).name if r.get("data_path") else None
    return json.loads(json.dumps(rows, default=str))
