"""RLAIF labels: a judge model compares two replies to one prompt by its log-probabilities, in both orders.

For a pair (x, y) the judge reads the prompt and the two replies as "Reply A" and "Reply B" and we take the
log-likelihood it gives to answering "A" and to answering "B" (lm-eval's HFLM.loglikelihood, the same scoring
as every multiple-choice task). P(A) = softmax over the two. The pair is shown twice, x as A then y as A, so a
judge that always says "A" learns nothing: p(x better) = (P(A | x first) + P(B | y first)) / 2. When the two
orders disagree about which reply wins, the verdict came from the position, not the replies: the pair is a tie
and kept out of the dataset (so are pairs whose confidence max(p, 1-p) is under `min_confidence`). A message and
replies too long for the judge's window are cut from their ends, longest first (`fit_texts`), so the judge
always reads the start of all three (lm-eval would cut the whole prompt from the left).

Input records (JSONL): `{"prompt", "chosen", "rejected"}` (already labelled: the judge relabels them and its
agreement with the existing labels is reported as Cohen's kappa) or `{"prompt", "candidates": [r1, r2, ...]}`
(every pair of candidates is judged). Labelled pairs are shown in a seeded random orientation, so agreement
cannot come from position bias. Output: a preference dataset `{"prompt", "chosen", "rejected", "meta":
{"judge", "confidence", "p_order_1", "p_order_2", "label_agrees"}}` that a manifest dataset (`kind:
preference, source: file`) reads like any other, plus `<out>.report.json` (n, ties, position bias, kappa with
a bootstrap CI). `harness label` also records the run in the store: a `runs` row of kind `label` (model_id = the
judge's), its summary in `judge_runs` and every pair's judgement, ties included, in `judge_labels`.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.recipes.common import read_jsonl, require_str

TEMPLATE = ("Which reply answers the message better?\nMessage: {prompt}\nReply A: {a}\nReply B: {b}\n"
            "Answer with A or B.")
CHOICES = ("A", "B")


@dataclass
class Pair:
    """One comparison: x and y as shown in the first order; label = 'x' | 'y' when a human label exists."""

    prompt: str
    x: str
    y: str
    label: str | None = None
    source: int = 0


@dataclass
class Verdict:
    pair: Pair
    p_order_1: float  # P(A) with x as A: the judge's belief that x is better
    p_order_2: float  # P(A) with y as A: the judge's belief that y is better
    p_x: float = field(init=False)
    winner: str | None = field(init=False)  # 'x', 'y' or None (tie: the orders disagree or too unsure)
    truncated_contexts: int = field(init=False, default=0)  # of the whole batch: prompts still over the window

    def __post_init__(self) -> None:
        self.p_x = (self.p_order_1 + 1 - self.p_order_2) / 2

    @property
    def confidence(self) -> float:
        return max(self.p_x, 1 - self.p_x)

    def decide(self, min_confidence: float) -> Verdict:
        first, second = self.p_order_1 > 0.5, self.p_order_2 < 0.5  # each order's vote for x
        self.winner = None if first != second or self.confidence < min_confidence else ("x" if first else "y")
        return self


def read_pairs(path: Path, *, seed: int = 0, limit: int | None = None) -> list[Pair]:
    """Pairs to judge from labelled pairs or candidate lists (module docstring)."""
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for i, row in enumerate(read_jsonl(path, what="records to label", limit=limit)):
        where = f"{path} record {i + 1}"
        prompt = require_str(row, "prompt", where, "labelling")
        if "candidates" in row:
            cands = row["candidates"]
            if not isinstance(cands, list) or len(cands) < 2 or not all(isinstance(c, str) and c.strip()
                                                                        for c in cands):
                raise HarnessError(f"{where}: 'candidates' is not a list of two or more replies",
                                   "give each record candidates: [reply, reply, ...]")
            pairs += [Pair(prompt, a, b, None, i) for a, b in itertools.combinations(cands, 2)]
            continue
        chosen, rejected = require_str(row, "chosen", where, "preference"), require_str(row, "rejected", where,
                                                                                        "preference")
        pairs.append(Pair(prompt, chosen, rejected, "x", i) if rng.random() < 0.5
                     else Pair(prompt, rejected, chosen, "y", i))
    return pairs


def fit_texts(tokenizer: Any, prompt: str, a: str, b: str, window: int, margin: int = 12) -> tuple[str, str, str]:
    """Message and replies cut from their ends (longest first) so the judging prompt fits the judge's window:
    otherwise lm-eval cuts the prompt from the left and the judge never sees the message or reply A."""
    excess = len(tokenizer(_context(tokenizer, prompt, a, b), add_special_tokens=False)["input_ids"]) + margin - window
    if excess <= 0:
        return prompt, a, b
    ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in (prompt, a, b)]
    keep = [len(x) for x in ids]
    while excess > 0 and max(keep) > 8:
        i = max(range(3), key=keep.__getitem__)
        cut = min(excess, keep[i] - 8)
        keep[i] -= cut
        excess -= cut
    texts = [t if k == len(x) else tokenizer.decode(x[:k]).rstrip() + " …"
             for t, x, k in zip((prompt, a, b), ids, keep, strict=True)]
    return texts[0], texts[1], texts[2]


def question(tokenizer: Any, prompt: str, a: str, b: str, window: int | None = None) -> str:
    """The judging question as the judge reads it (fitted to `window` tokens when given)."""
    if window is not None:
        prompt, a, b = fit_texts(tokenizer, prompt, a, b, window)
    return TEMPLATE.format(prompt=prompt, a=a, b=b)


def _context(tokenizer: Any, prompt: str, a: str, b: str, window: int | None = None) -> str:
    question_text = question(tokenizer, prompt, a, b, window)
    if tokenizer.chat_template:
        return tokenizer.apply_chat_template([{"role": "user", "content": question_text}], tokenize=False,
                                             add_generation_prompt=True)
    return question_text + "\nAnswer:"


def judge_pairs(judge_path: str, pairs: list[Pair], *, batch_size: int = 16, device: str = "cpu",
                min_confidence: float = 0.5) -> list[Verdict]:
    """P(A) for both orders of every pair, by the judge's log-likelihood of each answer (lm-eval HFLM)."""
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=judge_path, device=device, batch_size=batch_size, dtype="float32")
    chat = bool(lm.tokenizer.chat_template)
    prefix = "" if chat else " "
    requests = []
    for pair in pairs:
        for a, b in ((pair.x, pair.y), (pair.y, pair.x)):
            context = _context(lm.tokenizer, pair.prompt, a, b, lm.max_length)
            requests += [Instance(request_type="loglikelihood", doc={}, arguments=(context, prefix + c),
                                  idx=len(requests)) for c in CHOICES]
    truncated = sum(len(lm.tok_encode(r.arguments[0])) + 2 > lm.max_length for r in requests[::2])
    lls = [ll for ll, _ in lm.loglikelihood(requests, disable_tqdm=True)]
    verdicts = []
    for k, pair in enumerate(pairs):
        a1, b1, a2, b2 = lls[4 * k:4 * k + 4]
        verdicts.append(Verdict(pair, _softmax_first(a1, b1), _softmax_first(a2, b2)).decide(min_confidence))
    for v in verdicts:
        v.truncated_contexts = truncated  # lm-eval cuts over-long contexts from the left (the message goes first)
    return verdicts


def _softmax_first(a: float, b: float) -> float:
    return 1 / (1 + math.exp(b - a))


def cohen_kappa(judged: list[str], labels: list[str], *, seed: int = 0, n_boot: int = 2000) -> dict[str, Any]:
    """Cohen's kappa (sklearn) with a percentile bootstrap 95% CI over pairs (scipy)."""
    import numpy as np
    from scipy import stats
    from sklearn.metrics import cohen_kappa_score

    n = len(judged)
    if n < 2:
        return {"n": n, "kappa": None, "ci95": None, "agreement": None}
    y1, y2 = np.array([j == "x" for j in judged]), np.array([lab == "x" for lab in labels])

    def kappa(a: Any, b: Any) -> float:
        value = cohen_kappa_score(a, b)
        return 0.0 if math.isnan(value) else float(value)  # one class on both sides: no agreement beyond chance

    ci = None
    if len(set(y1.tolist()) | set(y2.tolist())) > 1:
        boot = stats.bootstrap((y1, y2), kappa, paired=True, vectorized=False, n_resamples=n_boot,
                               method="percentile", random_state=seed)
        ci = [float(boot.confidence_interval.low), float(boot.confidence_interval.high)]
    return {"n": n, "kappa": kappa(y1, y2), "ci95": ci, "agreement": float((y1 == y2).mean())}


@dataclass
class LabelReport:
    judge: str
    n_pairs: int
    n_labelled: int
    ties: int
    position_bias: float  # mean P(A) over both orders minus 0.5: > 0 favours the first reply
    truncated: int  # judge prompts (2 per pair) still longer than the judge's window after fitting (cut left)
    mean_confidence: float | None
    kappa: dict[str, Any]
    out: str
    run_id: str | None = None  # the store's `label` run, when the run was recorded

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def label(judge: str, data: Path, out: Path, *, min_confidence: float = 0.5, seed: int = 0,
          limit: int | None = None, device: str = "cpu", batch_size: int = 16,
          trust_remote_code: bool = False, record: bool = False, db: Path | None = None) -> LabelReport:
    """Judge every pair in `data`, write the non-tied ones as preference records to `out` (+ a report); with
    `record`, also a `label` run in the store `db` (default: the usual store) with its summary and every pair's
    judgement (`judge_runs`, `judge_labels`). The store is opened only once the inputs are known good."""
    from harness.file_checks import require_file
    from harness.models.refs import resolve_model

    require_file(Path(data), "data to label", "pass a JSONL file of {prompt, chosen, rejected} or "
                 "{prompt, candidates} records")
    if Path(out).exists() and Path(out).is_dir():
        raise HarnessError(f"--out {out} is a folder", "pass a file path for the labelled dataset")
    ref = resolve_model(judge, trust_remote_code=trust_remote_code, progress=False)
    pairs = read_pairs(Path(data), seed=seed, limit=limit)
    if not record:
        return _label(ref, pairs, Path(out), min_confidence=min_confidence, seed=seed, device=device,
                      batch_size=batch_size)[0]
    from harness.fingerprint import hash_file
    from harness.store import Store
    from harness.store.feedback import add_judge_run

    store = Store(db)
    config = {"judge": ref.ref, "data": str(data), "out": str(out), "min_confidence": min_confidence, "seed": seed,
              "limit": limit, "batch_size": batch_size, "template": TEMPLATE}
    with store.tracked_run("label", config=config, model_id=ref.model_id, data_hash=hash_file(Path(data)),
                           output_path=str(out)) as run_id:
        report, verdicts = _label(ref, pairs, Path(out), min_confidence=min_confidence, seed=seed, device=device,
                                  batch_size=batch_size)
        report.run_id = run_id
        add_judge_run(store, run_id, _summary_row(report, ref.model_id, Path(data), min_confidence),
                      [_pair_row(i, v) for i, v in enumerate(verdicts)])
    return report


def _summary_row(report: LabelReport, judge_id: str, data: Path, min_confidence: float) -> dict[str, Any]:
    from harness.fingerprint import hash_file

    k = report.kappa
    ci = k.get("ci95") or [None, None]
    return {"judge_model_id": judge_id, "judge_ref": report.judge, "data_path": str(data),
            "data_hash": hash_file(data), "out_path": report.out, "n_pairs": report.n_pairs,
            "n_written": report.n_pairs - report.ties, "n_ties": report.ties, "n_labelled": report.n_labelled,
            "position_bias": report.position_bias, "mean_confidence": report.mean_confidence,
            "min_confidence": min_confidence, "truncated": report.truncated, "kappa": k.get("kappa"),
            "kappa_ci_low": ci[0], "kappa_ci_high": ci[1], "kappa_n": k.get("n"), "agreement": k.get("agreement")}


def _pair_row(index: int, v: Verdict) -> dict[str, Any]:
    return {"pair_index": index, "source_record": v.pair.source, "prompt": v.pair.prompt, "reply_x": v.pair.x,
            "reply_y": v.pair.y, "p_order_1": v.p_order_1, "p_order_2": v.p_order_2, "p_x": v.p_x,
            "confidence": v.confidence, "winner": v.winner or "tie", "existing_label": v.pair.label,
            "label_agrees": None if v.pair.label is None or v.winner is None else v.winner == v.pair.label}


def _label(ref: Any, pairs: list[Pair], out: Path, *, min_confidence: float, seed: int, device: str,
           batch_size: int) -> tuple[LabelReport, list[Verdict]]:
    verdicts = judge_pairs(ref.path, pairs, batch_size=batch_size, device=device, min_confidence=min_confidence)
    kept = [v for v in verdicts if v.winner is not None]
    rows = []
    for v in kept:
        chosen, rejected = (v.pair.x, v.pair.y) if v.winner == "x" else (v.pair.y, v.pair.x)
        meta = {"judge": ref.ref, "confidence": round(v.confidence, 6), "p_order_1": round(v.p_order_1, 6),
                "p_order_2": round(v.p_order_2, 6), "source_record": v.pair.source,
                "label_agrees": None if v.pair.label is None else v.winner == v.pair.label}
        rows.append({"prompt": v.pair.prompt, "chosen": chosen, "rejected": rejected, "meta": meta})
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(out).with_name(Path(out).name + ".partial")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(out)  # never a half-written dataset under the final name
    labelled = [v for v in kept if v.pair.label is not None]
    bias = sum(v.p_order_1 + v.p_order_2 for v in verdicts) / (2 * len(verdicts)) - 0.5 if verdicts else 0.0
    report = LabelReport(
        judge=ref.ref, n_pairs=len(pairs), n_labelled=sum(p.label is not None for p in pairs),
        ties=len(verdicts) - len(kept), position_bias=bias,
        truncated=verdicts[0].truncated_contexts if verdicts else 0,
        mean_confidence=sum(v.confidence for v in kept) / len(kept) if kept else None,
        kappa=cohen_kappa([v.winner for v in labelled], [v.pair.label for v in labelled], seed=seed),  # type: ignore[misc]
        out=str(out))
    Path(str(out) + ".report.json").write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    return report, verdicts


def print_report(report: LabelReport) -> None:
    from harness.console import console

    k = report.kappa
    console.print(f"judge {report.judge}: {report.n_pairs} pairs judged in both orders, {report.ties} ties kept "
                  f"out, {report.n_pairs - report.ties} written to {report.out}", highlight=False)
    console.print(f"position bias (mean P(first reply) - 0.5): {report.position_bias:+.3f}", highlight=False)
    if report.truncated:
        console.print(f"[yellow]warning[/yellow] {report.truncated} of {2 * report.n_pairs} judge prompts exceed the "
                      "judge's context window and lost their beginning (use a judge with a longer context)",
                      highlight=False)
    if report.run_id:
        console.print(f"stored as run {report.run_id} (judge_runs, judge_labels: every pair with its confidence)",
                      highlight=False)
    if report.n_labelled:
        if k["kappa"] is None:
            console.print(f"agreement with existing labels: n={k['n']} non-tied labelled pairs, too few for kappa",
                          highlight=False)
        else:
            ci = "n/a (one class)" if k["ci95"] is None else f"[{k['ci95'][0]:.2f}, {k['ci95'][1]:.2f}]"
            console.print(f"agreement with existing labels (n={k['n']} non-tied pairs): Cohen's kappa "
                          f"{k['kappa']:.3f}, 95% CI {ci} (bootstrap), raw agreement {k['agreement']:.3f}",
                          highlight=False)
