"""How the Gates page words a stored rule result: outcome, point estimate, the bound the rule judged, and
the Compare link of a gate's pair. Plain functions (no Streamlit calls), unit-tested."""

from __future__ import annotations

from typing import Any

from dashboards.common import fmt_num, missing

STATUS_ICON = {"PASS": "PASS", "FAIL": "FAIL", "INCONCLUSIVE": "INCONCLUSIVE"}  # words: no emoji font needed
STATUS_MD = {"PASS": ":green[**PASS**]", "FAIL": ":red[**FAIL**]", "INCONCLUSIVE": ":orange[**INCONCLUSIVE**]"}
OUTCOME = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE"}


def rule_outcome(passed: Any, detail: dict[str, Any]) -> str:
    """PASS / FAIL / INCONCLUSIVE as the gate stored it (older stores: from `passed`)."""
    outcome = detail.get("outcome")
    if outcome in OUTCOME:
        return OUTCOME[outcome]
    return "PASS" if bool(passed) else "FAIL"


def _n(v: Any) -> float | None:
    return None if missing(v) or isinstance(v, bool) or not isinstance(v, int | float) else float(v)


def judged(kind: str, observed: Any, threshold: Any, d: dict[str, Any], confidence: str = "95%"
           ) -> tuple[float | None, float | None, str]:
    """(point estimate, the bound the rule judged, the rule in words) for one stored rule result."""
    obs, thr = _n(observed), _n(threshold)
    lenient = bool(d.get("lenient"))
    if kind == "floor":
        est = _n(d.get("candidate"))
        hib = d.get("higher_is_better", True)
        op = "≥" if hib else "≤"
        if d.get("reading") == "ci":
            side = "lower" if hib else "upper"
            return est, obs, (f"candidate {fmt_num(est)}; its {confidence} CI {side} bound {fmt_num(obs)} must be "
                              f"{op} {fmt_num(thr)}")
        return est, None, f"candidate point estimate {fmt_num(est)} must be {op} {fmt_num(thr)}"
    if kind == "min_improvement":
        lo, hi = _n(d.get("ci_low_improvement")), _n(d.get("ci_high_improvement"))
        ci = f"{confidence} CI [{fmt_num(lo)}, {fmt_num(hi)}]"
        if d.get("significant") is not None and d.get("reading") == "significance":
            p = _n(d.get("p_adjusted"))
            return obs, lo, (f"improvement {fmt_num(obs)} ({ci}) must be ≥ {fmt_num(thr)} and significant: "
                             f"corrected p {fmt_num(p)} < α {fmt_num(_n(d.get('alpha')))}")
        return obs, None, f"improvement point estimate {fmt_num(obs)} ({ci}) must be ≥ {fmt_num(thr)}"
    if kind == "max_drop":
        delta = _n(d.get("delta"))
        est = None if delta is None else (delta if d.get("higher_is_better", True) else -delta)
        side = "favourable (upper)" if lenient else "unfavourable (lower)"
        return est, obs, (f"change {fmt_num(est)} (improvement-signed); its {confidence} CI {side} bound "
                          f"{fmt_num(obs)} must be ≥ {fmt_num(thr)}" + (" (LENIENT)" if lenient else ""))
    if kind == "max_forgetting":
        est = _n(d.get("ratio"))
        side = "upper" if lenient else "lower"
        return est, obs, (f"kept {fmt_num(est)} of the above-chance score; its {confidence} CI {side} bound "
                          f"{fmt_num(obs)} must be ≥ {fmt_num(thr)}" + (" (LENIENT)" if lenient else ""))
    if kind == "max_perplexity_increase":
        est = _n(d.get("ppl_ratio"))
        side = "lower" if lenient else "upper"
        return est, obs, (f"bits-per-byte ratio {fmt_num(est)}; its {confidence} CI {side} bound {fmt_num(obs)} "
                          f"must be ≤ {fmt_num(thr)}" + (" (LENIENT)" if lenient else ""))
    if kind == "min_n":
        count = "n/a" if obs is None else f"{int(obs)}"
        return obs, None, f"fewest paired items {count} must be ≥ {'n/a' if thr is None else int(thr)}"
    return obs, None, f"observed {fmt_num(obs)} vs threshold {fmt_num(thr)}"


def compare_link(gate: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any] | None:
    """Query parameters of the Compare view of a gate's pair (its first run per side when it used several)."""
    base = [r for r in str(gate.get("baseline_run") or "").split(",") if r]
    cand = [r for r in str(gate.get("candidate_run") or "").split(",") if r]
    if not base or not cand:
        return None
    params: dict[str, Any] = {"baseline": base[0], "candidate": cand[0]}
    if settings.get("regression"):
        params["regression"] = settings["regression"]
    for key in ("alpha", "correction"):
        if settings.get(key) is not None:
            params[key] = str(settings[key])
    return params
