"""``engine check --explain bedrock`` end to end against the fake Converse server on 127.0.0.1.

The findings in every output are exactly the deterministic set; the report names who ranked
them and shows the model's explanations beside the evidence, never instead of it.
"""

from __future__ import annotations

import json

import pytest

from engine.cli import main
from tests.support.fake_bedrock import answer, error_reply, fake_bedrock, tool_reply

NOW = "2026-11-25T00:00:00Z"
BASE = ["check", "--simulated", "--now", NOW, "--fail-on", "none", "--no-history"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*BASE, *args])
    out, err = capsys.readouterr()
    return code, out, err


def identity(findings: list[dict]) -> set[tuple]:
    return {
        (
            f["finding_id"],
            f["severity"],
            f["status"],
            f["outcome"],
            json.dumps(f["evidence"], sort_keys=True),
        )
        for f in findings
    }


def test_model_ranks_and_explains_beside_the_evidence(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, plain, _ = run(capsys, "--format", "json")
    rules_only = json.loads(plain)
    assert rules_only["ranked_by"] == "rules"
    with fake_bedrock() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
        # answer with the groups reversed, whatever ids the request carried
        fake.then(lambda received: tool_reply(answer(list(reversed(received.group_ids())))))
        code, out, _ = run(
            capsys, "--format", "json", "--explain", "bedrock", "--model", "test.model-v1"
        )
        text_code, text, _ = run(capsys, "--explain", "bedrock", "--model", "test.model-v1")
    assert code == text_code == 0
    doc = json.loads(out)
    assert doc["ranked_by"] == "bedrock:test.model-v1"
    assert identity(doc["findings"]) == identity(rules_only["findings"])
    explained = [f for f in doc["findings"] if f["explained_by"] == "bedrock:test.model-v1"]
    assert explained and all(f["explanation"] for f in explained)
    # the model saw (and explained) whole rule groups, up to its group cap; the rest keep the rules'
    sent = doc["scan"]["explain"]["groups_sent"]
    assert len({f["rule_id"] for f in explained}) == sent
    rest = [f for f in doc["findings"] if f["explained_by"] == "rules"]
    assert all(f["explanation"] is None for f in rest)
    assert doc["findings"][: len(explained)] == explained, "explained groups come first"
    assert [f["rank"] for f in doc["findings"]] == list(range(1, len(doc["findings"]) + 1))
    assert doc["scan"]["explain"]["input_tokens"] == 5000
    assert doc["summary"]
    assert "Ranked by: bedrock:test.model-v1" in text
    assert "EXECUTIVE SUMMARY (written by bedrock:test.model-v1" in text
    # the explanation is printed after the evidence of the same finding, not instead of it
    first = text.index("evidence:")
    assert text.index("why it matters (bedrock:test.model-v1)", first) > first
    assert len(fake.requests) == 2 and fake.requests[0].model_id == "test.model-v1"


def test_model_failure_falls_back_to_rules_and_says_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, plain, _ = run(capsys, "--format", "json")
    with fake_bedrock() as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
        fake.then(error_reply(403, "AccessDeniedException", "You don't have access to the model"))
        code, out, _ = run(capsys, "--format", "json", "--explain", "bedrock")
    doc = json.loads(out)
    assert code == 0
    assert doc["ranked_by"] == "rules"
    assert doc["findings"] == json.loads(plain)["findings"]
    assert any("Bedrock ranking not used" in n for n in doc["notes"])
    assert doc["scan"]["explain"]["fallback_reason"]


def test_simulated_never_reaches_real_bedrock(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", raising=False)
    code, _, err = run(capsys, "--explain", "bedrock")
    assert code == 2 and "AWS_ENDPOINT_URL_BEDROCK_RUNTIME" in err
    code, _, err = run(capsys, "--model", "x")
    assert code == 2 and "need --explain bedrock" in err
