"""Automatic routing by name (named_parameters()): hidden matrices to Muon;
embeddings, output and classification heads and vectors to AdamW.

Tiny Hugging Face models of several families are checked against what
their module structure says (nn.Embedding weights, the output embedding,
the classification and QA heads, the `embeddings` block of ViT/BERT-style
models and rank < 2 are AdamW; every other matrix Muon); names from other
code bases (Meta-style LLaMA, nanoGPT, DeepSeek-style shared experts) are
checked against a table."""

import warnings

import torch
import transformers as T

from muon_mlir.optim import _plan

warnings.filterwarnings("ignore")
DECODER = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
               num_attention_heads=4)
SEQ2SEQ = dict(vocab_size=64, d_model=32, encoder_layers=1, decoder_layers=1,
               encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
               decoder_ffn_dim=64)
MODELS = {
    "t5": lambda: T.T5ForConditionalGeneration(T.T5Config(
        vocab_size=64, d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=4)),
    "bart": lambda: T.BartForConditionalGeneration(T.BartConfig(**SEQ2SEQ)),
    "llama-causal-lm": lambda: T.LlamaForCausalLM(T.LlamaConfig(**DECODER)),
    "llama-sequence-classification": lambda: T.LlamaForSequenceClassification(
        T.LlamaConfig(**DECODER, num_labels=3)),
    "bert-question-answering": lambda: T.BertForQuestionAnswering(T.BertConfig(**DECODER)),
    "roberta-sequence-classification": lambda: T.RobertaForSequenceClassification(
        T.RobertaConfig(**DECODER)),
    "gpt2-lm-head": lambda: T.GPT2LMHeadModel(T.GPT2Config(vocab_size=64, n_embd=32, n_layer=1,
                                                           n_head=4)),
    "gpt-neox": lambda: T.GPTNeoXForCausalLM(T.GPTNeoXConfig(**DECODER)),
    "vit-image-classification": lambda: T.ViTForImageClassification(T.ViTConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
        image_size=16, patch_size=4)),
}
HEADS = ("score", "classifier", "qa_outputs")


def expected_adamw(model):
    """ids of the parameters the module structure calls non-hidden."""
    ids = {id(p) for p in model.parameters() if p.ndim < 2}
    tables = [m for m in model.modules() if isinstance(m, torch.nn.Embedding)]
    tables += [m for n, m in model.named_modules() if n.endswith("embeddings")]
    tables += [getattr(model, h) for h in HEADS if getattr(model, h, None) is not None]
    output = model.get_output_embeddings()
    tables += [output] if output is not None else []
    for module in tables:
        ids.update(id(p) for p in module.parameters())
    return ids


for label, make in MODELS.items():
    model = make()
    adamw = expected_adamw(model)
    wrong, counts = [], {"muon": 0, "adamw": 0}
    for name, p in model.named_parameters():
        kind = _plan.route(p, name, None, "muon", name)
        counts[kind] += 1
        if kind != ("adamw" if id(p) in adamw else "muon"):
            wrong.append(f"{name} -> {kind}")
    assert not wrong, f"{label}: {wrong}"
    print(f"{label}: Muon {counts['muon']}, AdamW {counts['adamw']}, as its modules say")

# Other code bases' names (2-D parameters).
TABLE = {
    "tok_embeddings.weight": "adamw",  # Meta-style LLaMA
    "layers.0.attention.wq.weight": "muon",
    "layers.0.attention.wo.weight": "muon",
    "layers.0.feed_forward.w2.weight": "muon",
    "output.weight": "adamw",
    "_orig_mod.output.weight": "adamw",  # under torch.compile
    "transformer.wte.weight": "adamw",  # nanoGPT
    "transformer.h.0.attn.c_proj.weight": "muon",
    "lm_head.weight": "adamw",
    "bert.encoder.layer.0.attention.output.dense.weight": "muon",
    "bert.encoder.layer.0.output.dense.weight": "muon",
    "model.layers.0.mlp.shared_experts.gate_proj.weight": "muon",  # DeepSeek-style MoE
    "model.shared.weight": "adamw",
    "score.weight": "adamw",
    # A word inside a longer module name, or on a module above the
    # parameter's own, does not make a table or head.
    "encoder.layers.0.multi_head_attention.linear_q.weight": "muon",
    "time_embedding.linear_1.weight": "muon",  # diffusers' timestep MLP
    "transformer.decoder.bbox_embed.layers.0.weight": "muon",  # DETR's box MLP
    "query_embed.weight": "adamw",  # DETR's query table
    "class_embed.weight": "adamw",  # DETR's class head
    "pos_embed": "adamw",  # timm ViT, a parameter held directly
    "classifier.out_proj.weight": "adamw",  # RoBERTa's classification head
}
matrix = torch.zeros(4, 4)
wrong = [f"{name} -> {kind}" for name, want in TABLE.items()
         for kind in [_plan.route(matrix, name, None, "muon", name)] if kind != want]
assert not wrong, wrong
print(f"{len(TABLE)} names of other code bases routed as expected")
