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


def score_labelled(logits: Any, labels: Any, num_items_in_batch: Any = None) -> Any:
    """FusedCausalLMOutput from full logits [B, T, V] and labels [B, T] (shifted here, -100 = ignore)."""
    import torch
    from trl.trainer.utils import FusedCausalLMOutput

    logits, labels = logits[:, :-1], labels[:, 1:].to(logits.device)
    mask = labels != -100
    rows = logits[mask].float()  # [N, V]: only the positions that carry a label
    targets = labels[mask]
    logp = torch.log_softmax(rows, dim=-1)
    token_logp = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    entropy = -(logp.exp() * logp).sum(-1)
    with torch.no_grad():
        log_sum_sq = torch.logsumexp(2 * logp, dim=-1)
        mean_logits = rows.mean(-1)
        is_top1 = rows.argmax(-1) == targets

    def spread(values: Any) -> Any:  # back to [B, T-1], zero where there is no label (as TRL's head)
        return values.new_zeros(mask.shape).masked_scatter(mask, values)

    log_probs = spread(token_logp)
    denom = mask.sum().clamp(min=1) if num_items_in_batch is None else num_items_in_batch
    return FusedCausalLMOutput(loss=-log_probs.sum() / denom, log_probs=log_probs, entropy=spread(entropy),
                               log_sum_sq_probs=spread(log_sum_sq), mean_logits=spread(mean_logits),
                               is_top1=spread(is_top1), label_mask=mask, aux_loss=None)


def _plain_head(model: Any) -> None:
    fused = model.forward  # TRL's patched forward; with fused_lm_head=False it is the model's own

    def forward(self: Any, *args: Any, fused_lm_head: bool = False, labels: Any = None, shift_labels: Any = None,
                num_items_in_batch: Any = None, **kwargs: Any) -> Any:
        if not fused_lm_head or shift_labels is not None or kwargs.get("output_router_logits") \
                or getattr(self.config.get_text_config(), "output_router_logits", False):
            return fused(*args, fused_lm_head=fused_lm_head, labels=labels, shift_labels=shift_labels,
                         num_items_in_batch=num_items_in_batch, **kwargs)
        kwargs["use_cache"] = False
        return score_labelled(fused(*args, **kwargs).logits, labels, num_items_in_batch)

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
