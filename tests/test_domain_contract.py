"""The contract every domain folder keeps, checked for each built-in domain and for a freshly scaffolded one
(`harness domain new`): manifest valid and its stages plannable, datasets disjoint from the suite items, the
suite loads under lm-eval from the domain's own folder, the gate policy is valid and names real tasks, and a
micro pipeline runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.domains import list_domains, load_domain

SCAFFOLD = "acme"
DOMAINS = [*list_domains(), SCAFFOLD]


@pytest.fixture(scope="session")
def scaffold_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from harness.scaffold import new_domain

    root = tmp_path_factory.mktemp("project") / "domains"
    new_domain(SCAFFOLD, root)
    return root


@pytest.fixture()
def domain(request: pytest.FixtureRequest, scaffold_root: Path, monkeypatch: pytest.MonkeyPatch):
    name = request.param
    if name == SCAFFOLD:
        monkeypatch.setenv("HARNESS_DOMAINS_DIR", str(scaffold_root))
    return load_domain(name)


def _suite_tasks(domain) -> dict[str, list[str]]:
    """group -> task names, read from the domain's own suite folder only."""
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(domain.suite_root), include_defaults=False)
    out = {}
    for group in domain.manifest.suites:
        assert group in manager.all_tasks, (group, domain.suite_root)
        loaded = manager.load([group])
        out[group] = [t for t in manager.all_tasks if t.startswith(f"{group}_")]
        assert loaded and out[group], group
    return out


@pytest.mark.parametrize("domain", DOMAINS, indirect=True)
def test_manifest_and_stages_are_valid(domain) -> None:
    from harness.pipeline import PipelineOptions, plan_pipeline

    m = domain.manifest
    assert m.name == domain.root.name and m.datasets and m.stages and m.suites
    assert domain.suite_root.is_relative_to(domain.root)  # the suite lives in the domain folder
    _, plans = plan_pipeline(PipelineOptions(domain=domain.name))
    assert [p.stage for p in plans] == list(m.stages)


@pytest.mark.parametrize("domain", DOMAINS, indirect=True)
def test_datasets_are_disjoint_from_suite_items(domain) -> None:
    from harness.cleaning.fields import content_fields
    from harness.data.records import normalize_text
    from harness.prep import domain_eval_texts

    eval_texts = {normalize_text(t) for t in domain_eval_texts(domain, include_regression=False)}
    assert eval_texts
    generated = domain.hooks.generate(domain.manifest.seed, **domain.manifest.generator)
    for name, spec in domain.manifest.datasets.items():
        if spec.source != "generator":
            continue
        train = {normalize_text(f) for r in generated[name] for f in content_fields(r, spec.kind)}
        assert not train & eval_texts, (name, sorted(train & eval_texts)[:3])


@pytest.mark.parametrize("domain", DOMAINS, indirect=True)
def test_suite_loads_under_lm_eval_and_gate_policy_is_valid(domain) -> None:
    from harness.gate.policy import load_policy

    tasks = _suite_tasks(domain)
    policy = load_policy(domain.path(domain.manifest.gate_policy))
    known = {t for names in tasks.values() for t in names}
    for rule in policy.rules:
        task = getattr(rule, "task", None)
        if task is not None and not task.startswith(tuple(domain.manifest.regression_suites)):
            assert task in known, (rule, sorted(known))


def micro_overrides(domain) -> list[str]:
    """Two steps per stage on a tenth of the generated data (every dataset size `n_*` of 100 or more): the same
    code path (generate, clean, split, train every stage, evaluate every model) at a fraction of the cost; the
    full-size generated data is checked above (disjointness) and in each domain's own tests."""
    sizes = [f"generator.{k}={v // 10}" for k, v in domain.manifest.generator.items()
             if k.startswith("n_") and isinstance(v, int) and v >= 100]
    return [*sizes, *(f"{s}.max_steps=2" for s in domain.manifest.stages)]


@pytest.mark.slow
@pytest.mark.parametrize("domain", DOMAINS, indirect=True)
def test_micro_pipeline_runs(domain, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """support_chat: the shared micro pipeline fixture; the scaffold: as a new user would, through the CLI
    (`harness domain new acme && harness demo --domain acme --model default:micro`) in an empty folder."""
    if domain.name == "support_chat":
        _, result, _ = request.getfixturevalue("pipeline_run")
        assert result.train_runs and set(result.eval_runs) == {"base", *domain.manifest.stages}
        return
    if domain.name == SCAFFOLD:
        project = tmp_path / "project"
        project.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "HARNESS_DOMAINS_DIR"}

        def cli(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=project, env=env, text=True,
                                  capture_output=True, timeout=900, stdin=subprocess.DEVNULL)

        new = cli("domain", "new", SCAFFOLD)
        assert new.returncode == 0, new.stderr
        demo = cli("demo", "--domain", SCAFFOLD, "--model", "default:micro", "--db", str(project / "h.duckdb"))
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
        assert f"{SCAFFOLD}: base vs stages" in demo.stdout and "DOMAIN IMPROVED" in demo.stdout
        assert "GATE " in demo.stdout  # the domain gate ran and printed its outcome (PASS, FAIL or INCONCLUSIVE)
        assert f"{SCAFFOLD}:dpo" in demo.stdout  # train printed how to address what it produced
        # a quiet terminal: no raw Trainer dicts or tqdm bars; library output is in the log file the runs record
        terminal = demo.stdout + demo.stderr
        assert "{'loss'" not in terminal and "Running loglikelihood" not in terminal and "it/s]" not in terminal
        log_file = Path(next(line for line in demo.stdout.splitlines() if line.startswith("full logs: "))[11:])
        assert "Running loglikelihood requests" in log_file.read_text()
        from harness.store import Store

        configs = Store(project / "h.duckdb", read_only=True).query(
            "SELECT json_extract_string(config_json, '$.log_file') AS log FROM runs WHERE kind = 'train'")
        assert {c["log"] for c in configs} == {str(log_file)}
        return
    from harness.pipeline import PipelineOptions, run_pipeline

    limit = 4
    result = run_pipeline(PipelineOptions(domain=domain.name, base_model="default:micro",
                                          overrides=micro_overrides(domain), eval_limit=limit, progress=False),
                          tmp_path / "micro.duckdb")
    assert set(result.eval_runs) >= {"base"}
    # A classifier stage is evaluated by its own scorer, on its held-out split and on the items of every suite task
    # that declares `classifier_text` (one of those per domain that has labels), so the demo can pair it with the
    # generative model item by item.
    from harness.evaluation.tasks import tasks_declaring
    from harness.store import Store
    from harness.summary import same_item_runs

    heads = [name for name, stage in domain.manifest.stages.items() if stage.method == "classifier"]
    declared = set(tasks_declaring("classifier_text", domain.suite_root))
    assert bool(heads) == bool(declared), (heads, declared)
    store = Store(tmp_path / "micro.duckdb", read_only=True)
    for head in heads:
        assert head in result.eval_runs and head in result.own_evals
        runs = same_item_runs(store, result.models[head].model_id)
        assert set(runs) == declared
        for task, run in runs.items():
            n = store.query("SELECT count(*) AS n FROM eval_samples WHERE run_id = ? AND task = ? AND metric = 'acc'",
                            [run, task])[0]["n"]
            assert n == limit, (task, n)  # eval_limit items of the task's own documents
