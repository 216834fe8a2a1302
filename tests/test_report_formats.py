"""Machine formats: golden files for the simulated account, and each validated by its schema.

* json: every finding against the Finding JSON Schema;
* sarif: the OASIS SARIF 2.1.0 schema from ``../shared/data/sarif/`` (fails under CI if absent);
* junit: the JUnit XML structure and its counts against the evaluation summary;
* ocsf: the OCSF 1.5.0 Compliance Finding models of ``py-ocsf-models`` (the ``cloud`` profile
  object with its own model), with no field the models do not know;
* asff: botocore's parameter validation for ``securityhub.batch_import_findings`` (no network
  call), plus the enums and documented lengths that validation does not check;
* html: the golden file only (the page itself is tested in a browser, test_report_html_browser).

Golden files are rewritten only with ``UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import botocore.session
import jsonschema
import pytest
from botocore.model import Shape
from botocore.validate import validate_parameters

from engine.report import Report
from engine.reports.asff import render_asff
from engine.reports.html import render_html, write_html
from engine.reports.json_format import render_json
from engine.reports.junit import render_junit
from engine.reports.ocsf import render_ocsf
from engine.reports.sarif import render_sarif
from engine.rules import load_rules
from engine.schema import validator
from tests.support.reports import check_golden, simulated_report, synthetic_report

REPO = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = REPO.parent / "shared" / "data" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def simulated() -> Report:
    report = simulated_report()
    assert report.rules is not None, "the pipeline hands the rules to the reporters"
    return report


@pytest.fixture(scope="module")
def every_shape() -> Report:
    """Fails, errors, suppressed, resolved, a partial scan, hostile characters."""
    report = synthetic_report(120, rules=10)
    first = report.findings[0]
    hostile = replace(first, resource_name="bad\x01name <script>&\"'", title="t\x0bitle")
    return replace(report, findings=[hostile, *report.findings[1:]])


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not available")


# ---- json -------------------------------------------------------------------------------------


def test_json_golden_and_finding_schema(simulated: Report, every_shape: Report) -> None:
    text = render_json(simulated)
    check_golden("simulated.json", text)
    for report in (simulated, every_shape):
        doc = json.loads(render_json(report))
        assert doc["scan"]["scan_id"] == report.manifest.scan_id
        assert len(doc["findings"]) == len(report.findings)
        for finding in doc["findings"]:
            assert not list(validator("finding").iter_errors(finding))


# ---- sarif ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    if not SARIF_SCHEMA.exists():
        _missing(f"the SARIF 2.1.0 schema at {SARIF_SCHEMA}")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_sarif_golden_and_schema(
    simulated: Report, every_shape: Report, sarif_validator: jsonschema.Draft4Validator
) -> None:
    text = render_sarif(simulated)
    check_golden("simulated.sarif", text)
    for report in (simulated, every_shape):
        log = json.loads(render_sarif(report))
        errors = sorted(sarif_validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_sarif_rules_locations_and_levels(simulated: Report) -> None:
    run = json.loads(render_sarif(simulated))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r.id for r in load_rules().rules)
    assert len(run["results"]) == len(simulated.findings)
    levels = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
    for result, finding in zip(run["results"], simulated.findings, strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule_id
        [location] = result["locations"]
        [logical] = location["logicalLocations"]
        assert logical["fullyQualifiedName"] == finding.resource_id
        assert logical["kind"] == "resource"
        assert result["level"] == levels.get(finding.severity, "note")
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_without_rules_lists_the_rules_that_fired(simulated: Report) -> None:
    plain = simulated_report()
    run = json.loads(render_sarif(plain))["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == sorted(
        {f.rule_id for f in plain.findings}
    )


def test_sarif_errors_history_suppressions_and_partial_scan(every_shape: Report) -> None:
    run = json.loads(render_sarif(every_shape))["runs"][0]
    by_id = {r["partialFingerprints"]["findingId/v1"]: r for r in run["results"]}
    for f in every_shape.findings:
        result = by_id[f.finding_id]
        if f.outcome == "error":
            assert (result["kind"], result["level"]) == ("review", "none")
        if f.status == "suppressed":
            assert result["suppressions"][0]["justification"] == f.note
        expected = {"new": "new", "open": "unchanged", "resolved": "absent"}.get(f.status)
        assert result.get("baselineState") == expected
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notifications = invocation["toolExecutionNotifications"]
    assert len(notifications) == len(every_shape.manifest.errors) == 2
    assert "ap-southeast-2 ec2.DescribeInstances" in notifications[0]["message"]["text"]


# ---- junit ------------------------------------------------------------------------------------


def _junit_structure(root: ET.Element) -> None:
    """Testsuites > testsuite > testcase, each count attribute equal to what it contains."""
    assert root.tag == "testsuites"
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root:
        assert suite.tag == "testsuite" and suite.get("name")
        counts = dict.fromkeys(totals, 0)
        for child in suite:
            assert child.tag in ("properties", "testcase", "system-out"), child.tag
            if child.tag != "testcase":
                continue
            assert child.get("classname") == suite.get("name") and child.get("name")
            outcomes = [c.tag for c in child]
            assert len(outcomes) <= 1 and set(outcomes) <= {"failure", "error", "skipped"}
            counts["tests"] += 1
            for tag, key in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
                counts[key] += tag in outcomes
        for key, value in counts.items():
            assert int(suite.get(key, "-1")) == value, (suite.get("name"), key)
            totals[key] += value
    for key, value in totals.items():
        assert int(root.get(key, "-1")) == value


def test_junit_golden_and_structure(simulated: Report) -> None:
    text = render_junit(simulated)
    check_golden("simulated.junit.xml", text)
    root = ET.fromstring(text.encode("utf-8"))
    _junit_structure(root)
    per_rule = simulated.manifest.evaluation["per_rule"]  # type: ignore[index]
    for suite in root:
        stats = per_rule[suite.get("name")]
        assert int(suite.get("tests", "0")) == sum(stats.values())
        assert int(suite.get("failures", "0")) == stats["fail"]
        assert int(suite.get("errors", "0")) == stats["error"]
        assert int(suite.get("skipped", "0")) == stats["not_applicable"]
        assert suite.find("system-out") is None
    names = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(names) == len(set(names)), "one test case per rule x resource"


def test_junit_errors_suppressed_and_unrecorded_passes(every_shape: Report) -> None:
    text = render_junit(every_shape)
    root = ET.fromstring(text.encode("utf-8"))  # hostile control characters did not break it
    _junit_structure(root)
    current = [f for f in every_shape.findings if f.status != "resolved"]
    assert int(root.get("tests", "0")) == len(current)
    assert int(root.get("errors", "0")) == sum(f.outcome == "error" for f in current)
    suppressed = [f for f in current if f.status == "suppressed" and f.outcome == "fail"]
    assert int(root.get("skipped", "0")) == len(suppressed)
    stats = {f.rule_id: {"pass": 5} for f in current}
    noted = replace(
        every_shape, manifest=replace(every_shape.manifest, evaluation={"per_rule": stats})
    )
    outs = ET.fromstring(render_junit(noted).encode()).iter("system-out")
    assert all("not recorded" in (o.text or "") for o in outs)


# ---- ocsf -------------------------------------------------------------------------------------


def _ocsf_models() -> tuple[Any, Any]:
    try:
        from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
        from py_ocsf_models.objects.cloud import Cloud
    except ModuleNotFoundError:
        _missing("py-ocsf-models")
    return ComplianceFinding, Cloud


def test_ocsf_golden_and_models(simulated: Report, every_shape: Report) -> None:
    compliance_finding, cloud_model = _ocsf_models()
    check_golden("simulated.ocsf.json", render_ocsf(simulated))
    for report in (simulated, every_shape):
        events = json.loads(render_ocsf(report))
        assert len(events) == len(report.findings)
        for raw in events:
            event = dict(raw)
            cloud = event.pop("cloud")
            model = compliance_finding.model_validate(event)
            # pydantic ignores unknown fields and coerces types: a round trip that changes
            # nothing proves every field is known to OCSF 1.5.0 and has the right type.
            assert model.model_dump(mode="json", exclude_unset=True) == event
            assert (
                cloud_model.model_validate(cloud).model_dump(mode="json", exclude_unset=True)
                == cloud
            )
            assert event["class_uid"] == 2003 and event["metadata"]["version"] == "1.5.0"
            assert event["type_uid"] == 200300 + event["activity_id"]


def test_ocsf_maps_outcomes_and_history(every_shape: Report) -> None:
    events = {e["finding_info"]["uid"]: e for e in json.loads(render_ocsf(every_shape))}
    for f in every_shape.findings:
        event = events[f.finding_id]
        expected = 1 if f.status == "resolved" else 2 if f.outcome == "error" else 3
        assert event["compliance"]["status_id"] == expected
        assert event["status_id"] == {"new": 1, "open": 1, "suppressed": 3, "resolved": 4}[f.status]
        assert event["resources"][0]["uid"] == f.resource_id


# ---- asff -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def import_shape() -> Shape:
    model = botocore.session.get_session().get_service_model("securityhub")
    return model.operation_model("BatchImportFindings").input_shape


def _enums(value: Any, shape: Shape, path: str = "") -> list[str]:
    """Values outside a string shape's enum: botocore's validation does not check those."""
    problems: list[str] = []
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if name in value:
                problems += _enums(value[name], member, f"{path}.{name}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            problems += _enums(item, shape.member, f"{path}[{i}]")  # type: ignore[attr-defined]
    elif shape.type_name == "map":
        for key, item in value.items():
            problems += _enums(item, shape.value, f"{path}.{key}")  # type: ignore[attr-defined]
    elif shape.type_name == "string" and shape.enum and value not in shape.enum:
        problems.append(f"{path}: {value!r} not in {shape.enum}")
    return problems


def test_asff_golden_and_botocore_validation(
    simulated: Report, every_shape: Report, import_shape: Shape
) -> None:
    check_golden("simulated.asff.json", render_asff(simulated))
    for report in (simulated, every_shape):
        params = json.loads(render_asff(report))
        validate_parameters(params, import_shape)  # raises ParamValidationError
        assert not _enums(params, import_shape)
        ids = [f["Id"] for f in params["Findings"]]
        assert len(ids) == len(set(ids)) == len(report.findings)
        for finding in params["Findings"]:
            assert len(finding["Title"]) <= 256 and len(finding["Description"]) <= 1024
            account, region = finding["AwsAccountId"], finding["Region"]
            assert finding["ProductArn"] == (
                f"arn:aws:securityhub:{region}:{account}:product/{account}/default"
            )


def test_asff_invalid_document_is_caught(simulated: Report, import_shape: Shape) -> None:
    params = json.loads(render_asff(simulated))
    params["Findings"][0]["Severity"]["Label"] = "SEVERE"
    assert _enums(params, import_shape)
    del params["Findings"][0]["AwsAccountId"]
    with pytest.raises(Exception, match="AwsAccountId"):
        validate_parameters(params, import_shape)


def test_asff_statuses(every_shape: Report) -> None:
    findings = {f["Id"].split("/")[1]: f for f in json.loads(render_asff(every_shape))["Findings"]}
    for f in every_shape.findings:
        asff = findings[f.finding_id]
        if f.status == "resolved":
            assert asff["Compliance"]["Status"] == "PASSED" and asff["RecordState"] == "ARCHIVED"
        elif f.outcome == "error":
            assert asff["Compliance"]["Status"] == "WARNING"
        else:
            assert asff["Compliance"]["Status"] == "FAILED"
        assert asff["Workflow"]["Status"] == {
            "new": "NEW", "open": "NEW", "suppressed": "SUPPRESSED", "resolved": "RESOLVED"
        }[f.status]  # fmt: skip


# ---- html -------------------------------------------------------------------------------------


def test_html_golden(simulated: Report) -> None:
    check_golden("simulated.html", render_html(simulated))


def _table(page: str) -> list[dict[str, Any]]:
    """The rows of the page's findings table (the JSON its script draws them from)."""
    found = re.search(r'id="findings-data">(.*?)</script>', page, re.DOTALL)
    assert found is not None
    rows: list[dict[str, Any]] = json.loads(found.group(1))
    return rows


def test_html_table_under_its_cap_holds_every_finding(simulated: Report) -> None:
    page = render_html(simulated)
    assert [r["id"] for r in _table(page)] == [f.finding_id for f in simulated.findings]
    assert "table-capped" not in page


@pytest.mark.parametrize("limit", [100, 280])
def test_html_table_past_its_cap_says_how_many_are_left_out_and_where(limit: int) -> None:
    """Past the cap: the highest-ranked findings still present, then resolved ones if room is
    left (280 leaves room for some), in rank order; the page counts what it leaves out."""
    report = synthetic_report(300, rules=10)
    present = [f for f in report.findings if f.status != "resolved"]
    resolved = [f for f in report.findings if f.status == "resolved"]
    assert 100 < len(present) < 280 < len(report.findings)
    out = io.StringIO()
    write_html(report, out, table_max=limit, complete_list="the json report <all>.json")
    page = out.getvalue()
    kept = {f.finding_id for f in present[:limit] + resolved[: max(0, limit - len(present))]}
    assert [r["id"] for r in _table(page)] == [
        f.finding_id for f in report.findings if f.finding_id in kept
    ]
    assert len(kept) == limit
    banner = re.search(r'id="table-capped">(.*?)</p>', page)
    assert banner is not None
    text = banner.group(1)
    assert f"This table holds {limit} of the 300 findings" in text
    assert f"The other {300 - limit}, ranked lowest, are not in this page" in text
    assert text.endswith("Every finding is in the json report &lt;all&gt;.json.")
    assert "<h2>Findings (300)</h2>" in page
    assert f'<b id="total-count">{limit}</b>' in page
