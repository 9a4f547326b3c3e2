"""security_logs: the loghub / BGL readers on small fixtures written in those formats, consistent pseudonyms that
keep attack patterns visible after prep, generated data disjoint from the suite, the suite's shape (balanced
yes/no, >= 150 items per 0/1 task) and its committed data matching the generator."""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from harness.domains import load_domain

FIXTURES = Path(__file__).parent / "fixtures" / "security_logs"
DOMAIN = load_domain("security_logs")
SUITE_DATA = DOMAIN.suite_root / "data"


def _formats():
    return DOMAIN.hooks._sibling("formats")


def _rows(name: str) -> list[dict]:
    rows = DOMAIN.hooks.read_file(FIXTURES / name)
    assert rows is not None, name
    return list(rows)


# ---------------------------------------------------------------- readers

def test_raw_loghub_log_is_parsed_and_matched_to_its_templates() -> None:
    rows = _rows("OpenSSH_mini.log")
    assert len(rows) == 11 and {r["system"] for r in rows} == {"OpenSSH"}
    first = rows[1]
    assert {"Date", "Day", "Time", "Component", "Pid", "Content"} <= set(first)
    assert first["EventId"] == "E13" and first["label"] == "Invalid user <*> from <*>"
    assert first["text"] == first["Content"] and first["Content"].startswith("Invalid user user-")
    assert all(r.get("EventTemplate") for r in rows)  # every line found its template in the sibling CSV
    # hosts (the syslog host field, reverse-DNS names) and users are pseudonymised; root stays root
    assert {r["Component"] for r in rows} == {DOMAIN.hooks.pseudonyms().fake("host", "LabSZ")}
    assert "LabSZ" not in json.dumps(rows) and "fztu" not in json.dumps(rows) and "webmaster" not in json.dumps(rows)
    assert "badhost" not in json.dumps(rows)
    assert rows[3]["Content"].startswith("Failed password for root from")


def test_the_same_user_gets_one_pseudonym_everywhere() -> None:
    rows = _rows("OpenSSH_mini.log")
    fake = DOMAIN.hooks.pseudonyms().fake("user", "fztu")
    # fztu logs in (line 7), opens a session (8) and is guessed by another source (11): one pseudonym throughout
    assert all(fake in rows[i]["Content"] for i in (6, 7, 10))
    structured = _rows("OpenSSH_mini.log_structured.csv")
    assert fake in structured[3]["Content"]  # and the same one in another file of the same system


def test_structured_csv_joins_templates_when_it_has_only_event_ids() -> None:
    rows = _rows("Linux_mini.log_structured.csv")
    assert [r["EventId"] for r in rows] == ["E16", "E27", "E45"]
    assert rows[1]["label"] == "check pass; user unknown"
    assert rows[0]["label"].startswith("authentication failure; logname= uid=<*>")
    assert "rhost=218.188.2.4" in rows[0]["Content"]  # `ruser= rhost=` is not mistaken for a user name
    assert {"Month", "Date", "Time", "Level", "Component", "PID"} <= set(rows[0])


def test_bgl_labelled_lines_give_an_anomaly_label() -> None:
    rows = _rows("BGL_mini.log")
    assert [r["anomaly"] for r in rows] == ["no", "no", "yes", "no", "yes"]
    assert rows[2]["Label"] == "KERNDTLB" and rows[2]["Content"] == "data TLB error interrupt"
    assert rows[0]["Node"] == "R02-M1-N0-C:J12-U11"


def test_unknown_files_are_left_to_the_harness_readers() -> None:
    assert DOMAIN.hooks.read_file(FIXTURES / "plain_lines.txt") is None
    assert DOMAIN.hooks.read_file(FIXTURES / "OpenSSH_mini.log_templates.csv") is None


def test_system_is_recognised_by_format_when_the_name_does_not_say(tmp_path: Path) -> None:
    renamed = tmp_path / "auth-server.log"
    renamed.write_text((FIXTURES / "OpenSSH_mini.log").read_text())
    rows = list(_formats().read_file(renamed))
    assert {r["system"] for r in rows} == {"OpenSSH"} and rows[0]["Pid"] == "24200"


# ---------------------------------------------------------------- prep: file sources + pseudonymisation

@pytest.fixture()
def prepared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from harness.prep import prepare_domain

    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    overrides = {
        "generator": {"n_logs": 20, "n_sft": 20, "n_dpo": 20},
        "datasets": {
            "logs": {"source": "file", "path": str(FIXTURES / "OpenSSH_mini.log"), "columns": {"text": "line"},
                     "replay_general": 0},
            "chats": {"source": "file", "path": str(FIXTURES / "OpenSSH_mini.log_structured.csv"),
                      "file_kind": "classification", "columns": {"text": "Content", "label": "EventTemplate"}},
            "bgl": {"kind": "classification", "source": "file", "path": str(FIXTURES / "BGL_mini.log"),
                    "columns": {"text": "Content", "label": "anomaly"}},
            "plain": {"kind": "text", "source": "file", "path": str(FIXTURES / "plain_lines.txt"), "format": "lines"},
        },
    }
    return prepare_domain(DOMAIN, overrides=overrides)


def _all(prepared, name: str) -> list[dict]:
    train, val = prepared.paths(name)
    return [json.loads(line) for p in (train, val) for line in p.read_text().splitlines()]


IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")


def test_prep_pseudonymises_ips_consistently_and_the_brute_force_survives(prepared) -> None:
    logs = sorted(_all(prepared, "logs"), key=lambda r: r["text"][:15])
    assert len(logs) == 11
    text = "\n".join(r["text"] for r in logs)
    assert not {"198.51.100.7", "198.51.100.9", "203.0.113.50", "10.1.2.30"} & set(IP.findall(text))
    # the attacker's failed logins: one source before masking -> one (fake) source after, same count
    original = (FIXTURES / "OpenSSH_mini.log").read_text().splitlines()
    failed_before = Counter(IP.search(ln).group() for ln in original if "Failed password" in ln)
    failed_after = Counter(IP.search(r["text"]).group() for r in logs if "Failed password" in r["text"])
    assert sorted(failed_after.values()) == sorted(failed_before.values()) == [1, 1, 3]
    attacker = failed_after.most_common(1)[0][0]
    assert text.count(attacker) == sum("198.51.100.7" in ln for ln in original)  # every line of it, no other
    # subnet shape kept: .7 and .9 share their /24 before, so their pseudonyms do too; the other /24 differs
    fakes = {ip for ip in IP.findall(text)}
    nets = Counter(ipaddress.ip_network(f"{ip}/24", strict=False) for ip in fakes)
    assert sorted(nets.values()) == [1, 1, 2]  # 198.51.100.{7,9} -> one fake /24; 203.0.113.50 and 10.1.2.30 alone
    private = [ip for ip in fakes if ipaddress.ip_address(ip).is_private and ip.startswith("10.")]
    assert len(private) == 1  # 10.1.2.30 stays inside 10/8
    report = prepared.report["logs"]["steps"][0]
    assert report["pii_counts_by_type"]["IP_ADDRESS"] >= 10 and report["pii_rows"] == 10  # line 8 has no IP


def test_prep_reads_structured_csv_bgl_and_plain_lines_with_column_mappings(prepared) -> None:
    chats = _all(prepared, "chats")
    assert len(chats) == 5
    user = chats[0]["messages"][1]["content"]
    assert user.startswith("Classify the event in this log line.") and "Options:" in user
    assert {c["messages"][-1]["content"] for c in chats} >= {"Invalid user <*> from <*>"}
    bgl = _all(prepared, "bgl")
    # the two identical parity-error lines are one record after exact dedup
    assert Counter(r["label"] for r in bgl) == {"no": 2, "yes": 2}
    assert "172.16.96.116" not in json.dumps(bgl)  # the IP inside a BGL message is pseudonymised too
    assert len(_all(prepared, "plain")) == 3


# ---------------------------------------------------------------- generator and suite

def _suite(name: str) -> list[dict]:
    return [json.loads(line) for line in (SUITE_DATA / f"{name}.jsonl").read_text().splitlines()]


def test_suite_items_are_balanced_and_large_enough() -> None:
    attack = _suite("attack")
    event = _suite("event")
    assert len(attack) >= 150 and len(event) >= 150
    assert Counter(r["gold"] for r in attack) == {0: len(attack) // 2, 1: len(attack) // 2}
    assert all(r["choices"] == ["no", "yes"] for r in attack)
    assert len({r["label"] for r in event}) == len(DOMAIN.hooks.events())
    assert all(r["choices"][r["gold"]] == r["label"] for r in event)
    assert len(_suite("ppl")) >= 50 and len(_suite("summary")) >= 40


def test_labelled_event_lines_are_balanced_train_lines_and_leave_the_other_datasets_unchanged() -> None:
    """The event_head stage's data: every event equally often, one train-dated line each, none an eval line; and
    its size does not move the CPT, SFT and DPO data of a seed (they are what they were before it existed)."""
    gen = DOMAIN.hooks._sibling("generator")
    small = {"n_logs": 30, "n_sft": 30, "n_dpo": 30}
    with_events = gen.generate(7, **small, n_events=56)
    without = gen.generate(7, **small, n_events=0)
    assert {k: v for k, v in with_events.items() if k != "events"} == {k: v for k, v in without.items()
                                                                          if k != "events"}
    rows = with_events["events"]
    assert Counter(r["label"] for r in rows) == {e: 4 for e in DOMAIN.hooks.events()}
    eval_month = re.compile(rf"\b(?:{'|'.join(gen.Ctx(None, 'eval').months)})\b")  # eval lines are dated Nov/Dec
    assert all("\n" not in r["text"] and not eval_month.search(r["text"]) for r in rows), rows[:2]
    eval_lines = {r["line"] for r in _suite("event")}
    assert not eval_lines & {r["text"] for r in rows}


def test_eval_lines_never_reuse_train_hosts_users_or_networks() -> None:
    gen = DOMAIN.hooks._sibling("generator")
    train = gen.Ctx(None, "train")
    ev = gen.Ctx(None, "eval")
    for pool in ("hosts", "users", "guesses", "attack_nets", "client_nets", "internal_nets", "payloads",
                 "attack_paths", "web_paths"):
        assert not set(getattr(train, pool)) & set(getattr(ev, pool)), pool
    assert not set(train.months) & set(ev.months)
    text = "\n".join(r["session"] for r in _suite("attack"))
    assert not any(re.search(rf"\b{re.escape(h)}\b", text) for h in train.hosts)


def test_committed_suite_data_matches_the_generator() -> None:
    result = subprocess.run([sys.executable, str(DOMAIN.suite_root / "generate.py"), "--check"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_group_lines_groups_a_raw_log_into_documents() -> None:
    rows = list(_formats().read_file(FIXTURES / "BGL_mini.log", group_lines=2))
    assert len(rows) == 3 and rows[0]["text"].count("\n") == 1 and rows[0]["text"].startswith("- 1117838570")
    assert [r["anomaly"] for r in rows] == ["no", "yes", "yes"]
