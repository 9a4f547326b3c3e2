"""Readers for the log formats security teams have, as rows the harness maps with `columns:`.

hooks.read_file(path, spec) calls read_file() here for every file a security_logs dataset points at:
- loghub raw logs (`<System>_2k.log`, any loghub system in LOG_FORMATS, recognised by the file name prefix or,
  failing that, by which format parses most of the first lines): one row per line with the system's fields
  (OpenSSH: Date, Day, Time, Component, Pid, Content; Linux: Month, Date, Time, Level, Component, PID, Content;
  HDFS: Date, Time, Pid, Level, Component, Content; BGL: Label, Timestamp, Date, Node, Time, ...). When a
  `<name>_templates.csv` sits next to the log, each line's Content is matched to its EventId / EventTemplate.
- loghub `_structured.csv` (whatever columns the system has); EventTemplate is joined from the sibling
  `_templates.csv` when the structured file only carries EventId.
- BGL-style labelled lines (a `Label` field, `-` = normal, anything else is the alert category): every row
  gets `anomaly` = "no" / "yes".
Every row also gets `text` (= Content, the message) and `line` (the whole line), plus `label` (= EventTemplate)
when a template is known, so `kind: text` / `kind: classification` work with no mapping and any other field is
one `columns:` entry away (`{label: anomaly}`, `{text: line}`, `{label: EventId}`).
Files this module does not recognise (JSONL, plain CSV, a generic one-line-per-row text file) return None and
the harness's own readers take them (`format: lines` for a generic log).

Users and hosts are pseudonymised here, consistently across the file (a keyed hash per name, so the same account
is the same pseudonym on every line and in every file prepared with the same salt); IPs and MACs are left to
the manifest's `cleaning.pii` (mode pseudonymize: prefix-preserving, so a /24 stays a /24).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# loghub's own parser settings (logparser benchmark): `<Field>` = one whitespace-free token, Content = the rest.
LOG_FORMATS: dict[str, str] = {
    "OpenSSH": r"<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>",
    "Linux": r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
    "HDFS": r"<Date> <Time> <Pid> <Level> <Component>: <Content>",
    "BGL": r"<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>",
    "Thunderbird": r"<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> <Component>(\[<PID>\])?: "
                   r"<Content>",
    "Apache": r"\[<Time>\] \[<Level>\] <Content>",
    "Hadoop": r"<Date> <Time> <Level> \[<Process>\] <Component>: <Content>",
    "Spark": r"<Date> <Time> <Level> <Component>: <Content>",
    "Zookeeper": r"<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>",
    "HealthApp": r"<Time>\|<Component>\|<Pid>\|<Content>",
    "Android": r"<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>",
    "Proxifier": r"\[<Time>\] <Program> - <Content>",
    "Mac": r"<Month>  <Date> <Time> <User> <Component>\[<PID>\]( \(<Address>\))?: <Content>",
}
# Where each system keeps the machine name (pseudonymised like a user name).
HOST_FIELDS = {"OpenSSH": "Component", "Linux": "Level", "Thunderbird": "Location", "Mac": "User"}
# Accounts every Unix box has: kept as they are, because "root" being guessed is the attack pattern.
SYSTEM_ACCOUNTS = frozenset({"root", "admin", "nobody", "daemon", "bin", "sys", "www-data", "mysql", "postgres",
                             "ftp", "guest", "test", "oracle", "ubuntu", "pi", "user", "unknown", "sshd", "apache",
                             "nginx", "git", "backup", "operator", "support"})
USER_PATTERNS = [re.compile(p) for p in (
    r"(?<![\w-])(?:user|ruser|logname|USER)=(?P<name>[A-Za-z_][\w.-]{0,31})\b",
    r"\b(?:[Ii]nvalid user|for user|(?:Accepted|Failed) \w+ for(?: invalid user)?|Disconnected from user|sudo:) "
    r"(?P<name>[A-Za-z_][\w.-]{0,31})\b",
)]
HOST_PATTERNS = [re.compile(p) for p in (
    r"rhost=(?P<name>[A-Za-z][\w-]*(?:\.[\w-]+)+)", r"getaddrinfo for (?P<name>[A-Za-z][\w-]*(?:\.[\w-]+)+)",
)]
_KEYWORDS = frozenset({"invalid", "user", "from", "the", "uid", "root", "for", "unknown", "none", "pam_unix"})


def _format_regex(fmt: str) -> tuple[re.Pattern[str], list[str]]:
    fields: list[str] = []
    out = ""
    for part in re.split(r"(<[^<>]+>)", fmt):
        if part.startswith("<") and part.endswith(">"):
            name = part[1:-1]
            fields.append(name)
            out += f"(?P<{name}>.*?)" if name == "Content" else f"(?P<{name}>\\S+?)"
        else:
            out += re.sub(r" +", r"\\s+", part)
    return re.compile(f"^{out}$"), fields


FORMAT_REGEXES = {name: _format_regex(fmt) for name, fmt in LOG_FORMATS.items()}


class Pseudonyms:
    """Keyed, consistent pseudonyms for user and host names (user-1a2b3c, host-4d5e6f)."""

    def __init__(self, salt: bytes) -> None:
        self.salt = salt
        self.cache: dict[tuple[str, str], str] = {}

    def fake(self, kind: str, name: str) -> str:
        if kind == "user" and (name.lower() in SYSTEM_ACCOUNTS or name.lower() in _KEYWORDS):
            return name
        key = (kind, name)
        if key not in self.cache:
            digest = hmac.new(self.salt, f"{kind}\x00{name}".encode(), hashlib.sha256).hexdigest()[:6]
            self.cache[key] = f"{kind}-{digest}"
        return self.cache[key]

    def text(self, value: str, hosts: Iterable[str] = ()) -> str:
        for pattern in USER_PATTERNS:
            value = pattern.sub(lambda m: m.group(0)[:m.start("name") - m.start()] + self.fake("user", m["name"]),
                                value)
        for pattern in HOST_PATTERNS:
            value = pattern.sub(lambda m: m.group(0)[:m.start("name") - m.start()] + self.fake("host", m["name"]),
                                value)
        for host in hosts:
            value = re.sub(rf"(?<![\w.-]){re.escape(host)}(?![\w-])", self.fake("host", host), value)
        return value


def system_of(path: Path, lines: list[str]) -> str | None:
    """The loghub system of a raw log: the file name prefix (OpenSSH_2k.log), else the format most lines fit."""
    prefix = path.name.split("_")[0].split(".")[0].lower()
    for name in LOG_FORMATS:
        if name.lower() == prefix:
            return name
    sample = [ln for ln in lines[:50] if ln.strip()]
    if not sample:
        return None
    best = max(LOG_FORMATS, key=lambda n: sum(bool(FORMAT_REGEXES[n][0].match(ln)) for ln in sample))
    hits = sum(bool(FORMAT_REGEXES[best][0].match(ln)) for ln in sample)
    return best if hits >= 0.8 * len(sample) else None


def read_templates(path: Path) -> list[tuple[str, str, re.Pattern[str]]]:
    """(EventId, EventTemplate, regex) from a loghub `_templates.csv`; `<*>` matches any run of characters."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        template = row["EventTemplate"]
        regex = ".*?".join(re.escape(part) for part in template.split("<*>"))
        out.append((row["EventId"], template, re.compile(f"^{regex}$")))
    # most specific first: longer literal text wins when several templates match
    return sorted(out, key=lambda t: -len(t[1].replace("<*>", "")))


def match_template(content: str, templates: list[tuple[str, str, re.Pattern[str]]]) -> tuple[str, str] | None:
    stripped = content.strip()
    for event_id, template, regex in templates:
        if regex.match(stripped):
            return event_id, template
    return None


def _templates_beside(path: Path) -> Path | None:
    stem = path.name.removesuffix("_structured.csv")
    for name in (f"{stem}_templates.csv", f"{path.name}_templates.csv"):
        candidate = path.with_name(name)
        if candidate.is_file():
            return candidate
    return None


def _finish(row: dict[str, Any], pseudonyms: Pseudonyms | None, host_field: str | None) -> dict[str, Any]:
    if "Label" in row and row["Label"] not in (None, ""):
        row["anomaly"] = "no" if str(row["Label"]).strip() == "-" else "yes"
    if row.get("EventTemplate"):
        row["label"] = row["EventTemplate"]
    if pseudonyms is not None:
        hosts = [row[host_field]] if host_field and row.get(host_field) else []
        for key, value in list(row.items()):
            if isinstance(value, str) and key not in ("EventTemplate", "label", "EventId", "Label", "anomaly"):
                row[key] = pseudonyms.text(value, hosts) if key != host_field else pseudonyms.fake("host", value)
    row["text"] = row.get("Content", row.get("line", ""))
    return row


def read_raw_log(path: Path, pseudonyms: Pseudonyms | None = None, system: str | None = None) -> Iterator[dict]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = [ln.rstrip("\r\n") for ln in fh]
    system = system or system_of(path, lines)
    if system is None:
        return iter(())
    regex, _ = FORMAT_REGEXES[system]
    templates_file = _templates_beside(path)
    templates = read_templates(templates_file) if templates_file else []
    host_field = HOST_FIELDS.get(system)

    def rows() -> Iterator[dict]:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            m = regex.match(line.strip())
            row: dict[str, Any] = {k: v for k, v in m.groupdict().items() if v is not None} if m else {}
            row.setdefault("Content", line.strip())
            row.update({"LineId": number, "system": system, "line": line.strip()})
            if templates:
                found = match_template(row["Content"], templates)
                if found:
                    row["EventId"], row["EventTemplate"] = found
            yield _finish(row, pseudonyms, host_field)
    return rows()


def read_structured_csv(path: Path, pseudonyms: Pseudonyms | None = None) -> Iterator[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    templates_file = _templates_beside(path)
    by_id = {e: t for e, t, _ in read_templates(templates_file)} if templates_file else {}
    system = path.name.split("_")[0]
    host_field = HOST_FIELDS.get(system)
    for row in rows:
        row = {k: v for k, v in row.items() if k is not None}
        if not row.get("EventTemplate") and row.get("EventId") in by_id:
            row["EventTemplate"] = by_id[row["EventId"]]
        row["system"] = system
        row["line"] = " ".join(str(row[k]) for k in row if k not in ("LineId", "EventId", "EventTemplate", "system"))
        yield _finish(row, pseudonyms, host_field)


def grouped(rows: Iterable[dict], n: int) -> Iterator[dict]:
    """`group_lines: n` for a raw log: n consecutive lines per row, whole lines as `text` (for CPT); a group is
    an anomaly when any of its lines is (BGL)."""
    batch: list[dict] = []
    for row in [*rows, None]:
        if row is not None:
            batch.append(row)
        if batch and (row is None or len(batch) == n):
            text = "\n".join(r["line"] for r in batch)
            out = {"text": text, "line": text, "system": batch[0]["system"], "LineId": batch[0]["LineId"]}
            if any("anomaly" in r for r in batch):
                out["anomaly"] = "yes" if any(r.get("anomaly") == "yes" for r in batch) else "no"
            yield out
            batch = []


def read_file(path: Path, pseudonyms: Pseudonyms | None = None, group_lines: int = 1) -> Iterator[dict] | None:
    """Rows of a loghub raw log or structured CSV; None for any other file (the harness reads those)."""
    name = path.name
    if name.endswith("_templates.csv"):
        return None
    if name.endswith("_structured.csv"):
        return read_structured_csv(path, pseudonyms)
    if path.suffix == ".log":
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = [next(fh, "").rstrip("\r\n") for _ in range(50)]
        if system_of(path, head) is None:
            return None
        rows = read_raw_log(path, pseudonyms)
        return grouped(rows, group_lines) if group_lines > 1 else rows
    return None
