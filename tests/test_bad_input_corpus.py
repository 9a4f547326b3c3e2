"""The bad-input corpus (issue 14): every file and argument a new or adversarial user might feed the CLI.

Each case runs the real entry point (`harness.cli.main`, in-process through click's CliRunner so the corpus
stays fast) and must give exit code 2, exactly one stderr line `error: <problem>. fix: <fix>.` that names the
problem, no traceback, and leave every table of a populated store with exactly the contents it had (full rows
compared, not counts). Cases that must not run user code (a domain name that walks out of the domains folder,
a model that ships its own code) also assert that a sentinel file the code would write does not appear.

Valid-but-unusual input (Latin-1, cp1252, UTF-16 files) must *work*: see test_non_utf8_files_are_read."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from harness import cli
from harness.paths import PROJECT_ROOT
from harness.store import Store

SENTINEL = "SENTINEL_RAN"  # user code in the corpus writes a file of this name into the corpus folder if it runs


class _Entry:
    """CliRunner calls `cli.main(args=..., prog_name=...)`; this forwards to the real `harness` entry point."""

    name = "harness"

    def main(self, args=(), prog_name=None, **_: object) -> None:
        cli.main(list(args))


def invoke(args: list[str], env: dict[str, str] | None = None):
    return CliRunner().invoke(_Entry(), args, env=env, catch_exceptions=True)


def dump(db: Path) -> dict[str, list[tuple]]:
    """Every table's full contents, read with plain DuckDB (not the harness)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_catalog = current_database() ORDER BY 1").fetchall()]
        return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


# ----------------------------------------------------------------------------------------- the corpus folder
GOOD_CHAT = {"messages": [{"role": "user", "content": "Where is my card?"},
                          {"role": "assistant", "content": "It ships in 3 days."}]}
MINI_MANIFEST = """\
name: {name}
hooks: hooks.py
datasets:
  chats: {{kind: chat, source: file, path: good.jsonl}}
stages:
  sft: {{method: sft, data: chats}}
suites: []
regression_suites: []
gate_policy: null
cleaning:
  decontam: {{enabled: false}}
"""
HOOKS = {
    "syntax_hooks": "def generate(seed, **params)\n    return {}\n",
    "raising_hooks": "import os\nraise RuntimeError('hooks failed on purpose')\n",
    "importerror_hooks": "import no_such_module_for_the_corpus\n",
    "generate_raises": "def generate(seed, **params):\n    return {}['chats']\n",
    "generate_empty": "def generate(seed, **params):\n    return {'chats': []}\n",
    "no_generate": "X = 1\n",
    "generate_invalid": "def generate(seed, **params):\n    return {'chats': [{'messages': 'not a list'}]}\n",
    "reader_raises": "def read_file(path, spec):\n    raise OSError('reader broke')\n",
}


def _mini_domain(root: Path, name: str, hooks: str = "", manifest: str | None = None, generated: bool = False) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    text = manifest if manifest is not None else MINI_MANIFEST.format(name=name)
    if generated:
        text = text.replace("{kind: chat, source: file, path: good.jsonl}", "{kind: chat}")
    (folder / "manifest.yaml").write_text(text)
    (folder / "hooks.py").write_text(hooks)
    (folder / "good.jsonl").write_text("\n".join(json.dumps(GOOD_CHAT) for _ in range(20)) + "\n")
    return folder


@dataclass
class Corpus:
    root: Path
    db: Path
    domains: Path
    files: dict[str, Path] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {"HARNESS_DOMAINS_DIR": str(self.domains)}


def _write_files(d: Path) -> dict[str, Path]:
    f: dict[str, Path] = {}
    good = json.dumps(GOOD_CHAT)

    def put(name: str, content: bytes | str) -> None:
        p = d / name
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
        f[name] = p

    put("empty.jsonl", b"")
    put("blank.jsonl", "\n\n   \n")
    put("all_malformed.jsonl", "{not json\n{also not\n")
    put("bad_line3.jsonl", f"{good}\n{good}\n{{oops\n{good}\n")
    put("scalar.json", "42")
    put("list_of_ints.json", "[1, 2, 3]")
    put("broken.json", '{"a": [1, 2')
    put("missing_col.csv", "utterance_txt,tag\nwhere is my card,card_arrival\n")
    put("ragged.csv", "text,label\nhello,greet\nhi,there,extra\n")
    put("data.xyz", good + "\n")
    put("garbage.parquet", b"this is not parquet at all")
    put("binary.jsonl", b"\x00\x01\x02 not text \x00\xff\n")
    put("latin1.jsonl", (json.dumps({"messages": [{"role": "user", "content": "Caf\u00e9 cr\u00e8me?"},
                                                  {"role": "assistant", "content": "Oui, s\u00fbr."}]},
                                    ensure_ascii=False) + "\n").encode("latin-1") * 12)
    put("utf16_truncated.jsonl", codecs_bom16() + (good + "\n").encode("utf-16-le") + b"\x41")
    put("wrong_kind.jsonl", "\n".join(json.dumps({"text": f"plain text number {i}"}) for i in range(12)) + "\n")
    put("unknown_kind.jsonl", "\n".join(json.dumps({"foo": i, "bar": "x"}) for i in range(12)) + "\n")
    put("bad_messages.jsonl", "\n".join(json.dumps({"messages": "hello"}) for _ in range(12)) + "\n")
    put("nested.json", json.dumps([{"doc": {"q": "a"}}] * 12))
    # YAML configs
    put("policy_bad_yaml.yaml", "name: x\nrules: [unclosed\n")
    put("policy_unknown_field.yaml", "name: x\nno_such_field: 1\nrules: []\n")
    put("policy_list.yaml", "- a\n- b\n")
    put("policy_bad_rule.yaml", "name: x\nrules:\n  - kind: no_such_rule\n")
    put("policy_latin1_bad.yaml", "name: caf\u00e9\nno_such_field: 1\n".encode("latin-1"))
    put("policy_binary.yaml", b"\x00\x00\x00binary")
    put("policy.txt", "not: yaml: at: all: [")
    # model folders
    no_config = d / "model_no_config"
    no_config.mkdir()
    f["model_no_config"] = no_config
    bad_config = d / "model_bad_config"
    bad_config.mkdir()
    (bad_config / "config.json").write_text("{not json")
    f["model_bad_config"] = bad_config
    remote = d / "model_remote_code"
    remote.mkdir()
    (remote / "config.json").write_text(json.dumps({
        "model_type": "corpus_custom_arch", "architectures": ["CorpusForCausalLM"],
        "auto_map": {"AutoConfig": "modeling_corpus.CorpusConfig",
                     "AutoModelForCausalLM": "modeling_corpus.CorpusForCausalLM"}}))
    (remote / "modeling_corpus.py").write_text(
        f"from pathlib import Path\nPath({str(d / SENTINEL)!r}).write_text('remote code ran')\n")
    f["model_remote_code"] = remote
    plain = d / "model_plain"
    plain.mkdir()
    (plain / "config.json").write_text(json.dumps({"model_type": "llama"}))
    f["model_plain"] = plain
    for name, base in (("adapter_missing_base", str(d / "no_such_base")), ("adapter_no_base", None)):
        a = d / name
        a.mkdir()
        (a / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": base, "peft_type": "LORA"}))
        f[name] = a
    # special files
    fifo = d / "pipe.jsonl"
    os.mkfifo(fifo)
    f["fifo"] = fifo
    (d / "loop_a.jsonl").symlink_to(d / "loop_b.jsonl")
    (d / "loop_b.jsonl").symlink_to(d / "loop_a.jsonl")
    f["loop"] = d / "loop_a.jsonl"
    (d / "dangling.jsonl").symlink_to(d / "gone.jsonl")
    f["dangling"] = d / "dangling.jsonl"
    folder = d / "a_folder.jsonl"
    folder.mkdir()
    f["folder"] = folder
    # stores that are not (usable) harness stores
    foreign = d / "foreign.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE invoices (id INTEGER, amount DOUBLE)")
    con.execute("INSERT INTO invoices VALUES (1, 9.5)")
    con.close()
    f["foreign_store"] = foreign
    newer = d / "newer.duckdb"
    Store(newer)
    con = duckdb.connect(str(newer))
    con.execute("INSERT INTO schema_version (version) VALUES (999)")
    con.close()
    f["newer_store"] = newer
    put("empty.duckdb", b"")
    put("text.duckdb", "this is a text file, not a database\n")
    return f


def codecs_bom16() -> bytes:
    import codecs

    return codecs.BOM_UTF16_LE


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    domains = root / "domains"
    _mini_domain(domains, "mini", "def generate(seed, **params):\n    return {}\n")
    for name, hooks in HOOKS.items():
        _mini_domain(domains, name, hooks, generated=name.startswith(("generate", "no_generate")))
    bad_manifests = {
        "manifest_bad_yaml": "name: [unclosed\n",
        "manifest_unknown_field": MINI_MANIFEST.format(name="manifest_unknown_field") + "colour: blue\n",
        "manifest_unknown_dataset": MINI_MANIFEST.format(name="manifest_unknown_dataset").replace(
            "data: chats", "data: nothing"),
        "manifest_bad_parent": MINI_MANIFEST.format(name="manifest_bad_parent").replace(
            "data: chats}", "data: chats, parent: later}"),
        "manifest_missing_hooks": MINI_MANIFEST.format(name="manifest_missing_hooks").replace(
            "hooks: hooks.py", "hooks: nowhere.py").replace("source: file, path: good.jsonl", ""),
        "manifest_missing_recipe": MINI_MANIFEST.format(name="manifest_missing_recipe").replace(
            "data: chats}", "data: chats, config: recipes/none.yaml}"),
        "manifest_unknown_method": MINI_MANIFEST.format(name="manifest_unknown_method").replace(
            "method: sft", "method: telepathy"),
        "manifest_wrong_kind": MINI_MANIFEST.format(name="manifest_wrong_kind").replace(
            "method: sft", "method: dpo"),
        "manifest_bad_encoding": MINI_MANIFEST.format(name="manifest_bad_encoding").replace(
            "path: good.jsonl", "path: good.jsonl, encoding: klingon"),
        "manifest_no_datasets": "name: manifest_no_datasets\nhooks: hooks.py\nsuites: []\nregression_suites: []\n",
    }
    for name, text in bad_manifests.items():
        _mini_domain(domains, name, "def generate(seed, **params):\n    return {}\n", manifest=text)
    for name, recipe in {"recipe_bad_yaml": "max_steps: [unclosed\n", "recipe_unknown": "no_such_field: 3\n",
                         "recipe_type": "learning_rate: fast\n", "recipe_list": "- 1\n- 2\n",
                         "recipe_latin1_bad": "# Gr\u00f6\u00dfe\nno_such_field: 3\n".encode("latin-1")}.items():
        folder = _mini_domain(domains, name, "", manifest=MINI_MANIFEST.format(name=name).replace(
            "data: chats}", "data: chats, config: recipe.yaml}"))
        (folder / "recipe.yaml").write_bytes(recipe if isinstance(recipe, bytes) else recipe.encode())
    # a domain folder outside every domains root whose hooks would write the sentinel if loaded
    evil = root / "outside" / "evil"
    _mini_domain(root / "outside", "evil",
                 f"from pathlib import Path\nPath({str(root / SENTINEL)!r}).write_text('evil hooks ran')\n")
    assert evil.is_dir()
    files = _write_files(root)
    db = root / "store.duckdb"
    store = Store(db)
    run_id = store.start_run("eval", domain="support_chat", model_id="m0", config={"suites": ["t"]})
    store.add_eval(run_id, [{"run_id": run_id, "task": "t", "metric": "acc", "value": 0.5, "n": 2}],
                   [{"run_id": run_id, "task": "t", "doc_id": 0, "doc_hash": "h", "metric": "acc", "value": 1.0}])
    store.finish_run(run_id)
    other = store.start_run("eval", domain="support_chat", model_id="m1", config={"suites": ["t"]})
    store.add_eval(other, [{"run_id": other, "task": "t", "metric": "acc", "value": 0.0, "n": 2}],
                   [{"run_id": other, "task": "t", "doc_id": 0, "doc_hash": "h", "metric": "acc", "value": 0.0}])
    store.finish_run(other)
    store.add_model("m0", "m0", method="base")
    train = store.start_run("train", domain="mini", stage="sft", model_id="m1")
    store.add_train_logs([{"run_id": train, "step": 1, "split": "train", "loss": 2.5}])
    store.finish_run(train)
    return Corpus(root, db, domains, files)


# ----------------------------------------------------------------------------------------- the cases
# (id, argv template, words the error line must contain). `{db}` is the populated store, `{root}` the corpus
# folder, `{f:NAME}` a corpus file; every case also gets HARNESS_DOMAINS_DIR = the corpus domains.
P = "prep mini --db {db} --source chats="
CASES: list[tuple[str, str, tuple[str, ...]]] = [
    # ---- usage (typer) errors: one line, not a usage box
    ("runs-last-not-int", "runs --last abc --db {db}", ("--last",)),
    ("runs-unknown-option", "runs --bogus --db {db}", ("--bogus",)),
    ("unknown-command", "nosuch", ("nosuch",)),
    ("compare-missing-args", "compare --db {db}", ("baseline",)),
    ("gate-missing-policy", "gate --candidate a --baseline b --db {db}", ("--policy",)),
    ("prep-missing-domain", "prep --db {db}", ("harness prep", "domain")),
    ("compare-alpha-not-float", "compare a b --alpha high --db {db}", ("--alpha",)),
    ("compare-alpha-out-of-range", "compare m0 m1 --alpha 5 --db {db}", ("--alpha",)),
    ("show-flips-not-int", "compare a b --show-flips x --db {db}", ("--show-flips",)),
    ("dashboard-port-not-int", "dashboard --port http --db {db}", ("--port",)),
    # ---- --limit
    ("limit-zero", "eval --limit 0 --db {db}", ("--limit",)),
    ("limit-negative", "eval --limit -5 --db {db}", ("--limit",)),
    ("limit-nan", "eval --limit nan --db {db}", ("--limit",)),
    ("limit-inf", "eval --limit inf --db {db}", ("--limit",)),
    ("limit-word", "eval --limit abc --db {db}", ("--limit",)),
    ("limit-empty", "eval --limit= --db {db}", ("--limit",)),
    ("limit-fraction-above-one", "eval --limit 2.5 --db {db}", ("--limit",)),
    ("demo-limit-zero", "demo --limit 0 --db {db}", ("--limit",)),
    # ---- options with a fixed set of values
    ("compare-correction", "compare a b --correction bonferroni --db {db}", ("bonferroni",)),
    ("compare-two-formats", "compare a b --json --markdown --db {db}", ("exclusive",)),
    ("gate-no-baseline", "gate --policy {f:policy_bad_yaml.yaml} --candidate a --db {db}", ("--baseline",)),
    ("model-build-preset", "model build --preset giant", ("giant",)),
    ("eval-device", "eval --device tpu --model {f:model_plain} --db {db}", ("tpu",)),
    ("train-device", "train mini --device quantum --model {f:model_plain} --db {db}", ("quantum",)),
    ("store-wait-env", "runs --db {db} ENV:HARNESS_STORE_WAIT_S=soon", ("HARNESS_STORE_WAIT_S",)),
    # ---- domain names are names, not paths
    ("domain-unknown", "prep no_such_domain --db {db}", ("no_such_domain",)),
    ("domain-dotdot", "prep ../outside/evil --db {db}", ("../outside/evil", "not a domain name")),
    ("domain-deep-dotdot", "prep ../../../../{root}/outside/evil --db {db}", ("not a domain name",)),
    ("domain-absolute", "prep {root}/outside/evil --db {db}", ("not a domain name",)),
    ("domain-hidden", "prep .evil --db {db}", ("not a domain name",)),
    ("domain-slash", "train outside/evil --model {f:model_plain} --db {db}", ("not a domain name",)),
    ("domain-config-show-path", "config show ../outside/evil", ("not a domain name",)),
    ("domain-demo-path", "demo --domain ../outside/evil --db {db}", ("not a domain name",)),
    ("domain-new-bad-name", "domain new Bad/Name --root {root}/newdomains", ("Bad/Name",)),
    ("domain-new-existing", "domain new mini --root {root}/newdomains", ("mini",)),
    # ---- a domain's own files
    ("hooks-syntax-error", "prep syntax_hooks --db {db}", ("hooks.py", "syntax error", "line 1")),
    ("hooks-raise-on-import", "prep raising_hooks --db {db}", ("hooks.py", "RuntimeError", "line 2")),
    ("hooks-import-error", "prep importerror_hooks --db {db}", ("hooks.py", "ModuleNotFoundError")),
    ("generate-raises", "prep generate_raises --db {db}", ("generate()", "hooks.py", "KeyError")),
    ("generate-empty", "prep generate_empty --db {db}", ("no 'chats' records",)),
    ("generate-missing", "prep no_generate --db {db}", ("no generate()",)),
    ("generate-invalid-record", "prep generate_invalid --db {db}", ("record 0 is invalid",)),
    ("read-file-raises", "prep reader_raises --db {db}", ("read_file()", "hooks.py", "OSError")),
    ("hooks-error-in-train", "train syntax_hooks --model {f:model_plain} --db {db}", ("hooks.py",)),
    ("manifest-bad-yaml", "prep manifest_bad_yaml --db {db}", ("not valid YAML",)),
    ("manifest-unknown-field", "prep manifest_unknown_field --db {db}", ("colour",)),
    ("manifest-unknown-dataset", "prep manifest_unknown_dataset --db {db}", ("nothing",)),
    ("manifest-bad-parent", "train manifest_bad_parent --model {f:model_plain} --db {db}", ("later",)),
    ("manifest-missing-hooks", "prep manifest_missing_hooks --db {db}", ("nowhere.py",)),
    ("manifest-missing-recipe", "train manifest_missing_recipe --model {f:model_plain} --db {db}", ("none.yaml",)),
    ("manifest-unknown-method", "train manifest_unknown_method --model {f:model_plain} --db {db}", ("telepathy",)),
    ("manifest-method-kind", "train manifest_wrong_kind --model {f:model_plain} --db {db}", ("dpo",)),
    ("manifest-unknown-encoding", "prep manifest_bad_encoding --db {db}", ("klingon",)),
    ("manifest-no-datasets", "prep manifest_no_datasets --db {db}", ("no datasets",)),
    ("recipe-bad-yaml", "train recipe_bad_yaml --model {f:model_plain} --db {db}", ("not valid YAML",)),
    ("recipe-unknown-field", "train recipe_unknown --model {f:model_plain} --db {db}", ("no_such_field",)),
    ("recipe-wrong-type", "train recipe_type --model {f:model_plain} --db {db}", ("learning_rate",)),
    ("recipe-list", "train recipe_list --model {f:model_plain} --db {db}", ("mapping",)),
    ("recipe-latin1-unknown-field", "train recipe_latin1_bad --model {f:model_plain} --db {db}", ("no_such_field",)),
    ("stage-unknown", "train mini --stage nosuch --model {f:model_plain} --db {db}", ("nosuch",)),
    ("set-no-equals", "train mini --set sft.max_steps --model {f:model_plain} --db {db}", ("sft.max_steps",)),
    ("set-unknown-field", "train mini --set sft.no_such_knob=3 --model {f:model_plain} --db {db}", ("no_such_knob",)),
    ("set-wrong-type", "train mini --set sft.learning_rate=fast --model {f:model_plain} --db {db}", ("learning_rate",)),
    ("set-bad-enum", "prep mini --set datasets.chats.on_bad_rows=maybe --db {db}", ("on_bad_rows",)),
    ("set-bad-encoding", "prep mini --set datasets.chats.encoding=klingon --db {db}", ("klingon",)),
    ("set-validation-fraction", "prep mini --set validation_fraction=0.9 --db {db}", ("validation_fraction",)),
    # ---- --source
    ("source-unknown-dataset", "prep mini --source nosuch={f:empty.jsonl} --db {db}", ("nosuch",)),
    ("source-no-equals", "prep mini --source just_a_path.jsonl --db {db}", ("DATASET=PATH",)),
    ("source-missing-file", P + "{root}/absent.jsonl", ("absent.jsonl", "not found")),
    ("source-dev-null", P + "/dev/null", ("null device",)),
    ("source-fifo", P + "{f:fifo}", ("named pipe",)),
    ("source-symlink-loop", P + "{f:loop}", ("symlink loop",)),
    ("source-dangling-symlink", P + "{f:dangling}", ("broken symlink",)),
    ("source-empty-folder", P + "{f:folder}", ("holds no data files",)),  # a folder source with no data files
    ("source-glob-no-match", P + "{root}/nothing_*.jsonl", ("holds no data files",)),
    ("source-empty", P + "{f:empty.jsonl}", ("no records",)),
    ("source-blank", P + "{f:blank.jsonl}", ("no records",)),
    ("source-all-malformed", P + "{f:all_malformed.jsonl}", ("no readable records",)),
    ("source-bad-line-strict", P + "{f:bad_line3.jsonl} --set datasets.chats.on_bad_rows=error", (":3:",)),
    ("source-json-scalar", P + "{f:scalar.json}", ("list of objects",)),
    ("source-json-list-of-ints", P + "{f:list_of_ints.json}", ("item 0",)),
    ("source-json-broken", P + "{f:broken.json}", ("malformed JSON",)),
    ("source-csv-missing-column", P + "{f:missing_col.csv} --set datasets.chats.file_kind=classification",
     ("utterance_txt",)),
    ("source-csv-ragged", P + "{f:ragged.csv}", ("fields",)),
    ("source-unknown-suffix", P + "{f:data.xyz}", (".xyz",)),
    ("source-garbage-parquet", P + "{f:garbage.parquet}", ("Parquet",)),
    ("source-binary", P + "{f:binary.jsonl}", ("binary",)),
    ("source-declared-utf8-but-latin1", P + "{f:latin1.jsonl} --set datasets.chats.encoding=utf-8",
     ("not valid utf-8", "byte 0xe9")),
    ("source-utf16-truncated", P + "{f:utf16_truncated.jsonl}", ("utf-16",)),
    ("source-wrong-kind", P + "{f:wrong_kind.jsonl}", ("text records",)),
    ("source-unknown-kind", P + "{f:unknown_kind.jsonl}", ("record kind",)),
    ("source-invalid-records", P + "{f:bad_messages.jsonl}", ("invalid chat record",)),
    ("source-explode-missing", P + "{f:nested.json} --set datasets.chats.explode=nope", ("explode",)),
    ("source-column-missing", P + "{f:good.jsonl} --set datasets.chats.file_kind=chat "
     "--set datasets.chats.columns.messages=msgs", ("msgs",)),
    # ---- models
    ("model-missing-path", "eval --model ./no/such/model --db {db}", ("./no/such/model",)),
    ("model-no-config", "eval --model {f:model_no_config} --db {db}", ("no config.json",)),
    ("model-bad-config", "eval --model {f:model_bad_config} --db {db}", ("config.json",)),
    ("model-remote-code", "eval --model {f:model_remote_code} --db {db}", ("--trust-remote-code",)),
    ("model-remote-code-train", "train mini --model {f:model_remote_code} --db {db}", ("--trust-remote-code",)),
    ("model-unknown-preset", "eval --model default:giant --db {db}", ("giant",)),
    ("model-adapter-missing-base", "eval --model {f:adapter_missing_base} --db {db}", ("base model", "no_such_base")),
    ("model-adapter-no-base", "eval --model {f:adapter_no_base} --db {db}", ("names no base model",)),
    ("model-unknown-stage", "eval --model mini:nosuch --db {db}", ("nosuch",)),
    ("model-unknown-hub-id", "eval --model nobody/nothing --db {db}", ("nobody/nothing",)),
    # ---- stores
    ("store-folder", "runs --db {root}/domains", ("directory",)),
    ("store-dev-null", "runs --db /dev/null", ("special file",)),
    ("store-missing-read", "runs --db {root}/absent.duckdb", ("does not exist",)),
    ("store-foreign", "runs --db {f:foreign_store}", ("another application",)),
    ("store-foreign-writer", "prep mini --db {f:foreign_store}", ("another application",)),
    ("store-newer", "runs --db {f:newer_store}", ("newer",)),
    ("store-empty-file", "runs --db {f:empty.duckdb}", ("empty file",)),
    ("store-text-file", "runs --db {f:text.duckdb}", ("cannot open store",)),
    ("compare-missing-store", "compare a b --db {root}/absent.duckdb", ("does not exist",)),
    ("dashboard-missing-store", "dashboard --db {root}/absent.duckdb", ("does not exist",)),
    # ---- compare and gate
    ("compare-unknown-runs", "compare nothing1 nothing2 --db {db}", ("nothing1",)),
    ("compare-unknown-suite", "compare m0 m1 --suite no_such_suite --db {db}", ("no_such_suite",)),
    ("gate-policy-missing", "gate --policy {root}/absent.yaml --candidate m0 --baseline m0 --db {db}",
     ("not found",)),
    ("gate-policy-folder", "gate --policy {root}/domains --candidate m0 --baseline m0 --db {db}", ("is a folder",)),
    ("gate-policy-dev-null", "gate --policy /dev/null --candidate m0 --baseline m0 --db {db}", ("null device",)),
    ("gate-policy-fifo", "gate --policy {f:fifo} --candidate m0 --baseline m0 --db {db}", ("named pipe",)),
    ("gate-policy-bad-yaml", "gate --policy {f:policy_bad_yaml.yaml} --candidate m0 --baseline m0 --db {db}",
     ("not valid YAML",)),
    ("gate-policy-unknown-field", "gate --policy {f:policy_unknown_field.yaml} --candidate m0 --baseline m0 "
     "--db {db}", ("no_such_field",)),
    ("gate-policy-list", "gate --policy {f:policy_list.yaml} --candidate m0 --baseline m0 --db {db}", ("mapping",)),
    ("gate-policy-bad-rule", "gate --policy {f:policy_bad_rule.yaml} --candidate m0 --baseline m0 --db {db}",
     ("rules",)),
    ("gate-policy-latin1", "gate --policy {f:policy_latin1_bad.yaml} --candidate m0 --baseline m0 --db {db}",
     ("no_such_field",)),
    ("gate-policy-binary", "gate --policy {f:policy_binary.yaml} --candidate m0 --baseline m0 --db {db}",
     ("binary",)),
    ("gate-plan-bad-policy", "gate --plan --policy {f:policy_unknown_field.yaml} --db {db}", ("no_such_field",)),
    ("gate-unknown-runs", "gate --policy " + str(PROJECT_ROOT / "tests/fixtures/gates/micro.yaml")
     + " --candidate nothing1 --baseline nothing2 --db {db}", ("nothing",)),
]


def _argv(template: str, c: Corpus) -> tuple[list[str], dict[str, str]]:
    env = c.env()
    words = []
    for word in template.split(" "):
        if word.startswith("ENV:"):
            key, value = word[4:].split("=", 1)
            env[key] = value
            continue
        word = word.replace("{db}", str(c.db)).replace("{root}", str(c.root))
        while "{f:" in word:
            start = word.index("{f:")
            end = word.index("}", start)
            name = word[start + 3:end]
            path = c.files.get(name) or (c.domains / "mini" / name)
            word = word[:start] + str(path) + word[end + 1:]
        words.append(word)
    return words, env


def test_corpus_is_large():
    assert len(CASES) > 85
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def before(corpus: Corpus) -> dict[str, list[tuple]]:
    return dump(corpus.db)


@pytest.mark.parametrize("template,needles", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(corpus: Corpus, before, template: str, needles: tuple[str, ...]):
    foreign_bytes = corpus.files["foreign_store"].read_bytes()
    newer_bytes = corpus.files["newer_store"].read_bytes()
    argv, env = _argv(template, corpus)
    result = invoke(argv, env)
    out = result.stdout + result.stderr
    assert result.exit_code == 2, (result.exit_code, out, result.exc_info)
    assert "Traceback" not in out
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: ") and ". fix: " in line and line.endswith("."), line
    for needle in needles:
        assert needle in line, (needle, line)
    assert dump(corpus.db) == before
    assert corpus.files["foreign_store"].read_bytes() == foreign_bytes
    assert corpus.files["newer_store"].read_bytes() == newer_bytes
    assert not (corpus.root / SENTINEL).exists(), "user code ran that must not have"
    assert not (corpus.root / "absent.duckdb").exists()
