"""The model's hand-written conversions agree with what dataclasses would produce."""

from __future__ import annotations

from engine.model import Finding


def test_finding_to_dict_is_asdict_with_every_field() -> None:
    """The hand-written ``to_dict`` (speed) names every field and copies nested values."""
    import dataclasses

    finding = Finding(
        finding_id="0" * 32,
        rule_id="r",
        resource_id="arn:x",
        resource_type="aws.s3.bucket",
        resource_name=None,
        account_id="123456789012",
        region="us-east-1",
        outcome="fail",
        severity="high",
        category="cost",
        title="t",
        evidence={"a": [1, {"b": 2}], "c": (1, 2)},
        remediation="r",
        references={"docs": ["https://example.invalid"]},
        status="new",
        first_seen="2026-11-25T00:00:00Z",
        last_seen="2026-11-25T00:00:00Z",
        note="n",
    )
    out = finding.to_dict()
    assert out == dataclasses.asdict(finding)
    assert list(out) == [f.name for f in dataclasses.fields(Finding)]
    assert out["evidence"]["a"] is not finding.evidence["a"]
    assert out["references"]["docs"] is not finding.references["docs"]


def test_evolve_is_dataclasses_replace() -> None:
    import dataclasses

    import pytest

    finding = Finding(
        finding_id="0" * 32,
        rule_id="r",
        resource_id="arn:x",
        resource_type="aws.s3.bucket",
        resource_name="n",
        account_id="123456789012",
        region="us-east-1",
        outcome="fail",
        severity="high",
        category="cost",
        title="t",
        evidence={"a": 1},
        remediation="r",
        references={},
        status="new",
        first_seen="2026-11-25T00:00:00Z",
        last_seen="2026-11-25T00:00:00Z",
    )
    changes = {"status": "open", "rank": 3, "score": 0.5, "note": "kept"}
    assert finding.evolve(**changes) == dataclasses.replace(finding, **changes)  # type: ignore[arg-type]
    assert finding.evolve() == finding
    with pytest.raises(TypeError):
        finding.evolve(colour="red")
    shallow = finding.fields()
    assert shallow["evidence"] is finding.evidence
    assert shallow == finding.to_dict()
