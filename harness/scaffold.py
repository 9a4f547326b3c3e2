"""`harness domain new NAME`: a domain folder that works at once and shows every part a domain has.

    domains/NAME/manifest.yaml     datasets (text, chat, preference) + stages (cpt → sft → dpo) + suites + gate
    domains/NAME/hooks.py          generate(seed, **params): a stub generator with a handful of records
    domains/NAME/recipes/*.yaml    one config per stage, sized for the embedded model on a CPU
    domains/NAME/gates.yaml        a release gate on the domain suite and the general suite
    domains/NAME/suite/            the domain's lm-eval suite (`lm_eval --include_path domains/NAME/suite`)

Replace the stub facts in hooks.py (or point the datasets at files) and the suite items with real ones.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

from harness.errors import HarnessError
from harness.paths import domains_dir

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

MANIFEST = """\
name: {name}
description: Scaffolded by `harness domain new`; replace the stub facts in hooks.py with real data.
hooks: hooks.py
seed: 1234
generator: {{n_notes: 64, n_chats: 64, n_pairs: 48}}   # passed to hooks.generate()
# Text used when records of another kind are rendered as chat (any dataset may override it).
prompts:
  system: You are the {name} product assistant.
datasets:
  notes: {{kind: text}}                 # from hooks.generate()["notes"]; or {{kind: text, source: file, path: ...}}
  chats: {{kind: chat}}
  pairs: {{kind: preference}}
stages:                                # run in this order, each from the one before (or `parent:`)
  cpt: {{method: cpt, data: notes, config: recipes/cpt.yaml}}
  sft: {{method: sft, data: chats, config: recipes/sft.yaml}}
  dpo: {{method: dpo, data: pairs, config: recipes/dpo.yaml}}
suites: [{name}]                       # lm-eval group in suite/
regression_suites: [general]
gate_policy: gates.yaml
validation_fraction: 0.1
"""

HOOKS = '''\
"""{name} domain hooks: generate() feeds the datasets, eval_items() the suite (phrased apart, never overlapping).

A stub: a few made-up products. Replace FACTS (or point the manifest's datasets at files) with real data.
"""

from __future__ import annotations

import random
from typing import Any

COMPANY = "{name}"
# product, category, colour, price (dollars)
FACTS = [
    ("lantern", "camping light", "green", 24), ("kettle", "kitchen appliance", "red", 39),
    ("backpack", "travel bag", "blue", 59), ("desk lamp", "office light", "white", 29),
    ("water bottle", "drink container", "orange", 12), ("notebook", "paper product", "yellow", 6),
    ("umbrella", "rain gear", "black", 18), ("headphones", "audio device", "purple", 79),
]
COLOURS = sorted({{f[2] for f in FACTS}})
DEFAULTS = {{"n_notes": 64, "n_chats": 64, "n_pairs": 48}}
NOTE_TEMPLATES = [
    "The {{company}} {{product}} is a {{category}}. It is {{colour}} and costs {{price}} dollars.",
    "Our {{product}} ({{category}}) comes in {{colour}}. Price: {{price}} dollars. Made by {{company}}.",
    "{{company}} catalogue entry: {{product}}, a {{colour}} {{category}}, {{price}} dollars.",
]

# Held-out wordings for the perplexity task: the suite asks about the same facts, never in training words.
HELD_OUT_TEMPLATES = [
    "In the {{company}} range, the {{product}} is the {{colour}} {{category}} priced at {{price}} dollars.",
    "Looking for a {{category}}? The {{colour}} {{product}} from {{company}} sells for {{price}} dollars.",
    "{{company}} lists its {{product}} at {{price}} dollars; this {{category}} is only made in {{colour}}.",
]


def _fill(template: str, fact: tuple[str, str, str, int]) -> str:
    product, category, colour, price = fact
    return template.format(company=COMPANY, product=product, category=category, colour=colour, price=price)


def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train records keyed by dataset name (see the manifest's `datasets:`)."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown generator params {{sorted(unknown)}}; known: {{sorted(DEFAULTS)}}")
    p = {{**DEFAULTS, **params}}
    rng = random.Random(f"{name}-{{seed}}")
    notes = [{{"text": _fill(rng.choice(NOTE_TEMPLATES), rng.choice(FACTS))}} for _ in range(p["n_notes"])]
    chats = []
    for i in range(p["n_chats"]):
        fact = FACTS[i % len(FACTS)]
        if i % 2:
            question, answer = f"What colour is the {{fact[0]}}?", f"The {{fact[0]}} is {{fact[2]}}."
        else:
            question, answer = f"How much does the {{fact[0]}} cost?", f"The {{fact[0]}} costs {{fact[3]}} dollars."
        chats.append({{"messages": [{{"role": "user", "content": question}},
                                   {{"role": "assistant", "content": answer}}]}})
    pairs = []
    for i in range(p["n_pairs"]):
        fact = FACTS[i % len(FACTS)]
        wrong = rng.choice([c for c in COLOURS if c != fact[2]])
        pairs.append({{"prompt": f"Tell me the colour of the {{fact[0]}}.", "chosen": f"It is {{fact[2]}}.",
                      "rejected": f"It is {{wrong}}."}})
    return {{"notes": notes, "chats": chats, "pairs": pairs}}


def eval_items() -> dict[str, list[dict[str, Any]]]:
    """Suite items, worded unlike any training record: multiple-choice colours and held-out product notes."""
    facts = []
    for i, (product, _, colour, _) in enumerate(FACTS):
        question = f"Q: Which colour does {{COMPANY}} make the {{product}} in?\\nA:"
        facts.append({{"id": f"facts-{{i:03d}}", "question": question, "choices": [f" {{c}}" for c in COLOURS],
                      "gold": COLOURS.index(colour)}})
    ppl = [{{"id": f"ppl-{{len(FACTS) * k + i:03d}}", "text": _fill(template, f)}}
           for k, template in enumerate(HELD_OUT_TEMPLATES) for i, f in enumerate(FACTS)]
    return {{"facts": facts, "ppl": ppl}}
'''

CPT = """\
# Continual pretraining on the domain's text: full fine-tune, packed blocks. `harness config show {name}` lists
# every field with its default.
max_steps: 30
per_device_batch_size: 8
learning_rate: 5.0e-4
max_length: 64
logging_steps: 5
eval_steps: 15
seed: 1234
"""

SFT = """\
# Supervised fine-tuning on the domain's chats (LoRA; loss on assistant turns).
max_steps: 30
per_device_batch_size: 8
learning_rate: 4.0e-3
max_length: 96
logging_steps: 5
eval_steps: 15
seed: 1234
lora: {{enabled: true, r: 32, alpha: 64}}
"""

DPO = """\
# Direct preference optimization on the domain's pairs (LoRA; reference = the SFT model).
max_steps: 10
per_device_batch_size: 8
learning_rate: 2.0e-3
max_length: 96
logging_steps: 2
seed: 1234
"""

GATES = """\
# Release gate for {name}: `harness gate --policy <this file> --baseline <model> --candidate <model>`.
# Outcomes: PASS (shown to hold), FAIL (shown not to), INCONCLUSIVE (too few items to tell). max_forgetting
# is a non-inferiority test: it passes only when the 95% CI shows the loss is within the margin. The stub
# suite is far too small for that (`harness gate --plan --policy <this file>` shows it): grow the suite to
# a few hundred items per task, then set each margin to what your release can accept.
name: {name}
description: The candidate knows the domain text better and keeps most of its general knowledge.
alpha: 0.05
correction: holm
regression_suites: [general]
rules:
  - kind: min_n
    min_n: 8
    description: Every scored task has at least 8 paired items.
  - kind: min_improvement
    task: {name}_ppl
    metric: bits_per_byte
    delta: 0.0
    description: Held-out domain text is more predictable than under the baseline.
  - kind: max_forgetting
    suite: general
    max_forgetting: 0.5
    description: Keeps at least half of the baseline's above-chance general-suite score (shown, not assumed).
"""

GROUP = """\
group: {name}
task:
  - {name}_facts
  - {name}_ppl
metadata:
  version: 1.0
"""

FACTS_TASK = """\
task: {name}_facts
custom_dataset: !function utils.load_facts
test_split: test
output_type: multiple_choice
doc_to_text: question
doc_to_choice: choices
doc_to_target: gold
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
  primary_metric: acc  # what compare, gate and the dashboard judge this task on
  chance: 0.125  # 1 / number of choices (8 colours in the stub): update it with your choices
"""

PPL_TASK = """\
task: {name}_ppl
custom_dataset: !function utils.load_ppl
output_type: loglikelihood_rolling
test_split: test
doc_to_text: ""
doc_to_target: text
metric_list:
  - metric: word_perplexity
    aggregation: weighted_perplexity
    higher_is_better: false
  - metric: byte_perplexity
    aggregation: weighted_perplexity
    higher_is_better: false
  - metric: bits_per_byte
    aggregation: bits_per_byte
    higher_is_better: false
metadata:
  version: 1.0
  primary_metric: bits_per_byte
"""

UTILS = '''\
"""{name} suite loaders for lm-eval (stdlib + datasets only: lm-eval imports this file by path, from any cwd)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets

DATA_DIR = Path(__file__).resolve().parent / "data"


def _load(name: str) -> datasets.DatasetDict:
    with open(DATA_DIR / f"{{name}}.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return datasets.DatasetDict({{"test": datasets.Dataset.from_list(rows)}})


def load_facts(**_: Any) -> datasets.DatasetDict:
    return _load("facts")


def load_ppl(**_: Any) -> datasets.DatasetDict:
    return _load("ppl")
'''


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def new_domain(name: str, root: Path | None = None) -> Path:
    """Write a working domain folder `root/name` (default root: ./domains or HARNESS_DOMAINS_DIR)."""
    from harness.domains import list_domains

    if not NAME_RE.match(name) or name in {"default", "base", "general", "all"}:
        raise HarnessError(f"'{name}' is not a usable domain name",
                           "use 2-41 lowercase letters, digits or _ starting with a letter (not default/base/general)")
    folder = (root or domains_dir()) / name
    if folder.exists():
        raise HarnessError(f"{folder} already exists", "pick another name or remove that folder")
    if name in list_domains():
        raise HarnessError(f"a domain named '{name}' already exists elsewhere", "pick another name")
    files = {"manifest.yaml": MANIFEST, "hooks.py": HOOKS, "recipes/cpt.yaml": CPT, "recipes/sft.yaml": SFT,
             "recipes/dpo.yaml": DPO, "gates.yaml": GATES, f"suite/_{name}.yaml": GROUP,
             f"suite/{name}_facts.yaml": FACTS_TASK, f"suite/{name}_ppl.yaml": PPL_TASK, "suite/utils.py": UTILS}
    for rel, template in files.items():
        _write(folder / rel, template.format(name=name) if "{" in template else template)
    # suite data comes from the hooks' eval_items(), written once here (regenerate the same way after edits)
    spec = importlib.util.spec_from_file_location(f"harness_scaffold_{name}", folder / "hooks.py")
    assert spec is not None and spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    for split, rows in hooks.eval_items().items():
        _write(folder / "suite" / "data" / f"{split}.jsonl",
               "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    return folder
