"""Readers for the finance formats users have, as rows the harness maps with `columns:`.

hooks.read_file(path, spec) calls read_file() here for every file a finance dataset points at:
- TAT-QA JSON (a list of documents `{table: {table: [[cell, ...], ...]}, paragraphs: [{text}], questions:
  [{question, answer, answer_type, scale, derivation, ...}]}`): one row per question with the table in the
  domain's one text form (tables.render_table: Markdown pipes), the paragraphs, `prompt` (the suite's table-QA
  prompt: instruction, table, paragraphs, question), `completion` (the answer with its scale, e.g. `17.7%`),
  `derivation_completion` (the calculation and the answer, for arithmetic questions), `answer_type`, `scale`.
  For a `kind: text` dataset (CPT) it gives one row per document instead (`text` = table + paragraphs).
- FinQA JSON (a list of `{pre_text: [...], table: [[...]], post_text: [...], qa: {question, answer, program,
  exe_ans}}`): the same row shape (`derivation` = the program, `scale` left empty: FinQA answers carry their
  own unit).
- Financial PhraseBank lines (`sentence@label`, the release is Latin-1 encoded): rows {text, label}. The file
  is decoded as UTF-8 when it is valid UTF-8, else as Latin-1 (ISO-8859-1, the release's encoding), never with
  replacement characters; the encoding used is reported on stderr and kept in every row's `meta.encoding`.
- A labelled sentiment CSV whose mapped label column holds sentiment words or -1/0/1 (`Positive`, `bullish`,
  `neg`, `1`...): rows with the label normalised to negative / neutral / positive. Any other CSV is left to
  the harness's own reader.
Files this module does not recognise return None and the harness's readers take them.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.domains import module_file
from harness.errors import HarnessError

HERE = Path(__file__).resolve().parent


def _sibling(name: str) -> ModuleType:
    """A module next to this file (harness.domains.module_file: loaded once per path)."""
    return module_file(Path(__file__).with_name(f"{name}.py"))


T = _sibling("tables")
PHRASEBANK_LINE = re.compile(r"^(?P<text>.+)@(?P<label>positive|negative|neutral)\s*$", re.IGNORECASE)
SENTIMENT_WORDS = {
    "negative": "negative", "neg": "negative", "bearish": "negative", "-1": "negative", "-1.0": "negative",
    "neutral": "neutral", "neu": "neutral", "0": "neutral", "0.0": "neutral",
    "positive": "positive", "pos": "positive", "bullish": "positive", "1": "positive", "1.0": "positive",
}


def _g():
    return _sibling("generator")


# ---------------------------------------------------------------- TAT-QA / FinQA

def _answer_string(answer: Any, scale: str) -> str:
    """TAT-QA answers: a number (with the question's scale), or a list of spans joined with '; '."""
    if isinstance(answer, list):
        return "; ".join(str(a) for a in answer)
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        return T.answer_text(answer, scale)
    return T.answer_text(str(answer), scale) if scale and str(answer).strip() else str(answer)


def _qa_row(rid: str, table: str, paragraphs: list[str], question: str, answer: str, derivation: str,
            **extra: Any) -> dict[str, Any]:
    g = _g()
    context = "\n".join(p.strip() for p in paragraphs if p and p.strip())
    return {
        "id": rid, "table": table, "paragraphs": context, "question": question, "answer": answer,
        "derivation": derivation, "prompt": g.qa_prompt(table, context, question), "completion": answer,
        "derivation_completion": f"{derivation} = {answer}" if derivation else answer,
        "text": f"{table}\n{context}\nQ: {question}\nA: {answer}", **extra,
    }


def tatqa_rows(data: list[dict[str, Any]], per_document: bool = False) -> list[dict[str, Any]]:
    rows = []
    for d, doc in enumerate(data):
        cells = (doc.get("table") or {}).get("table") or []
        table = T.render_table(cells)
        paragraphs = [p.get("text", "") for p in sorted(doc.get("paragraphs") or [], key=lambda p: p.get("order", 0))]
        doc_id = (doc.get("table") or {}).get("uid") or f"doc{d}"
        if per_document:
            rows.append({"id": doc_id, "text": "\n".join([table, *paragraphs]).strip(), "table": table,
                         "paragraphs": "\n".join(paragraphs), "n_questions": len(doc.get("questions") or [])})
            continue
        for q in doc.get("questions") or []:
            scale = q.get("scale") or ""
            answer = _answer_string(q.get("answer", ""), scale)
            rows.append(_qa_row(q.get("uid") or f"{doc_id}-{q.get('order')}", table, paragraphs, q["question"],
                                answer, (q.get("derivation") or "").strip(), answer_type=q.get("answer_type", ""),
                                answer_from=q.get("answer_from", ""), scale=scale, document=doc_id))
    return rows


def finqa_rows(data: list[dict[str, Any]], per_document: bool = False) -> list[dict[str, Any]]:
    rows = []
    for d, doc in enumerate(data):
        table = T.render_table(doc.get("table") or [])
        paragraphs = [*(doc.get("pre_text") or []), *(doc.get("post_text") or [])]
        rid = str(doc.get("id") or f"doc{d}")
        if per_document:
            rows.append({"id": rid, "text": "\n".join([table, *paragraphs]).strip(), "table": table,
                         "paragraphs": "\n".join(paragraphs)})
            continue
        qa = doc.get("qa") or {}
        answer = qa.get("answer")
        if answer in (None, ""):
            answer = qa.get("exe_ans", "")
        rows.append(_qa_row(rid, table, paragraphs, qa.get("question", ""), str(answer),
                            (qa.get("program") or "").strip(), answer_type="arithmetic" if qa.get("program") else "",
                            scale="", document=rid))
    return rows


def _json_format(data: Any) -> str | None:
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
    if first is None:
        return None
    if "questions" in first and isinstance(first.get("table"), dict) and "paragraphs" in first:
        return "tatqa"
    if "qa" in first and ("pre_text" in first or "post_text" in first):
        return "finqa"
    return None


# ---------------------------------------------------------------- Financial PhraseBank

def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when the bytes are valid UTF-8, else Latin-1 (which decodes any byte)."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


SNIFF_BYTES = 64 * 1024


def _looks_like_phrasebank(head: bytes) -> bool:
    """Most of the first lines end in `@positive|negative|neutral` (judged on the first 64 KiB only)."""
    lines = [ln for ln in head.decode("latin-1").splitlines()[:50] if ln.strip()]
    if len(head) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    return bool(lines) and sum(bool(PHRASEBANK_LINE.match(ln)) for ln in lines) >= 0.8 * len(lines)


def phrasebank_rows(path: Path, text: str, encoding: str) -> list[dict[str, Any]] | None:
    lines = [line for line in text.splitlines() if line.strip()]
    head = lines[:50]
    if not head or sum(bool(PHRASEBANK_LINE.match(line)) for line in head) < 0.8 * len(head):
        return None
    rows = []
    for i, line in enumerate(lines, 1):
        m = PHRASEBANK_LINE.match(line)
        # a line without `@label` is kept as a row with no label: the loader drops and counts it
        rows.append({"id": f"{path.stem}-{i}", "text": m["text"].strip() if m else line.strip(),
                     "label": m["label"].lower() if m else None, "meta": {"encoding": encoding}})
    print(f"finance: {path.name}: Financial PhraseBank lines decoded as {encoding} ({len(rows)} rows)",
          file=sys.stderr)
    return rows


# ---------------------------------------------------------------- labelled sentiment CSV

def sentiment_csv_rows(path: Path, spec: Any) -> list[dict[str, Any]] | None:
    label_col = (getattr(spec, "columns", None) or {}).get("label", "label")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    values = {str(r.get(label_col, "")).strip().lower() for r in rows}
    if not rows or label_col not in rows[0] or not values or not values <= set(SENTIMENT_WORDS):
        return None
    for r in rows:
        r[label_col] = SENTIMENT_WORDS[str(r[label_col]).strip().lower()]
    return rows


# ---------------------------------------------------------------- entry point

def read_file(path: Path, spec: Any = None) -> list[dict[str, Any]] | None:
    """Rows of a finance file this module knows, or None (the harness's own readers take it)."""
    kind = getattr(spec, "file_kind", None) or getattr(spec, "kind", None)
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None  # the harness's JSON reader reports it
        fmt = _json_format(data)
        if fmt is None:
            return None
        rows = (tatqa_rows if fmt == "tatqa" else finqa_rows)(data, per_document=kind == "text")
        if not rows:
            raise HarnessError(f"{path}: {fmt} file holds no questions", "point the dataset at a file with questions")
        return rows
    if suffix in (".txt", "") or path.name.startswith("Sentences"):
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
        if not _looks_like_phrasebank(head):
            return None  # a plain text / log file: read once, by the harness
        text, encoding = decode(path.read_bytes())
        return phrasebank_rows(path, text, encoding)
    if suffix == ".csv":
        return sentiment_csv_rows(path, spec)
    return None


__all__ = ["decode", "finqa_rows", "phrasebank_rows", "read_file", "sentiment_csv_rows", "tatqa_rows"]
