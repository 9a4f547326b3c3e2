"""Domain data prep: load each named dataset -> its canonical kind -> cleaning steps -> split -> JSONL.

Datasets are prepared once each, whatever number of stages read them. Output lives in
cache_dir()/data/<domain>-<key>/, where key hashes everything that shaped it (dataset specs, generator code and
params, input file contents, seed, cleaning steps). Re-running on unchanged inputs returns the existing folder.
Cleaning (PII masking, dedup, decontamination, quality filters) plugs in as `CleaningStep`s between load and
split; each step's dropped count lands in `PreparedData.report`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from harness.config_io import deep_merge, validate
from harness.data.loaders import load_converted, resolve_path, source_files
from harness.data.records import canonical, validate_record
from harness.domains import DatasetSpec, Domain, Manifest, find_suite_dir, hook_failure
from harness.errors import HarnessError
from harness.file_checks import describe_non_file
from harness.fingerprint import fingerprint, hash_file
from harness.paths import cache_dir

if TYPE_CHECKING:
    from rich.console import Console

    from harness.store import Store

PREP_VERSION = 2
log = logging.getLogger(__name__)
SPLITS = ("train", "validation")
# Suite data keys read as eval inputs when a row has no explicit `decontam` list.
EVAL_TEXT_KEYS = ("message", "question", "query", "text", "prompt", "passage", "context", "transcript")


# ---------------------------------------------------------------- cleaning-step plug-in point

@dataclass
class PrepContext:
    """What a cleaning step may need to know about the data it is cleaning."""

    domain: Domain
    manifest: Manifest
    dataset: str
    kind: str
    seed: int

    @property
    def stage(self) -> str:  # the name before datasets and stages were separate concepts
        return self.dataset

    @cached_property
    def eval_texts(self) -> list[str]:
        """Eval inputs of the domain's suites (for decontamination), computed once per dataset."""
        return eval_texts(self.manifest)

    @cached_property
    def eval_texts_by_source(self) -> dict[str, list[str]]:
        """The same texts keyed `<suite>/<data file stem>`, for per-source contamination reports."""
        return eval_texts_by_source(self.manifest)


@runtime_checkable
class CleaningStep(Protocol):
    """records -> records (may drop or rewrite); may also return (records, info) for the report.

    `name` goes into the prep cache key, so changing a step's behaviour should change its name (or give it
    a `fingerprint` attribute).
    """

    name: str

    def __call__(self, records: list[dict[str, Any]], ctx: PrepContext) -> Any: ...


# Cleaning steps run by default, in order. Other modules append to this (or pass `steps=`).
DEFAULT_STEPS: list[CleaningStep] = []


# ---------------------------------------------------------------- results

@dataclass
class DatasetData:
    dataset: str
    kind: str
    source: str
    train: Path
    validation: Path
    n_train: int
    n_validation: int
    data_hash: str  # hash of this dataset's output files: what a stage fingerprint should include
    warnings: list[str] = field(default_factory=list)

    def path(self, split: str) -> Path:
        return self.train if split == "train" else self.validation


@dataclass
class PreparedData:
    domain: str
    key: str  # input hash (folder name)
    root: Path
    data_hash: str  # hash over all datasets' output files
    datasets: dict[str, DatasetData]
    report: dict[str, Any] = field(default_factory=dict)
    reused: bool = False

    def dataset(self, name: str) -> DatasetData:
        if name not in self.datasets:
            raise HarnessError(f"prepared data for '{self.domain}' has no dataset '{name}' "
                               f"(has: {', '.join(self.datasets)})",
                               f"declare '{name}' under the manifest's `datasets:`")
        return self.datasets[name]

    def paths(self, name: str) -> tuple[Path, Path]:
        """(train, validation) JSONL paths of a dataset."""
        data = self.dataset(name)
        return data.train, data.validation

    @property
    def warnings(self) -> list[str]:
        return [w for d in self.datasets.values() for w in d.warnings]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return {s: {"train": d.n_train, "validation": d.n_validation} for s, d in self.datasets.items()}

    def to_json(self) -> dict[str, Any]:
        datasets = {s: {**asdict(d), "train": d.train.name, "validation": d.validation.name}
                    for s, d in self.datasets.items()}
        return {"domain": self.domain, "key": self.key, "data_hash": self.data_hash, "datasets": datasets,
                "report": self.report, "prep_version": PREP_VERSION}

    @classmethod
    def from_dir(cls, root: Path) -> PreparedData:
        info = json.loads((root / "prepared.json").read_text(encoding="utf-8"))
        datasets = {s: DatasetData(**{**d, "train": root / d["train"], "validation": root / d["validation"]})
                    for s, d in info["datasets"].items()}
        return cls(info["domain"], info["key"], root, info["data_hash"], datasets, info["report"], reused=True)


# ---------------------------------------------------------------- pipeline

def prepare_domain(domain: Domain, *, seed: int | None = None, overrides: dict[str, Any] | None = None,
                   steps: Sequence[CleaningStep] | None = None, store: Store | None = None) -> PreparedData:
    """Prepare train/validation JSONL for every dataset of `domain`; reuse the cached result when unchanged.

    With a `store`, records a completed `prep` run and one data report per dataset. Nothing is written when
    prep fails: bad input leaves the store untouched (the CLI contract).
    """
    prepared = _prepare(domain, seed, overrides, steps)
    if store is not None:
        record_prep(store, prepared, seed=domain.manifest.seed if seed is None else seed)
    return prepared


def record_prep(store: Store, prepared: PreparedData, *, seed: int | None = None) -> str:
    """One `prep` run plus a data report per dataset (rows in/out, per-step drops, split counts)."""
    run_id = store.start_run("prep", domain=prepared.domain, config={"key": prepared.key, "reused": prepared.reused},
                             fingerprint=prepared.key, data_hash=prepared.data_hash, seed=seed,
                             output_path=prepared.root)
    for name, data in prepared.datasets.items():
        rep = prepared.report.get(name, {})
        store.add_data_report(dataset_hash=data.data_hash, domain=prepared.domain, dataset=name, split=None,
                              n_rows_in=rep.get("loaded", data.n_train + data.n_validation),
                              n_rows_out=data.n_train + data.n_validation, report=rep, run_id=run_id)
    store.finish_run(run_id, output_path=prepared.root)
    return run_id


def _prepare(domain: Domain, seed: int | None, overrides: dict[str, Any] | None,
             steps: Sequence[CleaningStep] | None) -> PreparedData:
    manifest = resolve_manifest(domain, overrides)
    seed = manifest.seed if seed is None else seed
    steps = list(default_steps(manifest) if steps is None else steps)
    if not manifest.datasets:
        raise HarnessError(f"domain '{manifest.name}' declares no datasets",
                           "add a `datasets:` block to its manifest (see `harness config show`)")
    key = input_key(domain, manifest, seed, steps)
    root = cache_dir() / "data" / f"{manifest.name}-{key}"
    if (root / "prepared.json").exists():
        return PreparedData.from_dir(root)

    generated = _lazy_generator(domain, manifest, seed)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{manifest.name}-{key}-", dir=root.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the cache is shared like any other output folder
    try:
        datasets: dict[str, DatasetData] = {}
        report: dict[str, Any] = {}
        for name, spec in manifest.datasets.items():
            ctx = PrepContext(domain, manifest, name, spec.kind, seed)
            dropped_on_load: dict[str, Any] = {}
            warnings: list[str] = []
            encoding: dict[str, str] = {}
            records, source = load_dataset(domain, manifest, name, generated, dropped_on_load, warnings, encoding)
            n_loaded = len(records) + sum(dropped_on_load.get("counts", {}).values())
            records, step_report = apply_steps(records, steps, ctx)
            if not records:
                raise HarnessError(f"dataset '{name}' of domain '{manifest.name}' has no records left after "
                                   "cleaning", "check the source data or relax the cleaning steps")
            n_replay = replay_count(len(records), spec.replay_general) if spec.kind == "text" else 0
            records = records + replay_records(n_replay)
            train, val = split_records(records, manifest.validation_fraction, f"{seed}-{name}")
            if not val:
                warnings.append(f"dataset '{name}': {len(records)} record(s) leave no validation rows; "
                                "validation loss will not be measured")
            for warning in warnings:
                log.warning(warning)
            paths = {s: tmp / f"{name}.{s}.jsonl" for s in SPLITS}
            write_jsonl(paths["train"], train)
            write_jsonl(paths["validation"], val)
            data_hash = fingerprint(hash_file(paths["train"]), hash_file(paths["validation"]))
            datasets[name] = DatasetData(name, spec.kind, source, root / paths["train"].name,
                                         root / paths["validation"].name, len(train), len(val), data_hash, warnings)
            report[name] = {"source": source, "kind": spec.kind, "loaded": n_loaded, "replayed_general": n_replay,
                            "dropped_on_load": dropped_on_load, "warnings": warnings, **encoding,
                            "steps": step_report, "train": len(train), "validation": len(val)}
        data_hash = fingerprint({s: d.data_hash for s, d in datasets.items()})
        prepared = PreparedData(manifest.name, key, root, data_hash, datasets, report)
        (tmp / "prepared.json").write_text(json.dumps(prepared.to_json(), indent=2), encoding="utf-8")
        try:
            os.replace(tmp, root)
        except OSError:  # another process finished the same key first: theirs is identical
            shutil.rmtree(tmp, ignore_errors=True)
            return PreparedData.from_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return prepared


def replay_count(n_domain: int, fraction: float) -> int:
    """Rows to add so that replayed rows are `fraction` of the CPT set."""
    return round(n_domain * fraction / (1 - fraction)) if fraction > 0 else 0


def replay_records(n: int) -> list[dict[str, Any]]:
    """The first n documents of the embedded model's general pretraining corpus (a prefix of what the base
    saw). Not cleaned or decontaminated: they are the base model's own data, and the general suite tests
    those facts by design."""
    if n <= 0:
        return []
    from harness.models.general_corpus import generate_corpus

    return [{"text": doc, "meta": {"replay": "general"}} for doc in generate_corpus(n, seed=0)]


def default_steps(manifest: Manifest) -> list[CleaningStep]:
    """The manifest's cleaning (quality → PII → dedup → decontam against the suites) plus DEFAULT_STEPS."""
    from harness.cleaning.step import CleanRecordsStep

    cleaning = [CleanRecordsStep(manifest.cleaning)] if manifest.cleaning.enabled else []
    return [*cleaning, *DEFAULT_STEPS]


def resolve_manifest(domain: Domain, overrides: dict[str, Any] | None) -> Manifest:
    if not overrides:
        return domain.manifest
    data = deep_merge(domain.manifest.model_dump(mode="json"), overrides)
    return validate(Manifest, data, f"domain '{domain.name}' manifest with overrides")


def input_key(domain: Domain, manifest: Manifest, seed: int, steps: Sequence[CleaningStep]) -> str:
    """Hash of every input of prep; the cache folder name."""
    sources: dict[str, Any] = {}
    for name, spec in manifest.datasets.items():
        if spec.source == "generator":
            sources[name] = {"spec": spec, "generator": manifest.generator, "code": _code_hash(domain)}
        elif spec.format == "hf":
            sources[name] = {"hf": spec}
        else:
            path = resolve_path(spec, domain.root)
            problem = describe_non_file(path)  # a folder, FIFO, /dev/null, symlink loop... is named as such
            if path.is_dir() and domain_reader(domain, manifest) is not None:
                # a folder only the domain's reader can take (legal: a LegalBench task folder): hash every file
                files = sorted(f for f in path.rglob("*") if f.is_file())
                sources[name] = {"spec": spec, "reader": _code_hash(domain),
                                 "content": fingerprint([(str(f.relative_to(path)), hash_file(f)) for f in files])}
                continue
            files = source_files(spec, domain.root)  # a folder or glob: every file it reads, in order
            if files is not None:
                sources[name] = {"spec": spec, "content": fingerprint([(str(f), hash_file(f)) for f in files])}
                if domain_reader(domain, manifest) is not None:
                    sources[name]["reader"] = _code_hash(domain)
                continue
            if problem:
                raise HarnessError(f"data file {path} for dataset '{name}' {problem}",
                                   f"check `datasets.{name}.path` (relative paths start at {domain.root})")
            sources[name] = {"spec": spec, "content": hash_file(path)}
            if domain_reader(domain, manifest) is not None:  # the domain's reader shapes the rows: its code counts
                sources[name]["reader"] = _code_hash(domain)
    step_ids = [getattr(s, "fingerprint", None) or getattr(s, "name", type(s).__name__) for s in steps]
    return fingerprint(PREP_VERSION, manifest.name, manifest.validation_fraction, seed, sources, manifest.prompts,
                       step_ids)


def _code_hash(domain: Domain) -> str:
    """Generator code lives in the domain's .py files: a change there must invalidate the cache."""
    files = sorted(domain.root.rglob("*.py"))
    return fingerprint([(str(f.relative_to(domain.root)), hash_file(f)) for f in files])


def _lazy_generator(domain: Domain, manifest: Manifest, seed: int) -> Callable[[], dict[str, list[dict]]]:
    cache: dict[str, dict[str, list[dict]]] = {}

    def get() -> dict[str, list[dict]]:
        if "out" not in cache:
            generate = getattr(domain.hooks, "generate", None)
            if generate is None:
                raise HarnessError(f"domain '{manifest.name}' hooks have no generate()",
                                   "define generate(seed, **params) in hooks.py or point every dataset at a file")
            file = domain.path(manifest.hooks)
            try:
                cache["out"] = generate(seed, **manifest.generator)
            except HarnessError:
                raise
            except (TypeError, ValueError) as exc:  # how generators say "bad params"
                raise HarnessError(f"domain '{manifest.name}' generator rejected its params: {exc}",
                                   f"fix the `generator:` section of the manifest (or generate() in {file})"
                                   ) from exc
            except Exception as exc:  # noqa: BLE001 - a failure in the user's generator names their file
                raise HarnessError(f"domain '{manifest.name}' generate() in {file} failed: {hook_failure(exc, file)}",
                                   f"fix generate() in {file} or its `generator:` params in the manifest") from exc
        return cache["out"]

    return get


def load_dataset(domain: Domain, manifest: Manifest, name: str,
                 generated: Callable[[], dict[str, list[dict]]], dropped: dict[str, Any] | None = None,
                 warnings: list[str] | None = None, encoding: dict[str, str] | None = None
                 ) -> tuple[list[dict[str, Any]], str]:
    """Records of the dataset's kind, from the generator or a file; returns (records, source name).
    Rows a file reader dropped (malformed JSON, invalid records) are added to `dropped` by reason, and
    warnings about the source (suspiciously few records) to `warnings`."""
    spec: DatasetSpec = manifest.datasets[name]
    kind = spec.kind
    if spec.source == "file":
        loaded = load_converted(spec, domain.root, kind, reader=domain_reader(domain, manifest), seed=manifest.seed,
                                **spec.prompts(manifest.prompts))
        records = loaded.records
        source = spec.path or ""
        if dropped is not None and loaded.dropped:
            dropped.update({"counts": loaded.dropped, "first_problem": loaded.examples})
        if warnings is not None:
            warnings.extend(loaded.warnings)
        if encoding is not None:
            encoding.update(loaded.encoding)
    else:
        out = generated()
        if name not in out or not out[name]:
            raise HarnessError(f"domain '{manifest.name}' generate() returned no '{name}' records",
                               f"return a '{name}' list from generate() or set `datasets.{name}` to a file")
        records = out[name]
        source = "generator"
        for i, rec in enumerate(records):
            problem = validate_record(rec, kind)
            if problem:
                raise HarnessError(f"domain '{manifest.name}' generator: {name} record {i} is invalid: {problem}",
                                   f"fix generate() in {domain.path(manifest.hooks)}")
        records = [canonical(r, kind) for r in records]
    if spec.limit is not None:
        records = records[:spec.limit]
    return records, source


def domain_reader(domain: Domain, manifest: Manifest) -> Callable[..., Any] | None:
    """The domain's own file reader (`read_file(path, spec)` in hooks.py) for formats the core does not know
    (e.g. security_logs: loghub logs and structured CSVs); None when the domain has none."""
    file = domain.path(manifest.hooks)
    if not file.is_file():
        return None
    read_file = getattr(domain.hooks, "read_file", None)
    if read_file is None:
        return None

    def guarded(path: Path, spec: DatasetSpec) -> Any:
        try:
            rows = read_file(path, spec)
            return None if rows is None else list(rows)  # a generator's errors surface here, not mid-prep
        except HarnessError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failure in the user's reader names their file
            raise HarnessError(f"domain '{manifest.name}' read_file() in {file} failed on {path}: "
                               f"{hook_failure(exc, file)}", f"fix read_file() in {file}, or set `format:` so "
                               "the built-in readers read that file") from exc

    return guarded


def apply_steps(records: list[dict[str, Any]], steps: Sequence[CleaningStep],
                ctx: PrepContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run cleaning steps in order; report in/out/dropped (+ the step's own info) per step."""
    report = []
    for step in steps:
        n_in = len(records)
        result = step(records, ctx)
        records, info = result if isinstance(result, tuple) else (result, {})
        for i, rec in enumerate(records):
            problem = validate_record(rec, ctx.kind)
            if problem:
                raise RuntimeError(f"cleaning step {step.name!r} produced an invalid {ctx.kind} record {i}: "
                                   f"{problem}")
        report.append({"step": getattr(step, "name", type(step).__name__), "in": n_in, "out": len(records),
                       "dropped": n_in - len(records), **info})
    return records, report


def split_records(records: list[dict[str, Any]], fraction: float,
                  seed: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Seeded random validation split; keeps the original order within each split."""
    n = len(records)
    n_val = 0 if n < 2 else min(n - 1, max(1, round(n * fraction)))
    val_idx = set(random.Random(seed).sample(range(n), n_val))
    train = [r for i, r in enumerate(records) if i not in val_idx]
    val = [r for i, r in enumerate(records) if i in val_idx]
    return train, val


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# ---------------------------------------------------------------- report

def print_prep_report(prepared: PreparedData, console: Console | None = None) -> None:
    """Rows per dataset (loaded -> after each cleaning step -> train/validation) and where the files are."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"prepared data: {prepared.domain} ({'reused' if prepared.reused else 'new'})")
    for col in ("dataset", "kind", "source", "loaded", "cleaning (dropped)", "train", "validation", "data hash"):
        table.add_column(col, justify="right" if col in ("loaded", "train", "validation") else "left")
    for stage, data in prepared.datasets.items():
        rep = prepared.report.get(stage, {})
        bad = rep.get("dropped_on_load", {}).get("counts", {})
        steps = ", ".join([*(f"{reason}: {n}" for reason, n in bad.items()),
                           *(f"{s['step']}: {s['dropped']}" for s in rep.get("steps", []))]) or "-"
        source = data.source + (f" ({rep['encoding']}: {rep['encoding_chosen_by']})" if rep.get("encoding") else "")
        table.add_row(stage, data.kind, source, str(rep.get("loaded", "")), steps, str(data.n_train),
                      str(data.n_validation), data.data_hash)
    console.print(table)
    for stage, rep in prepared.report.items():
        for step in rep.get("steps", []):
            if "rows_in" in step and "dropped_by_reason" in step:  # a harness.cleaning.clean_records report
                from harness.cleaning.report import render_report

                for t in render_report(step, title=f"{stage} {step['step']}"):
                    console.print(t)
    for warning in prepared.warnings:
        console.print(f"[yellow]warning[/yellow] {warning}", markup=True, highlight=False)
    console.print(f"files: {prepared.root}")


# ---------------------------------------------------------------- eval items (for decontamination)

def eval_texts_by_source(manifest: Manifest, *, include_regression: bool = True) -> dict[str, list[str]]:
    """Eval inputs per `<suite>/<data file stem>` (e.g. support_chat/intent), for decontamination reports."""
    suites = list(manifest.suites) + (list(manifest.regression_suites) if include_regression else [])
    out: dict[str, list[str]] = {}
    for suite in suites:
        folder = find_suite_dir(suite)
        data_dir = folder / "data" if folder is not None else None
        for file in sorted(data_dir.glob("*.jsonl")) if data_dir is not None and data_dir.is_dir() else []:
            texts = dict.fromkeys(t for row in read_jsonl(file) for t in _row_texts(row))
            out[f"{suite}/{file.stem}"] = list(texts)
    return out


def eval_texts(manifest: Manifest, *, include_regression: bool = True) -> list[str]:
    """Eval inputs of the manifest's suites (plus regression suites), deduplicated, in a stable order.

    A suite row's inputs are its `decontam` list when present (the support_chat suite writes one: the
    customer messages), else the values of EVAL_TEXT_KEYS. Reference outputs are deliberately not included:
    agent replies are templated per intent, so they overlap training replies by design.
    """
    by_source = eval_texts_by_source(manifest, include_regression=include_regression)
    return list(dict.fromkeys(t for texts in by_source.values() for t in texts))


def _row_texts(row: dict[str, Any]) -> list[str]:
    if "decontam" in row:
        value = row["decontam"]
        return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
    return [row[k] for k in EVAL_TEXT_KEYS if isinstance(row.get(k), str) and row[k].strip()]


def domain_eval_texts(domain: Domain, *, include_regression: bool = True) -> list[str]:
    return eval_texts(domain.manifest, include_regression=include_regression)


__all__ = ["DEFAULT_STEPS", "CleaningStep", "DatasetData", "PrepContext", "PreparedData", "apply_steps",
           "domain_eval_texts", "eval_texts", "eval_texts_by_source", "input_key", "load_dataset", "prepare_domain",
           "print_prep_report", "read_jsonl", "record_prep", "split_records", "write_jsonl"]
