"""How fast a local model decides and writes here, batched as the package does it, beside a per-item loop.

    PYTHONPATH=. python benchmarks/local_model_throughput.py [--model smollm2-135m-instruct] [--states 48]

Three measurements on the same model (SmolLM2-135M-Instruct by default, a 135M model), greedy, CPU:

1. Decisions: zero-shot Clarify/Execute for `--states` rendered decision points. Batched: the
   package's `ActionScorer` (what `llm_prompt:` and `dpo:` use), `--batch` states (two label rows
   each) per forward pass. Peers: the plain per-item `model.generate` loop (a few new tokens per
   state, then read the answer) and per-item scoring (one state per forward pass).
2. Generation: `--messages` assistant turns of `--new_tokens` tokens. Batched: the local transformers
   client (`--batch` prompts per `generate`, left-padded). Peer: a plain per-item `model.generate` loop.
3. Episodes: the benchmark runner with the model writing every assistant turn (`--backbone
   local:MODEL`), `--episodes` episodes played one at a time, then all at once in lockstep
   (`episodes_at_once`), so that the same calls go out in batches across episodes.

It prints decisions/s and tokens/s with the ratio to the per-item loop. Timings depend on the
machine's load: run it alone.
"""

from __future__ import annotations

import argparse
import os
import time

import gymnasium as gym

import proact_env  # noqa: F401  (registers the env ids)
from proact_env.llm.transformers_client import load_causal_lm


def decision_prompts(tokenizer, n: int, seed: int = 0) -> list[str]:
    """Chat prompts of the zero-shot decision (`llm_prompt:`) at the decision points of seeded episodes."""
    from proact_env.prompts import load_template

    template = load_template("policy_decide")
    env = gym.make("proact_env/Synthetic-v0", max_turns=4).unwrapped
    prompts, episode = [], 0
    while len(prompts) < n:
        env.reset(seed=seed + episode)
        episode += 1
        done = False
        while not done and len(prompts) < n:
            text = template.render(state=env.decision_prompt())
            prompts.append(tokenizer.apply_chat_template([{"role": "user", "content": text}],
                                                         add_generation_prompt=True, tokenize=False))
            *_, terminated, truncated, _ = env.step(env.episode.turn % 2)
            done = terminated or truncated
    return prompts


def message_requests(n: int, seed: int = 0):
    """Assistant-turn requests (Clarify and Execute prompts) of seeded coding episodes."""
    from proact_env.llm.chat import ChatRequest
    from proact_env.llm.prompting import assistant_messages
    from proact_env.types import MessageRequest

    class Recorder:
        def __init__(self):
            self.requests: list[MessageRequest] = []

        def write(self, request):
            self.requests.append(request)
            return "Which format do you want?" if request.action.label == "Clarify" else "def f(x):\n    return x"

    recorder = Recorder()
    env = gym.make("proact_env/Synthetic-v0", domain="coding", max_turns=3, backbone=recorder).unwrapped
    episode = 0
    while len(recorder.requests) < n:
        env.reset(seed=seed + episode)
        episode += 1
        done = False
        while not done:
            *_, terminated, truncated, _ = env.step(env.episode.turn % 2)
            done = terminated or truncated
    return [ChatRequest(assistant_messages(r)) for r in recorder.requests[:n]]


def per_item_generate(model, tokenizer, prompts: list[str], new_tokens: int) -> tuple[float, int]:
    """The plain loop: one `model.generate` per prompt. Seconds and new tokens."""
    import torch

    started, produced = time.perf_counter(), 0
    for prompt in prompts:
        inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(**inputs, max_new_tokens=new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
        produced += out.shape[1] - inputs["input_ids"].shape[1]
    return time.perf_counter() - started, produced


def decisions(model_name: str, n: int, batch: int) -> None:
    from proact_env.agents.logprobs import ActionScorer
    from proact_env.types import Action

    tokenizer, model = load_causal_lm(model_name, "cpu")
    prompts = decision_prompts(tokenizer, n)
    scorer = ActionScorer(model, tokenizer, {a: a.label for a in Action}, batch_size=batch)
    scorer.decide_many(prompts[:2])  # warm-up
    started = time.perf_counter()
    batched = scorer.decide_many(prompts)
    t_batched = time.perf_counter() - started
    started = time.perf_counter()
    single = [scorer.decide_many([p])[0] for p in prompts]
    t_single = time.perf_counter() - started
    t_generate, _ = per_item_generate(model, tokenizer, prompts, new_tokens=4)
    agree = sum(a == b for a, b in zip(batched, single))
    print(f"decisions ({n} states, zero-shot, mean prompt {sum(len(tokenizer(p)['input_ids']) for p in prompts) / n:.0f} "
          f"tokens):")
    print(f"  batched scoring, {batch} states per forward pass: {n / t_batched:7.2f} decisions/s")
    print(f"  per-item scoring, 1 state per forward pass:      {n / t_single:7.2f} decisions/s")
    print(f"  per-item model.generate loop (4 new tokens):     {n / t_generate:7.2f} decisions/s")
    print(f"  ratio batched / per-item generate: {t_generate / t_batched:.1f}x; batched / per-item scoring: "
          f"{t_single / t_batched:.1f}x; batched and per-item scoring agree on {agree} of {n}")


def generation(model_name: str, n: int, batch: int, new_tokens: int) -> None:
    from proact_env.llm.config import LLMConfig
    from proact_env.llm.transformers_client import TransformersChatClient
    from proact_env.llm.usage import UsageTally

    tokenizer, model = load_causal_lm(model_name, "cpu")
    requests = message_requests(n)
    config = LLMConfig(provider="transformers", model=model_name, temperature=0.0, max_tokens=new_tokens,
                       batch_size=batch, device="cpu", cache_mode="off")
    client = TransformersChatClient(config, UsageTally("transformers", model_name))
    started = time.perf_counter()
    results = client.complete_many(requests)
    t_batched = time.perf_counter() - started
    batched_tokens = sum(getattr(r, "completion_tokens", 0) for r in results)
    prompts = [tokenizer.apply_chat_template(r.message_dicts(), add_generation_prompt=True, tokenize=False)
               for r in requests]
    t_single, single_tokens = per_item_generate(model, tokenizer, prompts, new_tokens)
    print(f"generation ({n} assistant turns, up to {new_tokens} new tokens each, greedy):")
    print(f"  batched, {batch} prompts per generate: {batched_tokens / t_batched:7.1f} tokens/s "
          f"({batched_tokens} tokens in {t_batched:.1f} s)")
    print(f"  per-item model.generate loop:      {single_tokens / t_single:7.1f} tokens/s "
          f"({single_tokens} tokens in {t_single:.1f} s)")
    print(f"  ratio: {(batched_tokens / t_batched) / (single_tokens / t_single):.1f}x")


def episodes(model_name: str, n: int, batch: int, new_tokens: int) -> None:
    from proact_env.benchmark.runner import BenchmarkConfig, built_models, run_benchmark

    backbone = {"provider": "transformers", "model": model_name, "temperature": 0.0, "max_tokens": new_tokens,
                "batch_size": batch, "device": "cpu", "cache_mode": "off"}
    timings = {}
    for at_once in (1, n):
        config = BenchmarkConfig(policies=("clarify_once",), episodes=n, seed=0, episodes_at_once=at_once,
                                 env_kwargs={"domain": "coding", "max_turns": 2, "backbone": backbone})
        started = time.perf_counter()
        run_benchmark(config)
        timings[at_once] = (time.perf_counter() - started, built_models()["backbone"].engine.tally)
    print(f"episodes ({n} coding episodes of clarify_once, the model writing every turn, up to {new_tokens} tokens):")
    for at_once, (seconds, tally) in timings.items():
        print(f"  {at_once} at once: {tally.completion_tokens / seconds:6.1f} tokens/s, "
              f"{tally.requests} generate calls for {n * 2} turns, {seconds:.1f} s")
    print(f"  ratio: {timings[1][0] / timings[n][0]:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct", help="a registered name, folder or hub id")
    parser.add_argument("--states", type=int, default=48, help="decision points to score")
    parser.add_argument("--messages", type=int, default=16, help="assistant turns to generate")
    parser.add_argument("--episodes", type=int, default=8, help="episodes for the lockstep comparison")
    parser.add_argument("--new_tokens", type=int, default=48, help="new tokens per generated turn")
    parser.add_argument("--batch", type=int, default=8, help="states or prompts per forward pass / generate")
    args = parser.parse_args()
    print(f"model {args.model}, {os.cpu_count()} CPUs, torch threads {__import__('torch').get_num_threads()}")
    decisions(args.model, args.states, args.batch)
    generation(args.model, args.messages, args.batch, args.new_tokens)
    episodes(args.model, args.episodes, args.batch, args.new_tokens)


if __name__ == "__main__":
    main()
