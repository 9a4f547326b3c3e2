"""On CPU, TRL's fused LM head replaced by the model's own logits, scored only where a label is.

Why: TRL (1.16) patches the model of SFTTrainer / DPOTrainer / KTOTrainer with a "fused LM head" that turns hidden
states into per-token log-probs in vocabulary tiles without materialising the logits. On a GPU that is a Triton
kernel over the labelled positions only. Without Triton (every CPU run) it falls back to torch ops tile by tile and
scores *every* position, prompt and padding included, then recomputes the tiles in backward. Profiled on the
embedded model (benchmarks/bench_train.py --profile), that fallback was about half of SFT's step time and made the
harness's SFT 0.4-0.6x as fast as a plain PyTorch + PEFT loop. Here the same contract (`model(..., labels=...,
fused_lm_head=True)` -> `FusedCausalLMOutput`, every per-token field zero where the label is -100) is met from the
model's own forward: one logits tensor, log-softmax on the labelled rows only. The trainers, their losses and
metrics stay TRL's; tests/test_lm_head.py checks the outputs and gradients equal TRL's own head.
"""

from __future__ import annotations

import types
from typing import Any


def _is_trl_fused(model: Any) -> bool:
    forward = model.__dict__.get("forward")
    return isinstance(forward, types.MethodType) and "fused_lm_head" in forward.__func__.__code__.co_varnames


ALL_OUTPUTS = ("log_probs", "entropy", "log_sum_sq_probs", "mean_logits", "is_top1")


def score_labelled(logits: Any, labels: Any, num_items_in_batch: Any = None,
                   outputs: tuple[str, ...] = ALL_OUTPUTS) -> Any:
    """FusedCausalLMOutput from full logits [B, T, V] and labels [B, T] (shifted here, -100 = ignore).

    Like TRL's head, only the per-token fields in `outputs` are computed (the others are None): SFTTrainer asks for
    log_probs, entropy and is_top1, so the vocabulary-wide passes for log_sum_sq_probs and mean_logits are skipped.
    The labels are shifted, not the logits (as transformers' own causal-LM loss does): slicing off the last
    position would copy the [B, T, V] logits for log_softmax and again in backward. When every position carries a
    label (packed CPT blocks) all T rows are scored in place and the last, label-less one dropped from the small
    per-token outputs; otherwise only the labelled rows are gathered and scored (SFT's prompts and padding cost
    nothing). is_top1 takes `max(-1).indices` (documented, like argmax, to be the first maximal index; ~2x faster
    than argmax on CPU)."""
    import torch
    from trl.trainer.utils import FusedCausalLMOutput

    # position t predicts label t+1; the last position predicts nothing
    shifted = torch.nn.functional.pad(labels[:, 1:].to(logits.device), (0, 1), value=-100)
    full_mask = shifted != -100  # [B, T], last column False
    dense = bool(full_mask[:, :-1].all())
    rows = logits.float() if dense else logits[full_mask].float()  # [B, T, V] or [N, V]
    targets = shifted.clamp(min=0) if dense else shifted[full_mask]  # dense: the last column's target is unused
    logp = torch.log_softmax(rows, dim=-1)
    token_logp = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    fields: dict[str, Any] = {"log_probs": token_logp}
    if "entropy" in outputs:  # differentiable, as TRL's
        fields["entropy"] = -(logp.exp() * logp).sum(-1)
    with torch.no_grad():
        if "log_sum_sq_probs" in outputs:
            fields["log_sum_sq_probs"] = torch.logsumexp(2 * logp, dim=-1)
        if "mean_logits" in outputs:
            fields["mean_logits"] = rows.mean(-1)
        if "is_top1" in outputs:
            fields["is_top1"] = rows.max(-1).indices == targets

    def spread(values: Any) -> Any:  # back to [B, T-1], zero where there is no label (as TRL's head)
        if not dense:
            values = values.new_zeros(full_mask.shape).masked_scatter(full_mask, values)
        return values[:, :-1].contiguous()  # contiguous: the loss sums in the same order as before

    mask = full_mask[:, :-1]
    per_token = {name: spread(fields[name]) if name in fields else None for name in ALL_OUTPUTS}
    denom = mask.sum().clamp(min=1) if num_items_in_batch is None else num_items_in_batch
    return FusedCausalLMOutput(loss=-per_token["log_probs"].sum() / denom, **per_token, label_mask=mask,
                               aux_loss=None)


def _requested_outputs(forward: Any) -> tuple[str, ...]:
    """The `outputs` TRL's patched forward was built with (its closure), so we compute no more than TRL would."""
    func = getattr(forward, "__func__", forward)
    cells = dict(zip(func.__code__.co_freevars, func.__closure__ or (), strict=False))
    try:
        return tuple(cells["outputs"].cell_contents)
    except (KeyError, ValueError, TypeError):
        return ALL_OUTPUTS


def _plain_head(model: Any) -> None:
    fused = model.forward  # TRL's patched forward; with fused_lm_head=False it is the model's own
    outputs = _requested_outputs(fused)

    def forward(self: Any, *args: Any, fused_lm_head: bool = False, labels: Any = None, shift_labels: Any = None,
                num_items_in_batch: Any = None, **kwargs: Any) -> Any:
        if not fused_lm_head or shift_labels is not None or kwargs.get("output_router_logits") \
                or getattr(self.config.get_text_config(), "output_router_logits", False):
            return fused(*args, fused_lm_head=fused_lm_head, labels=labels, shift_labels=shift_labels,
                         num_items_in_batch=num_items_in_batch, **kwargs)
        kwargs["use_cache"] = False
        return score_labelled(fused(*args, **kwargs).logits, labels, num_items_in_batch, outputs)

    model.forward = types.MethodType(forward, model)


def plain_lm_head_on_cpu(trainer: Any) -> Any:
    """Swap TRL's fused LM head for `score_labelled` when the trainer runs on CPU; a no-op elsewhere, for other
    trainers, and for models TRL did not patch."""
    from peft import PeftModel
    from trl import DPOTrainer, KTOTrainer, SFTTrainer

    # the trainers that patch their model with TRL's head at temperature 1.0
    if trainer.args.device.type != "cpu" or not isinstance(trainer, SFTTrainer | DPOTrainer | KTOTrainer):
        return trainer

    models = [trainer.model, getattr(trainer, "ref_model", None)]
    for model in models:
        base = model.get_base_model() if isinstance(model, PeftModel) else model
        if base is not None and _is_trl_fused(base):
            _plain_head(base)
    return trainer
