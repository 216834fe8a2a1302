"""Rule loading: every mistake is one located line ``file:line: rule-id: field: message``, exit 2."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import RuleErrors
from engine.rules import load_rules

GOOD = """\
id: {id}
title: Bucket versioning is not enabled
resource: aws.s3.bucket
category: reliability
severity: medium
condition: attributes.versioning != 'Enabled'
evidence:
  versioning: attributes.versioning
remediation: Enable versioning on the bucket.
references:
  security_hub: [S3.14]
tests:
  pass:
    - {{attributes: {{versioning: Enabled}}}}
  fail:
    - {{attributes: {{versioning: Suspended}}}}
"""


def write_rule(folder: Path, rule_id: str, text: str | None = None) -> Path:
    path = folder / f"{rule_id}.yaml"
    path.write_text(textwrap.dedent(text) if text is not None else GOOD.format(id=rule_id))
    return path


def one_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1, err
    return err[0]


def test_good_rule_validates_and_tests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_rule(tmp_path, "good-rule")
    assert main(["rules", "validate", str(tmp_path)]) == 0
    assert "1 rule(s) valid" in capsys.readouterr().out
    assert main(["rules", "test", str(tmp_path)]) == 0
    assert "2 test case(s) passed" in capsys.readouterr().out


def test_bad_field_is_located(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.format(id="bad-field").replace("severity: medium", "severity: urgent")
    path = write_rule(tmp_path, "bad-field", text)
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert line.startswith(f"{path}:5: bad-field: severity: ")
    assert "urgent" in line


def test_unknown_top_level_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.format(id="extra").replace("category:", "colour: red\ncategory:")
    path = write_rule(tmp_path, "extra", text)
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert line.startswith(f"{path}:1: extra: -: ")
    assert "colour" in line


def test_bad_jmespath_is_located(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.format(id="bad-expr").replace(
        "condition: attributes.versioning != 'Enabled'", "condition: attributes.versioning != "
    )
    path = write_rule(tmp_path, "bad-expr", text)
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert line.startswith(f"{path}:6: bad-expr: condition: invalid JMESPath")


def test_unknown_function_caught_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.format(id="bad-func").replace(
        "versioning: attributes.versioning\nremediation",
        "versioning: frobnicate(attributes.versioning)\nremediation",
    )
    path = write_rule(tmp_path, "bad-func", text)
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert line.startswith(
        f"{path}:8: bad-func: evidence.versioning: unknown function frobnicate()"
    )


def test_wrong_arity_caught_at_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.format(id="arity").replace(
        "condition: attributes.versioning != 'Enabled'",
        "condition: days_since(created_at, `1`) > `3`",
    )
    path = write_rule(tmp_path, "arity", text)
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert "condition: function days_since() takes 1 argument(s), 2 given" in line


def test_duplicate_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_rule(tmp_path / "a", "same-id")
    second = write_rule(tmp_path / "b", "same-id")
    line = one_error(capsys, ["rules", "validate", str(tmp_path)])
    assert line == f"{second}:1: same-id: id: duplicate rule id, first defined in {first}:1"


def test_id_must_equal_file_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "file-name.yaml"
    path.write_text(GOOD.format(id="other-name"))
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert line == f"{path}:1: other-name: id: id must equal the file name 'file-name'"


def test_failing_inline_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.format(id="wrong-test").replace(
        "- {attributes: {versioning: Suspended}}", "- {attributes: {versioning: Enabled}}"
    )
    path = write_rule(tmp_path, "wrong-test", text)
    assert main(["rules", "validate", str(path)]) == 0
    capsys.readouterr()
    line = one_error(capsys, ["rules", "test", str(path)])
    assert line == f"{path}:16: wrong-test: tests.fail[0]: expected fail, got pass"


def test_inline_test_that_errors_is_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.format(id="null-test").replace(
        "- {attributes: {versioning: Enabled}}", "- {attributes: {mfa_delete: true}}"
    )
    path = write_rule(tmp_path, "null-test", text)
    line = one_error(capsys, ["rules", "test", str(path)])
    assert line.startswith(f"{path}:14: null-test: tests.pass[0]: expected pass, got error")
    assert "attributes.versioning" in line


def test_undeclared_param(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.format(id="no-param").replace(
        "condition: attributes.versioning != 'Enabled'",
        "condition: attributes.versioning != params.wanted",
    )
    path = write_rule(tmp_path, "no-param", text)
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert (
        line
        == f"{path}:6: no-param: condition: reads params.wanted, which is not declared under params"
    )


def test_unknown_attribute_caught_at_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.format(id="typo").replace(
        "condition: attributes.versioning != 'Enabled'",
        "condition: attributes.versionning != 'Enabled'",
    )
    path = write_rule(tmp_path, "typo", text)
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert (
        line
        == f"{path}:6: typo: condition: reads attributes.versionning, which aws.s3.bucket does not have"
    )


def test_invalid_yaml_and_duplicate_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_rule(tmp_path, "broken", "id: broken\ntitle: [unclosed\n")
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert line.startswith(f"{path}:3: broken: -: invalid YAML")
    dup = write_rule(tmp_path, "dup", GOOD.format(id="dup") + "severity: low\n")
    line = one_error(capsys, ["rules", "validate", str(dup)])
    assert line == f"{dup}:17: dup: -: duplicate key 'severity'"


def test_non_mapping_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_rule(tmp_path, "listy", "- 1\n- 2\n")
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert line == f"{path}:1: listy: -: a rule must be a mapping, got list"


def test_escalation_needs_default_last(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.format(id="esc").replace(
        "severity: medium",
        'severity:\n  - {when: "attributes.mfa_delete", severity: high}\n  - {when: "`true`", severity: low}',
    )
    path = write_rule(tmp_path, "esc", text)
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert line.startswith(f"{path}:7: esc: severity[1]: the last escalation step is the default")


def test_every_error_reported_not_just_first(tmp_path: Path) -> None:
    write_rule(
        tmp_path, "one", GOOD.format(id="one").replace("category: reliability", "category: nope")
    )
    write_rule(tmp_path, "two", GOOD.format(id="two").replace("!= 'Enabled'", "!= "))
    with pytest.raises(RuleErrors) as info:
        load_rules([tmp_path])
    assert [e.rule_id for e in info.value.errors] == ["one", "two"]


def test_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = one_error(capsys, ["rules", "validate", str(tmp_path / "nope")])
    assert line == f"{tmp_path / 'nope'}: -: -: no such file or folder"


def test_bare_null_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD.format(id="bare-null").replace(
        "condition: attributes.versioning != 'Enabled'", "condition: attributes.versioning == null"
    )
    path = write_rule(tmp_path, "bare-null", text)
    line = one_error(capsys, ["rules", "validate", str(path)])
    assert (
        line
        == f"{path}:6: bare-null: condition: null here is a field name; write the literal `null`"
    )
