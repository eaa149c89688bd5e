"""Learned policies: stable-baselines3 models, DPO-trained LLMs, LLM-prompted policies.

Each lives in its own module and imports its heavy dependencies (torch, SB3,
transformers...) when used, never when `agents` is imported.
"""
