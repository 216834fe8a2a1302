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


def test_findings_read_back_share_what_repeats() -> None:
    # A scan read back from the store holds one copy of each rule's texts and references,
    # not one per finding; values that are not a rule's {source: [text]} stay as they were.
    import json

    def stored(resource: str, references: object) -> Finding:
        data = {
            "finding_id": resource,
            "rule_id": "rule-a",
            "resource_id": resource,
            "resource_type": "aws.s3.bucket",
            "resource_name": None,
            "account_id": "123456789012",
            "region": "us-east-1",
            "outcome": "fail",
            "severity": "high",
            "category": "cost",
            "title": "A long title that every finding of the rule repeats",
            "evidence": {},
            "remediation": "A remediation text that every finding of the rule repeats",
            "references": references,
            "status": "open",
            "first_seen": "2026-11-25T00:00:00Z",
            "last_seen": "2026-11-26T00:00:00Z",
        }
        return Finding.from_dict(json.loads(json.dumps(data)))  # fresh strings, as a decoder

    refs = {"docs": ["https://example.invalid/a"], "aws_config": ["s3-bucket-versioning"]}
    one, two = stored("arn:1", refs), stored("arn:2", refs)
    assert one.references == refs and one.references is two.references
    assert one.title is two.title and one.remediation is two.remediation
    assert one.first_seen is two.first_seen
    odd = stored("arn:3", {"docs": [["nested"]], "n": [1]})
    assert odd.references == {"docs": [["nested"]], "n": [1]}
    assert odd.references is not one.references
