"""Read user data files (JSONL, JSON, CSV, Parquet, text, line-oriented logs, HF datasets) into canonical records.

Every problem a user can fix is a one-line HarnessError naming the file, the line (or row) and the fix:
most real files need only a `columns:` mapping (e.g. Banking77's `category` -> `label`). Nested JSON is reached
with dotted paths (`columns: {prompt: paragraphs.question}`) after `explode: [paragraphs]` turns each element of
a list into its own record. Sources that yield suspiciously few records come back with a warning.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.data.records import CONVERTIBLE, KIND_FIELDS, canonical, convert, validate_record
from harness.domains import DatasetSpec as SourceSpec
from harness.errors import HarnessError
from harness.file_checks import require_file
from harness.text_encoding import Encoding, detect

SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "csv",
                  ".parquet": "parquet", ".pq": "parquet", ".txt": "txt", ".text": "txt", ".md": "txt", ".log": "lines"}
FORMATS = ("jsonl", "json", "csv", "parquet", "txt", "lines", "hf")
FEW_RECORDS = 10  # fewer records than this from one source earns a warning
# A leading timestamp (ISO date + time, optionally in brackets) for `format: lines` with `group_seconds`.
TIMESTAMP = re.compile(r"^\W{0,2}(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})")
# Common column names tried when the canonical one is absent and no `columns:` mapping names it.
ALIASES: dict[str, tuple[str, ...]] = {
    "label": ("category", "intent", "class"),
    "text": ("utterance", "sentence", "content"),
    "messages": ("conversation", "conversations"),
}
_DETECT_ORDER = ("chat", "preference", "prompt_completion", "classification", "text")


@dataclass
class Row:
    where: str  # "file:line 12" / "file row 3": used in error messages
    data: dict[str, Any]


@dataclass
class BadRow:
    """A row that could not be parsed: dropped and counted, or raised with on_bad_rows=error."""

    where: str
    reason: str  # malformed_json | not_an_object | invalid_record
    error: HarnessError


@dataclass
class Loaded:
    records: list[dict[str, Any]]
    kind: str  # kind of the records as read from the source (before any conversion)
    source: str  # file path or HF dataset id
    dropped: dict[str, int] = dataclass_field(default_factory=dict)  # reason -> rows dropped while reading
    examples: dict[str, str] = dataclass_field(default_factory=dict)  # reason -> first problem, for the report
    warnings: list[str] = dataclass_field(default_factory=list)  # e.g. a 2,000-line file that gave one record
    encoding: dict[str, str] = dataclass_field(default_factory=dict)  # text files: encoding and how it was chosen


def resolve_path(spec: SourceSpec, base_dir: Path) -> Path:
    if not spec.path:
        raise HarnessError("a data source with `source: file` has no `path`",
                           "set `path:` to a data file (relative to the manifest) or use `source: generator`")
    path = Path(spec.path).expanduser()
    return path if path.is_absolute() else (base_dir / path)


def resolve_format(spec: SourceSpec, path: Path) -> str:
    if spec.format != "auto":
        return spec.format
    fmt = SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise HarnessError(f"{path}: unknown data format for suffix '{path.suffix or '(none)'}'",
                           f"set `format:` to one of {', '.join(FORMATS)} in the data spec")
    return fmt


# ---------------------------------------------------------------- readers (file -> rows)

def _read_jsonl(path: Path, encoding: str = "utf-8-sig") -> Iterator[Row | BadRow]:
    with open(path, encoding=encoding) as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield BadRow(f"{path}:{lineno}", "malformed_json", HarnessError(
                    f"{path}:{lineno}: malformed JSON line ({exc.msg} at column {exc.colno})",
                    f"correct or delete line {lineno}; each line must be one JSON object"))
                continue
            if not isinstance(obj, dict):
                yield BadRow(f"{path}:{lineno}", "not_an_object", HarnessError(
                    f"{path}:{lineno}: line holds a JSON {type(obj).__name__}, not an object",
                    f"make line {lineno} a JSON object like {{\"text\": \"...\"}}"))
                continue
            yield Row(f"{path}:{lineno}", obj)


def _read_json(path: Path, encoding: str = "utf-8-sig") -> Iterator[Row]:
    try:
        data = json.loads(path.read_text(encoding=encoding))
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg} at column {exc.colno})",
                           "fix the JSON syntax, or save one object per line as .jsonl") from exc
    if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        # records keyed by id (PubMedQA's ori_pqal.json: PMID -> {QUESTION, CONTEXTS, ...}): the key is the `id`
        for key, obj in data.items():
            yield Row(f"{path} [{key!r}]", {"id": key, **obj} if "id" not in obj else obj)
        return
    if isinstance(data, dict):  # {"data": [...]} / {"train": [...]}: take the single list value
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else data
    if not isinstance(data, list):
        raise HarnessError(f"{path}: JSON top level must be a list of objects",
                           "write a list like [{\"text\": ...}, ...] or use JSONL")
    for i, obj in enumerate(data):
        if not isinstance(obj, dict):
            raise HarnessError(f"{path} item {i}: is a JSON {type(obj).__name__}, not an object",
                               "make every list item a JSON object")
        yield Row(f"{path} item {i}", obj)


def _read_csv(path: Path, encoding: str = "utf-8-sig") -> Iterator[Row]:
    # newline="" lets the csv module keep quoted fields that span several lines in one row.
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        delimiter = "\t" if path.suffix.lower() == ".tsv" or ("\t" in sample and "," not in sample) else ","
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [h.strip() for h in header]
        start = reader.line_num + 1
        for values in reader:
            if not any(v.strip() for v in values):
                start = reader.line_num + 1
                continue
            if len(values) != len(header):
                raise HarnessError(
                    f"{path}:{start}: row has {len(values)} fields but the header has {len(header)}",
                    "quote fields that contain commas or line breaks with double quotes")
            yield Row(f"{path}:{start}", dict(zip(header, values, strict=True)))
            start = reader.line_num + 1


def _read_parquet(path: Path) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for bad files
        raise HarnessError(f"{path}: not a readable Parquet file ({type(exc).__name__}: {exc})".split("\n")[0],
                           "check the file or set `format:` to the file's real format") from exc
    for i, obj in enumerate(table.to_pylist()):
        yield Row(f"{path} row {i}", obj)


def _read_txt(path: Path, encoding: str = "utf-8-sig") -> Iterator[Row]:
    """Documents separated by blank lines (a transcript or paragraph per block)."""
    block: list[str] = []
    start = 1
    with open(path, encoding=encoding) as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                if not block:
                    start = lineno
                block.append(line.rstrip("\n"))
            elif block:
                yield Row(f"{path}:{start}", {"text": "\n".join(block)})
                block = []
    if block:
        yield Row(f"{path}:{start}", {"text": "\n".join(block)})


def _line_time(line: str) -> datetime | None:
    match = TIMESTAMP.match(line)
    if not match:
        return None
    try:
        return datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
    except ValueError:
        return None


def _read_lines(path: Path, group_lines: int = 1, group_seconds: float | None = None,
                encoding: str = "utf-8-sig") -> Iterator[Row]:
    """Line-oriented text (logs, one sentence per line): one record per `group_lines` non-empty lines, or, with
    `group_seconds`, one record per time window opened by a line's leading timestamp (lines without one stay
    with the record before them)."""
    block: list[str] = []
    start, opened = 1, None
    with open(path, encoding=encoding, errors="replace") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\n")
            if not line.strip():
                continue
            if group_seconds is not None:
                when = _line_time(line)
                if block and when is not None and opened is not None \
                        and (when - opened).total_seconds() >= group_seconds:
                    yield Row(f"{path}:{start}", {"text": "\n".join(block)})
                    block = []
                if not block:
                    start, opened = lineno, when
                block.append(line)
                continue
            if not block:
                start = lineno
            block.append(line)
            if len(block) >= group_lines:
                yield Row(f"{path}:{start}", {"text": "\n".join(block)})
                block = []
    if block:
        yield Row(f"{path}:{start}", {"text": "\n".join(block)})


def _read_hf(spec: SourceSpec, base_dir: Path) -> tuple[str, Iterator[Row]]:
    import datasets

    assert spec.path
    local = Path(spec.path) if Path(spec.path).is_absolute() else base_dir / spec.path
    split = spec.split or "train"
    try:
        if local.is_dir() and any((local / f).exists() for f in ("dataset_info.json", "dataset_dict.json")):
            ds = datasets.load_from_disk(str(local))
            if isinstance(ds, datasets.DatasetDict):
                ds = ds[split]
            name = str(local)
        else:
            ds = datasets.load_dataset(spec.path, split=split)
            name = spec.path
    except Exception as exc:  # noqa: BLE001 - offline/missing errors come in many types
        reason = str(exc).split("\n")[0][:160]
        raise HarnessError(f"HF dataset '{spec.path}' (split {split}) could not be loaded offline: {reason}",
                           "cache it once with network access (datasets.load_dataset), save it with "
                           "save_to_disk and point `path:` there, or export it to JSONL and use format: jsonl") from exc
    return name, (Row(f"{name} row {i}", dict(obj)) for i, obj in enumerate(ds))


# ---------------------------------------------------------------- rows -> records

_MISSING = object()


def get_path(data: Any, path: str) -> Any:
    """`data[path]`, or a dotted path into nested objects and lists (`doc.questions.0.text`); _MISSING if absent."""
    if isinstance(data, dict) and path in data:
        return data[path]
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _set_path(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `data` with the dotted path set (copies each dict on the way; the input is untouched)."""
    if path in data or "." not in path:
        return {**data, path: value}
    head, rest = path.split(".", 1)
    child = data.get(head)
    return {**data, head: _set_path(child if isinstance(child, dict) else {}, rest, value)}


def explode_rows(row: Row, paths: list[str]) -> Iterator[Row]:
    """One row per element of the list at each path, in turn (paths may go through earlier ones:
    `[paragraphs, paragraphs.qas]`); the element replaces the list, so dotted paths reach its fields."""
    rows = [row]
    for path in paths:
        out = []
        for r in rows:
            value = get_path(r.data, path)
            if value is _MISSING:
                raise HarnessError(f"{r.where}: `explode: {path}` names no field (top-level fields: "
                                   f"{', '.join(sorted(r.data)) or 'none'})", "fix the dotted path in `explode:`")
            if not isinstance(value, list):
                raise HarnessError(f"{r.where}: `explode: {path}` is a {type(value).__name__}, not a list",
                                   "explode only list fields; reach single values with dotted paths in `columns:`")
            out += [Row(f"{r.where} {path}[{i}]", _set_path(r.data, path, item)) for i, item in enumerate(value)]
        rows = out
    yield from rows


def _column_for(field: str, columns_map: dict[str, str], available: set[str] | dict[str, Any]) -> str | None:
    if field in columns_map:
        col = columns_map[field]
        if col in available:
            return col
        if isinstance(available, dict) and "." in col and get_path(available, col) is not _MISSING:
            return col
        return None
    if field in available:
        return field
    return next((a for a in ALIASES.get(field, ()) if a in available), None)


def detect_kind(available: set[str] | dict[str, Any], columns_map: dict[str, str]) -> str | None:
    """Guess the record kind from the columns present (after mapping)."""
    for kind in _DETECT_ORDER:
        if all(_column_for(f, columns_map, available) for f in KIND_FIELDS[kind]):
            return kind
    return None


def _missing_column(where: str, field: str, kind: str, available: set[str] | dict[str, Any],
                    columns_map: dict[str, str]) -> HarnessError:
    cols = ", ".join(sorted(available)) or "(none)"
    if field in columns_map:
        return HarnessError(f"{where}: column '{columns_map[field]}' mapped to '{field}' does not exist "
                            f"(columns: {cols})", f"set `columns: {{{field}: <one of: {cols}>}}` in the data spec")
    guess = next((c for c in sorted(available) if c not in KIND_FIELDS[kind]), "<column>")
    return HarnessError(f"{where}: column '{field}' needed for kind '{kind}' is missing (columns: {cols})",
                        f"map it in the data spec, e.g. `columns: {{{field}: {guess}}}`")


SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "chatgpt": "assistant", "bard": "assistant", "bing": "assistant", "model": "assistant",
                  "system": "system"}


def _community_schema(data: dict[str, Any]) -> dict[str, Any]:
    """Map well-known public layouts onto canonical fields (explicit `columns:` still win):
    ShareGPT {conversations: [{from, value}]} → messages; Dolly-15K {instruction, context, response,
    category} and Alpaca {instruction, input, output} → prompt/completion (context appended to the prompt)."""
    convs = data.get("conversations")
    if "messages" not in data and isinstance(convs, list) and convs and all(
            isinstance(m, dict) and "from" in m and "value" in m for m in convs):
        data = {**data, "messages": [{"role": SHAREGPT_ROLES.get(str(m["from"]).lower(), str(m["from"]).lower()),
                                      "content": m["value"]} for m in convs]}
    if "prompt" not in data and "instruction" in data and ("response" in data or "output" in data):
        context = data.get("context") or data.get("input") or ""
        prompt = str(data["instruction"]) + (f"\n\n{context}" if str(context).strip() else "")
        meta = {**(data.get("meta") or {}), **({"category": data["category"]} if data.get("category") else {})}
        data = {**data, "prompt": prompt, "completion": data.get("response", data.get("output")),
                **({"meta": meta} if meta else {})}
    return data


def _to_record(row: Row, kind: str, columns_map: dict[str, str]) -> dict[str, Any]:
    if not columns_map:
        row = Row(row.where, _community_schema(row.data))
    available = row.data
    record: dict[str, Any] = {}
    for field in KIND_FIELDS[kind]:
        col = _column_for(field, columns_map, available)
        if col is None:
            raise _missing_column(row.where, field, kind, available, columns_map)
        record[field] = get_path(row.data, col)
    if kind == "classification" and record["label"] is not None and not isinstance(record["label"], str):
        record["label"] = str(record["label"])
    if kind in ("text", "classification"):  # e.g. Banking77 has texts wrapped in stray newlines
        record = {k: v.strip() if isinstance(v, str) else v for k, v in record.items()}
    for key in ("id", "meta"):
        col = columns_map.get(key, key)
        if row.data.get(col) is not None:
            record[key] = row.data[col]
    problem = validate_record(record, kind)
    if problem:
        listed = next((f for f in KIND_FIELDS[kind] if isinstance(record.get(f), list) and kind != "chat"), None)
        if listed is not None:
            col = _column_for(listed, columns_map, available) or listed
            raise HarnessError(f"{row.where}: invalid {kind} record: field '{listed}' is a list (column '{col}')",
                               f"turn each element into a record with `explode: [{col}]` and map its fields with "
                               f"dotted paths, e.g. `columns: {{{listed}: {col}.<field>}}`")
        raise HarnessError(f"{row.where}: invalid {kind} record: {problem}",
                           "fix that record, or map the right columns with `columns:` in the data spec")
    return canonical(record, kind)


# A domain's own file reader (hooks.read_file): `read_file(path, spec) -> iterable of dicts | None`; None = "not
# a format I know", and the built-in readers take over. Its rows then get the usual column mapping and kinds.
DomainReader = Callable[[Path, SourceSpec], Iterable[dict[str, Any]] | None]


GLOB_CHARS = ("*", "?", "[")


def source_files(spec: SourceSpec, base_dir: Path) -> list[Path] | None:
    """The files of a folder or glob source, sorted (a folder: every data file under it, hidden ones aside);
    None for a single-file source."""
    path = resolve_path(spec, base_dir)
    if any(c in str(spec.path) for c in GLOB_CHARS):
        import glob

        files = [Path(f) for f in glob.glob(str(path), recursive=True)]
        what = f"glob '{spec.path}'"
    elif path.is_dir():
        files = [f for f in path.rglob("*") if not any(part.startswith(".") for part in f.relative_to(path).parts)]
        what = f"folder {path}"
    else:
        return None
    known = spec.format != "auto"
    files = sorted(f for f in files if f.is_file() and (known or f.suffix.lower() in SUFFIX_FORMATS))
    if not files:
        raise HarnessError(f"{what} holds no data files ({', '.join(sorted(SUFFIX_FORMATS))})",
                           "point `path:` at a folder or glob of data files, or at one file")
    return files


def _rows(spec: SourceSpec, base_dir: Path, reader: DomainReader | None = None
          ) -> tuple[str, str, Iterator[Row], Encoding | None]:
    if spec.format == "hf":
        name, rows = _read_hf(spec, base_dir)
        return name, "hf", rows, None
    path = resolve_path(spec, base_dir)
    if reader is not None and path.is_dir():  # a folder the domain's reader knows (legal: a LegalBench task folder)
        try:
            folder_rows = reader(path, spec)
        except IsADirectoryError:  # a reader written for files only: read the folder's files one by one
            folder_rows = None
        if folder_rows is not None:
            return (str(path), "domain", (Row(f"{path.name} row {i}", dict(r)) for i, r in enumerate(folder_rows, 1)),
                    None)
    files = source_files(spec, base_dir)
    if files is None:
        fmt, rows, enc = _file_rows(spec, path, base_dir, reader)
        return str(path), fmt, rows, enc
    parts = [_file_rows(spec, f, base_dir, reader) for f in files]  # readers are lazy: one file open at a time
    formats = sorted({fmt for fmt, _, _ in parts})
    names = sorted({enc.name for _, _, enc in parts if enc is not None})
    enc = next((e for _, _, e in parts if e is not None), None)
    if len(names) > 1:  # files of one source may differ (a Windows export among UTF-8 ones): say so
        enc = Encoding(", ".join(names), "per file")
    rows = itertools.chain.from_iterable(r for _, r, _ in parts)
    return f"{spec.path} ({len(files)} files)", "+".join(formats), rows, enc


def _file_rows(spec: SourceSpec, path: Path, base_dir: Path, reader: DomainReader | None
               ) -> tuple[str, Iterator[Row], Encoding | None]:
    """One file's rows: the domain's reader first, then the built-in reader for its format."""
    require_file(path, "data file", f"check `path:` (relative paths start at {base_dir}) or use `source: generator`",
                 folder_fix="point `path:` at one file, a folder or glob of data files, or use format: hf for a "
                 "saved dataset folder")
    if reader is not None:
        domain_rows = reader(path, spec)
        if domain_rows is not None:
            return "domain", (Row(f"{path.name} row {i}", dict(r)) for i, r in enumerate(domain_rows, 1)), None
    fmt = resolve_format(spec, path)
    if fmt == "parquet":
        return fmt, _read_parquet(path), None
    enc = detect(path, spec.encoding)
    if fmt == "lines":
        return fmt, _read_lines(path, spec.group_lines, spec.group_seconds, enc.name), enc
    read = {"jsonl": _read_jsonl, "json": _read_json, "csv": _read_csv, "txt": _read_txt}[fmt]
    rows = read(path, enc.name)
    if spec.explode:
        rows = (out for row in rows for out in ([row] if isinstance(row, BadRow) else explode_rows(row, spec.explode)))
    return fmt, rows, enc


def _few_records_warning(name: str, fmt: str, n_records: int, base_dir: Path, spec: SourceSpec,
                         encoding: str = "utf-8-sig") -> str | None:
    """A warning when a source gave suspiciously few records (e.g. a log read as blank-line separated text)."""
    if fmt in ("txt", "lines") and spec.format != "hf" and resolve_path(spec, base_dir).is_file():
        with open(resolve_path(spec, base_dir), encoding=encoding, errors="replace") as fh:
            n_lines = sum(1 for line in fh if line.strip())
        if n_lines >= 50 and n_records * 20 <= n_lines:
            fix = ("set `format: lines` (one record per line) with `group_lines: N` or `group_seconds: S`"
                   if fmt == "txt" else "lower `group_lines` / `group_seconds`")
            return (f"{name}: {n_lines} lines gave only {n_records} record(s) ({fmt}: "
                    f"{'documents are separated by blank lines' if fmt == 'txt' else 'lines grouped'}); {fix}")
    if n_records < FEW_RECORDS and spec.limit is None:
        return f"{name}: only {n_records} record(s); training and validation splits will be tiny"
    return None


def load_source(spec: SourceSpec, base_dir: Path, *, expected: str | None = None,
                reader: DomainReader | None = None) -> Loaded:
    """Read a file/HF source into canonical records of its own kind (spec.kind, detected, or `expected`)."""
    name, fmt, rows, enc = _rows(spec, base_dir, reader)
    records: list[dict[str, Any]] = []
    kind = spec.file_kind
    dropped: dict[str, int] = {}
    examples: dict[str, str] = {}

    def drop(reason: str, error: HarnessError) -> None:
        if spec.on_bad_rows == "error":
            raise error
        dropped[reason] = dropped.get(reason, 0) + 1
        examples.setdefault(reason, error.problem)

    for row in rows:
        if spec.limit is not None and len(records) >= spec.limit:
            break
        if isinstance(row, BadRow):
            drop(row.reason, row.error)
            continue
        if kind is None:
            available = row.data if spec.columns else _community_schema(row.data)
            if expected and all(_column_for(f, spec.columns, available) for f in KIND_FIELDS[expected]):
                kind = expected
            else:
                kind = detect_kind(available, spec.columns)
            if kind is None:
                fields = ", ".join(f"{k}: {'/'.join(v)}" for k, v in KIND_FIELDS.items())
                raise HarnessError(f"{row.where}: cannot tell the record kind from columns "
                                   f"{sorted(available)} (kinds need {fields})",
                                   "set `file_kind:` and map columns with `columns:` (dotted paths reach nested "
                                   "fields; `explode:` expands lists) in the dataset spec")
        try:
            records.append(_to_record(row, kind, spec.columns))
        except HarnessError as exc:
            if not records:  # the first good row already fails: a mapping problem, not one bad row
                raise
            drop("invalid_record", exc)
    if not records:
        if dropped:
            raise HarnessError(f"{name}: no readable records ({sum(dropped.values())} malformed rows; first: "
                               f"{next(iter(examples.values()))})", "fix the file's format or point at another file")
        raise HarnessError(f"{name} holds no records ({fmt})",
                           "add data to the file or point `path:` at a non-empty file")
    assert kind is not None
    warning = _few_records_warning(name, fmt, len(records), base_dir, spec, enc.name if enc else "utf-8-sig")
    return Loaded(records, kind, name, dropped, examples, [warning] if warning else [], enc.report() if enc else {})


def load_records(spec: SourceSpec, base_dir: Path, kind: str | None = None, **convert_kwargs: Any) -> list[dict]:
    """Canonical records from a file/HF source; converted to `kind` when given (e.g. classification -> chat)."""
    return load_converted(spec, base_dir, kind, **convert_kwargs).records


def load_converted(spec: SourceSpec, base_dir: Path, kind: str | None = None, *,
                   reader: DomainReader | None = None, **convert_kwargs: Any) -> Loaded:
    """load_source, then conversion to `kind`; keeps the counts of rows dropped while reading."""
    loaded = load_source(spec, base_dir, expected=kind, reader=reader)
    if kind is None or kind == loaded.kind:
        return loaded
    if loaded.kind not in CONVERTIBLE.get(kind, ()):
        raise HarnessError(f"{loaded.source} holds {loaded.kind} records, which cannot be used as {kind}",
                           f"provide {kind} records (fields: {', '.join(KIND_FIELDS[kind])}) or one of the "
                           f"convertible kinds: {', '.join(CONVERTIBLE.get(kind, ()))}")
    kwargs = convert_kwargs if kind == "chat" else {}
    records = convert(loaded.records, loaded.kind, kind, **kwargs)
    return Loaded(records, kind, loaded.source, loaded.dropped, loaded.examples, loaded.warnings, loaded.encoding)
