"""Retry timing, Retry-After parsing and secret scrubbing (pure functions)."""

from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from proact_env.llm.retry import RetryPolicy, parse_retry_after, scrub_secrets


def test_backoff_doubles_with_jitter_and_is_capped():
    policy = RetryPolicy(max_retries=10, base=0.5, max_delay=4.0)
    rng = random.Random(0)
    for retry, step in enumerate([0.5, 1.0, 2.0, 4.0, 4.0, 4.0]):
        delays = [policy.delay(retry, None, rng) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in delays)
        assert max(delays) - min(delays) > step / 4  # jittered, not constant


def test_retry_after_is_a_lower_bound_even_beyond_the_cap():
    policy = RetryPolicy(max_retries=3, base=0.1, max_delay=1.0)
    assert policy.delay(0, 7.5, random.Random(0)) == 7.5
    assert policy.delay(3, 0.01, random.Random(0)) >= 0.5


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "soon"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after(headers, expected):
    assert parse_retry_after(headers) == expected


def test_parse_retry_after_as_http_date():
    now = 1_800_000_000.0
    assert parse_retry_after({"retry-after": formatdate(now + 30, usegmt=True)}, now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after({"retry-after": formatdate(now - 30, usegmt=True)}, now=now) == 0.0


def test_scrub_secrets_removes_the_key_and_key_shaped_strings():
    text = "Incorrect API key provided: sk-proj-abc123SECRET. Also sk-ab***yz and token hunter2."
    scrubbed = scrub_secrets(text, "hunter2")
    assert "sk-proj-abc123SECRET" not in scrubbed and "sk-ab***yz" not in scrubbed and "hunter2" not in scrubbed
    assert scrubbed.count("[redacted]") == 3
