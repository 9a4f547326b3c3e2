"""Readers for the legal formats users have, as rows the harness maps with `columns:` (hooks.read_file).

- LegalBench task folders (`train.tsv` / `test.tsv`: a header whose column order varies by task, `answer` plus
  one or more text columns, and `base_prompt.txt` with `{{column}}` slots next to them). Point a dataset at the
  TSV (or at the task folder: its `test.tsv`, else `train.tsv`). Each row keeps its columns and gains
  `prompt` (base_prompt.txt filled in: the task's own few-shot prompt), `zero_shot_prompt` (its instruction
  paragraph and the final query block only, for small context windows), `completion` and `label` (= answer).
  So `kind: chat` (SFT) and `kind: classification` need no mapping; `legal_legalbench_task` writes the same
  folder out as an lm-eval task.
- CUAD / SQuAD-v2-style JSON (data -> paragraphs -> qas -> answers with answer_start; `is_impossible` or an
  empty answer list marks an unanswerable question): one row per question with `context`, `question`,
  `answer` (first answer, '' when unanswerable), `answer_start`, `is_impossible`, and `prompt` / `completion`
  in the suite's extraction format ('not stated' for no answer). Contexts longer than CONTEXT_CHARS (CUAD holds
  whole contracts) are cut to a window around the answer, flagged `context_cut`.
- ContractNLI-style JSON (`documents` with `text`, `spans` [[start, end]...] and `annotation_sets` of
  hypothesis-id -> {choice, spans}; top-level `labels` hypothesis-id -> {hypothesis}): one row per (document,
  hypothesis) with `premise` (the evidence spans; the document's first CONTEXT_CHARS when it cites none),
  `hypothesis`, `label` (entailed / contradicted / not mentioned), `text` (premise + hypothesis, for a classifier)
  and `prompt` / `completion` in the suite's NLI format.
- LEDGAR's original JSONL (`provision`, `label` as a list, `source`): `text` = provision, `label` = first label,
  `labels` = all of them joined with '; '. LexGLUE's release ({text, label}) and any (text, label) CSV need
  no reader: the harness's own readers take them.
Any other file returns None and the harness's readers take it.

Individual party names in case captions ("Miller v. Kowalski", "In re Garcia") are pseudonymised here with a
keyed hash (the PII salt), consistently across a file, keeping the caption's shape; corporate and public
parties (Inc., LLC, State, United States...) are kept. Docket / bar numbers, emails, phones and other names are
left to the manifest's `cleaning.pii`.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CONTEXT_CHARS = 1500
NLI_CHOICES = {"entailment": "entailed", "contradiction": "contradicted", "notmentioned": "not mentioned"}
SLOT = re.compile(r"\{\{\s*([A-Za-z_][\w ]*?)\s*\}\}")
# Words that make a caption party an institution, kept as written.
INSTITUTIONAL = frozenset("""State States United People Commonwealth City County Town Village Republic Kingdom
Government Department Board Bank Inc Inc. LLC L.L.C. LLP Corp Corp. Corporation Co Co. Company Ltd Ltd. Limited plc PLC
GmbH S.A. N.A. Trust Association University Hospital Authority Commission Agency Insurance Holdings Group Partners
Secretary Commissioner Attorney General Federal National International America Union Council School District
Court Estate Fund Systems Services Technologies Industries Enterprises""".split())
# Capitalised words that open a sentence or citation before a caption, not part of the party's name.
LEADING = frozenset("In See Also Cf The And But Under From Per Citing Compare With After Following Unlike".split())
_NAME = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
CAPTION = re.compile(rf"\b(?P<p>(?:{_NAME} ){{0,2}}{_NAME}) v\. (?P<d>(?:{_NAME} ){{0,2}}{_NAME})\b")
IN_RE = re.compile(rf"\bIn re (?P<p>(?:{_NAME} )?{_NAME})\b")


# ---------------------------------------------------------------- caption pseudonyms

class Parties:
    """Keyed, consistent fake surnames for individual parties in case captions."""

    def __init__(self, salt: bytes) -> None:
        from harness.cleaning.names import FAKE_LAST

        self.salt = salt
        self.names = sorted(FAKE_LAST)
        self.cache: dict[str, str] = {}

    def fake(self, name: str) -> str:
        if name not in self.cache:
            words = name.split()
            out = []
            for w in words:
                digest = hmac.new(self.salt, f"party\x00{w}".encode(), hashlib.sha256).digest()
                out.append(self.names[int.from_bytes(digest[:4], "big") % len(self.names)])
            self.cache[name] = " ".join(out)
        return self.cache[name]

    def party(self, name: str) -> str:
        words = name.split()
        lead = []
        while len(words) > 1 and words[0] in LEADING:  # "In Miller v. ...": the party is Miller
            lead.append(words.pop(0))
        if any(w in INSTITUTIONAL for w in words):
            return name
        return " ".join([*lead, self.fake(" ".join(words))])

    def text(self, value: str) -> str:
        if " v. " not in value and "In re " not in value:
            return value
        value = CAPTION.sub(lambda m: f"{self.party(m['p'])} v. {self.party(m['d'])}", value)
        return IN_RE.sub(lambda m: f"In re {self.party(m['p'])}", value)


# ---------------------------------------------------------------- LegalBench

def legalbench_files(path: Path) -> tuple[Path, Path] | None:
    """(TSV, base_prompt.txt) of a LegalBench task given its folder or one of its TSVs; None if it is not one."""
    folder = path if path.is_dir() else path.parent
    prompt = folder / "base_prompt.txt"
    if not prompt.is_file():
        return None
    if path.is_dir():
        tsv = next((folder / n for n in ("test.tsv", "train.tsv") if (folder / n).is_file()), None)
        return (tsv, prompt) if tsv else None
    return (path, prompt) if path.suffix.lower() == ".tsv" else None


def zero_shot(base_prompt: str) -> str:
    """The instruction paragraph and the final query block of a LegalBench prompt (its examples dropped)."""
    blocks = [b for b in re.split(r"\n\s*\n", base_prompt.strip()) if b.strip()]
    if len(blocks) <= 2:
        return base_prompt.strip()
    return f"{blocks[0].strip()}\n\n{blocks[-1].strip()}"


def fill(template: str, row: dict[str, Any], where: str) -> str:
    from harness.errors import HarnessError

    missing = sorted({m for m in SLOT.findall(template) if m not in row})
    if missing:
        raise HarnessError(f"{where}: base_prompt.txt has slot(s) {{{{{', '.join(missing)}}}}} that the TSV "
                           f"lacks (columns: {', '.join(sorted(row))})",
                           "use the TSV of the same LegalBench task as its base_prompt.txt")
    return SLOT.sub(lambda m: str(row[m.group(1)]), template)


def read_legalbench(tsv: Path, prompt_file: Path, parties: Parties | None) -> Iterator[dict[str, Any]]:
    base = prompt_file.read_text(encoding="utf-8")
    short = zero_shot(base)
    with open(tsv, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        for i, row in enumerate(reader, 1):
            row = {k.strip(): (v or "") for k, v in row.items() if k is not None}
            if parties is not None:
                row = {k: parties.text(v) for k, v in row.items()}
            answer = row.get("answer", "").strip()
            yield {**row, "prompt": fill(base, row, f"{tsv}:{i + 1}").rstrip(),
                   "zero_shot_prompt": fill(short, row, f"{tsv}:{i + 1}").rstrip(),
                   "completion": answer, "label": answer, "task": tsv.parent.name}


# ---------------------------------------------------------------- CUAD / SQuAD v2

def _window(context: str, start: int, length: int) -> tuple[str, int]:
    """A CONTEXT_CHARS window holding [start, start+length) (the opening when start < 0); returns (text, offset)."""
    if len(context) <= CONTEXT_CHARS:
        return context, 0
    if start < 0:
        return context[:CONTEXT_CHARS], 0
    lo = max(0, min(start - (CONTEXT_CHARS - length) // 2, len(context) - CONTEXT_CHARS))
    return context[lo:lo + max(CONTEXT_CHARS, length)], lo


def read_squad(data: dict[str, Any], extract_instruction: str, not_stated: str,
               parties: Parties | None) -> Iterator[dict[str, Any]]:
    for doc in data["data"]:
        for para in doc.get("paragraphs", []):
            full = para.get("context", "")
            for qa in para.get("qas", []):
                answers = [a for a in qa.get("answers", []) if a.get("text")]
                impossible = bool(qa.get("is_impossible", not answers)) or not answers
                answer = "" if impossible else answers[0]["text"]
                start = -1 if impossible else int(answers[0].get("answer_start", full.find(answer)))
                context, offset = _window(full, start, len(answer))
                question = qa.get("question", "")
                if parties is not None:
                    context, question = parties.text(context), parties.text(question)
                    answer = parties.text(answer)
                yield {"id": qa.get("id"), "title": doc.get("title", ""), "context": context, "question": question,
                       "answer": answer, "answer_start": start - offset if start >= 0 else -1,
                       "is_impossible": impossible, "context_cut": len(full) > CONTEXT_CHARS,
                       "prompt": extract_instruction.format(context=context, question=question),
                       "completion": answer or not_stated}


# ---------------------------------------------------------------- ContractNLI

def read_contract_nli(data: dict[str, Any], nli_instruction: str, parties: Parties | None) -> Iterator[dict[str, Any]]:
    labels = data.get("labels", {})
    for doc in data["documents"]:
        text, spans = doc.get("text", ""), doc.get("spans", [])
        for annotation_set in doc.get("annotation_sets", [])[:1]:  # the first annotator's set, as ContractNLI scores
            for hid, ann in annotation_set.get("annotations", {}).items():
                evidence = [text[spans[i][0]:spans[i][1]].strip() for i in ann.get("spans", []) if i < len(spans)]
                premise = " ".join(evidence) if evidence else text[:CONTEXT_CHARS]
                hyp = labels.get(hid, {}).get("hypothesis", hid)
                label = NLI_CHOICES.get(str(ann.get("choice", "")).lower().replace("_", ""), str(ann.get("choice")))
                if parties is not None:
                    premise = parties.text(premise)
                yield {"id": f"{doc.get('id', doc.get('file_name', ''))}/{hid}", "document": doc.get("file_name", ""),
                       "hypothesis_id": hid, "premise": premise, "hypothesis": hyp, "label": label,
                       "evidence_found": bool(evidence), "text": f"{premise}\nHypothesis: {hyp}",
                       "prompt": nli_instruction.format(premise=premise, hypothesis=hyp), "completion": label}


# ---------------------------------------------------------------- dispatch

def _first_json_line(path: Path) -> dict[str, Any] | None:
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    return None
                return obj if isinstance(obj, dict) else None
    return None


def read_ledgar(path: Path, parties: Parties | None) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            labels = row.get("label") if isinstance(row.get("label"), list) else [row.get("label")]
            text = row.get("provision", "")
            yield {**row, "text": parties.text(text) if parties else text, "label": str(labels[0]),
                   "labels": "; ".join(str(x) for x in labels)}


def read_file(path: Path, *, extract_instruction: str, nli_instruction: str, not_stated: str,
              parties: Parties | None) -> Iterator[dict[str, Any]] | None:
    """Rows of a legal-format file (see the module docstring), or None for files the harness reads itself."""
    legalbench = legalbench_files(path)
    if legalbench is not None:
        return read_legalbench(*legalbench, parties)
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None  # the harness's JSON reader reports the syntax error with its line
        if isinstance(data, dict) and isinstance(data.get("data"), list) and data["data"] \
                and isinstance(data["data"][0], dict) and "paragraphs" in data["data"][0]:
            return read_squad(data, extract_instruction, not_stated, parties)
        if isinstance(data, dict) and isinstance(data.get("documents"), list) and "labels" in data:
            return read_contract_nli(data, nli_instruction, parties)
        return None
    if suffix in (".jsonl", ".ndjson"):
        first = _first_json_line(path)
        if first is not None and "provision" in first and "label" in first:
            return read_ledgar(path, parties)
    return None
