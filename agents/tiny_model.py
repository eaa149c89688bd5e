"""A tiny causal LM built entirely offline: for tests, CI and smoke runs of every model path.

Nothing is downloaded. The tokenizer is a byte-level BPE trained with
`tokenizers` on the project's own text (prompt templates, synthetic task
vocabulary, simulated-user phrases), so it encodes any input; the model is a
Llama-architecture network of a few hundred thousand random weights, built from
a config with a fixed seed; a chat template makes it usable by
`apply_chat_template`, the local transformers backbone, `transformers serve`
and TRL. Its text is gibberish, which is what tests of malformed answers need.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from proact_env.errors import require

SPECIAL_TOKENS = ("<pad>", "<s>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>")
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)


@dataclass(frozen=True)
class TinyModelConfig:
    """Size of the tiny model (defaults: ~0.3 M parameters, a 1,000-token vocabulary, instant on CPU).

    Attributes:
        vocab_size: BPE vocabulary size the tokenizer is trained to. Default ``1000``.
        hidden_size: model width. Default ``64``.
        intermediate_size: MLP width. Default ``128``.
        num_layers: transformer blocks. Default ``2``.
        num_heads: attention heads (2 key/value heads). Default ``4``.
        max_positions: longest sequence in tokens. Default ``4096``.
        seed: seed of the random weights, so the same config gives the same model. Default ``0``.
        initializer_range: standard deviation of the random weights. Default ``0.5``: large
            weights make greedy output vary with the prompt (what serving tests need); use the
            usual ``0.02`` for a model that will be trained (DPO).
    """

    vocab_size: int = 1000
    hidden_size: int = 64
    intermediate_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    max_positions: int = 4096
    seed: int = 0
    initializer_range: float = 0.5


def training_corpus() -> list[str]:
    """The project's own text: what the prompts, tasks and simulated users say."""
    from proact_env.domains.synthetic import tasks as synthetic
    from proact_env.personas import PRESETS
    from proact_env.prompts import PLACEHOLDERS, load_template
    from proact_env.simulator.phrases import PHRASES

    texts = [load_template(name).text for name in PLACEHOLDERS]
    texts += list(synthetic.CODING_REQUESTS) + list(synthetic.PLANNING_REQUESTS)
    for slots in (synthetic.CODING_SLOTS, synthetic.PLANNING_SLOTS):
        texts += [f"Which {label} do you want: {', '.join(options)}? The {label} should be {options[0]}." for label, options in slots.values()]
    texts += [p.description for p in PRESETS.values()]
    texts += [phrase for styles in PHRASES.values() for options in styles.values() for phrase in options if phrase]
    texts += ["def solve(items):\n    return sorted(items)\n", '{"reply": "", "satisfaction": 0.5, "revealed": []}']
    texts += decision_prompts()
    return texts


def decision_prompts(episodes: int = 40, seed: int = 0) -> list[str]:
    """Rendered decision points of seeded random episodes, so the template's words become single tokens.

    Without them a small vocabulary spells "Dialogue" or "patience" in pieces:
    whole-conversation prompts then average ~335 tokens instead of ~260 (at the
    default 1,000-token vocabulary), training slows and more multi-turn pairs
    pass TRL's max_length and are dropped.
    """
    import gymnasium as gym
    import numpy as np

    import proact_env  # noqa: F401  (registers the env ids)
    from proact_env.types import Action

    rng = np.random.default_rng(seed)
    texts = []
    for env_id in ("proact_env/Synthetic-v0", "proact_env/Planning-v0"):
        env = gym.make(env_id).unwrapped
        for episode in range(episodes):
            env.reset(seed=seed + episode)
            done = False
            while not done:
                texts.append(env.decision_prompt())
                action = Action.CLARIFY if rng.random() < 0.5 else Action.EXECUTE
                _, _, terminated, truncated, _ = env.step(action)
                done = terminated or truncated
        env.close()
    return texts


def build_tokenizer(config: TinyModelConfig = TinyModelConfig()):
    """A `PreTrainedTokenizerFast` with a chat template, trained on `training_corpus()`."""
    tokenizers = require("tokenizers", "dpo")
    transformers = require("transformers", "dpo")
    bpe = tokenizers.Tokenizer(tokenizers.models.BPE())
    bpe.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=config.vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(training_corpus(), trainer=trainer)
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<s>",
        eos_token="<|end|>",
        pad_token="<pad>",
        additional_special_tokens=["<|system|>", "<|user|>", "<|assistant|>"],
        chat_template=CHAT_TEMPLATE,
        padding_side="left",
        model_max_length=config.max_positions,
    )


def build_tiny_model(out_dir: str | Path, config: TinyModelConfig = TinyModelConfig()) -> Path:
    """Build the tokenizer and a randomly initialised Llama model and `save_pretrained` both to `out_dir`."""
    torch = require("torch", "dpo")
    transformers = require("transformers", "dpo")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(config)
    model_config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        num_key_value_heads=max(1, config.num_heads // 2),
        max_position_embeddings=config.max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        initializer_range=config.initializer_range,
    )
    torch.manual_seed(config.seed)
    model = transformers.LlamaForCausalLM(model_config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
