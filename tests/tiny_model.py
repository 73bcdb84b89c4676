"""Build a tiny, randomly initialised Llama-style chat model with tool support, offline.

A byte-level BPE trained in-process, the Llama-3 special tokens and trl's
``llama3_1.jinja`` template (which renders ``tools=`` and has a response
schema in trl), so the real tokenizer, template, generation and tool-call
parsing code paths run without any download.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

LLAMA3_SPECIAL_TOKENS = [
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|python_tag|>",
    "<|finetune_right_pad_id|>",
]

CORPUS = [
    "The answer is A. The answer is B. The answer is C. The answer is D.",
    '{"name": "toy_multiply", "parameters": {"a": 3, "b": 7}}',
    "system user assistant ipython Environment: ipython Cutting Knowledge Date: December 2023 Today Date:",
    "Given the following functions, please respond with a JSON for a function call with its proper arguments.",
    "What is 3 times 7? Options: 21.0 31.0 41.0 51.0 diffusion temperature pendulum climate epidemic",
    "0123456789 .,:;!?()[]{}<>=+-*/'\"_ \n\t",
]


def llama3_1_template() -> str:
    return resources.files("trl").joinpath("chat_templates/llama3_1.jinja").read_text()


def build_tiny_llama(directory: Path, seed: int = 0) -> Path:
    """Save a ~30k-parameter Llama with tokenizer and chat template into ``directory``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=LLAMA3_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS * 4, trainer)
    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|begin_of_text|>",
        eos_token="<|eot_id|>",
        pad_token="<|finetune_right_pad_id|>",
    )
    hf_tok.chat_template = llama3_1_template()
    hf_tok.save_pretrained(directory)
    config = LlamaConfig(
        vocab_size=len(hf_tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=hf_tok.bos_token_id,
        eos_token_id=hf_tok.eos_token_id,
        pad_token_id=hf_tok.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(directory)
    return directory
