"""harness/recipes/lm_head.py gives the same outputs and gradients as TRL's own fused LM head (on CPU TRL runs its
torch fallback, which is what this replaces for speed)."""

from __future__ import annotations

import copy

import torch
from transformers import LlamaConfig, LlamaForCausalLM
from trl.trainer.utils import add_fused_lm_head

from harness.recipes.lm_head import _is_trl_fused, _plain_head

FIELDS = ("log_probs", "entropy", "log_sum_sq_probs", "mean_logits", "is_top1")


def _models(fields: tuple[str, ...] = FIELDS) -> tuple[LlamaForCausalLM, LlamaForCausalLM]:
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
    trl_model = LlamaForCausalLM(config)
    with torch.no_grad():  # random-init logits are near uniform; spread them so the argmax and entropy mean something
        trl_model.model.embed_tokens.weight.mul_(40)
    ours = copy.deepcopy(trl_model)
    add_fused_lm_head(trl_model, outputs=fields)
    add_fused_lm_head(ours, outputs=fields)
    assert _is_trl_fused(ours)
    _plain_head(ours)
    return trl_model, ours


def test_plain_head_matches_trls_fused_head_in_values_and_gradients() -> None:
    trl_model, ours = _models()
    ids = torch.randint(0, 97, (3, 12), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[2, 9:] = 0  # a right-padded row
    labels = ids.clone()
    with torch.no_grad():  # every other label is the model's own top-1 guess, so is_top1 has true entries too
        guess = trl_model(input_ids=ids, attention_mask=mask).logits.argmax(-1)
    labels[:, 1::2] = guess[:, 0:-1:2]
    labels[:, :4] = -100  # a prompt without loss
    labels[mask == 0] = -100
    outs = []
    for model in (trl_model, ours):
        out = model(input_ids=ids, attention_mask=mask, labels=labels, fused_lm_head=True)
        out.loss.backward()
        outs.append(out)
    a, b = outs
    assert torch.allclose(a.loss, b.loss, atol=1e-5) and a.loss.item() > 1.0
    assert torch.equal(a.label_mask, b.label_mask)
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape == (3, 11), name
        assert torch.allclose(x.float(), y.float(), atol=1e-4), name
    assert b.is_top1.sum() > 0 and (b.log_probs[labels[:, 1:] == -100] == 0).all()
    for (name, p), q in zip(trl_model.named_parameters(), ours.parameters(), strict=True):
        assert torch.allclose(p.grad, q.grad, atol=1e-5, rtol=1e-4), name
    # without fused_lm_head the model's own forward (logits) is unchanged
    assert torch.allclose(trl_model(input_ids=ids).logits, ours(input_ids=ids).logits)


def test_packed_blocks_and_sft_outputs_match_trl() -> None:
    """Every position labelled (CPT's packed blocks: scored in place) with the outputs SFTTrainer asks for: the
    same values and gradients as TRL's head, and the fields it did not ask for are None in both."""
    sft_fields = ("log_probs", "entropy", "is_top1")
    trl_model, ours = _models(sft_fields)
    ids = torch.randint(0, 97, (2, 10), generator=torch.Generator().manual_seed(2))
    outs = []
    for model in (trl_model, ours):
        out = model(input_ids=ids, labels=ids, fused_lm_head=True)
        out.loss.backward()
        outs.append(out)
    a, b = outs
    assert torch.allclose(a.loss, b.loss, atol=1e-5) and bool(b.label_mask.all())
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if name not in sft_fields:
            assert x is None and y is None, name
            continue
        assert x.shape == y.shape == (2, 9), name
        assert torch.allclose(x.float(), y.float(), atol=1e-4), name
    for (name, p), q in zip(trl_model.named_parameters(), ours.parameters(), strict=True):
        assert torch.allclose(p.grad, q.grad, atol=1e-5, rtol=1e-4), name
