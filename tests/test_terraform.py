"""The deployment in ``terraform/``, checked without AWS: the HCL parsed with python-hcl2 against
the issue's structural requirements and against the code it deploys (the store's key schema,
the handlers' contracts), the IAM policies against the least-privilege rules, and the state
machine definition rendered as Terraform renders it, then run on moto's Step Functions.

``scripts/check-terraform.sh`` does the rest: fmt, validate, asl-validator, checkov.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from moto import mock_aws
from moto.core.config import DefaultConfig

from engine.store import codec
from engine.store.dynamodb import table_definition
from tests.support.terraform import (
    ASL_TEMPLATE,
    ENGINE,
    SAMPLE_VALUES,
    TERRAFORM,
    UNSCOPED_ACTIONS,
    Module,
    TemplateError,
    contract,
    contract_errors,
    load_hcl,
    module,
    policy_statements,
    render_template,
    rendered_definition,
    template_variables,
    tf_files,
)
from tests.support.terraform_sfn import ScanMachine, aws_shaped_start_time, collector_answer

MODULES = ("engine", "member-role", "read-policy")
ROOTS = (*MODULES, "examples/complete")


def _variable_default(mod: Module, name: str) -> Any:
    return mod.variables[name].get("default")


def _var(expression: str) -> str:
    match = re.fullmatch(r"\$\{var\.(\w+)\}", expression)
    assert match, f"expected a plain variable reference, got {expression!r}"
    return match.group(1)


# --- the HCL at large ---------------------------------------------------------------------------


def test_every_root_pins_terraform_and_the_aws_provider() -> None:
    for name in ROOTS:
        blocks = module(name).terraform
        assert blocks, f"{name}: no terraform block"
        settings = blocks[0]
        assert settings["required_version"].startswith(">= 1."), name
        aws = settings["required_providers"][0]["aws"]
        assert aws == {"source": "hashicorp/aws", "version": "~> 5.0"}, name


def test_module_variables_are_typed_documented_and_validated() -> None:
    for name in MODULES:
        for var_name, body in module(name).variables.items():
            where = f"{name}: variable {var_name}"
            assert body.get("type"), f"{where}: no type"
            assert len(str(body.get("description", ""))) > 15, f"{where}: no description"
            # Free text and switches need no rule; everything else says what it accepts.
            if str(body["type"]).strip("${}") not in ("bool", "map(string)"):
                assert body.get("validation"), f"{where}: no validation block"


def test_every_output_is_documented() -> None:
    for name in ROOTS:
        for out_name, body in module(name).outputs.items():
            assert len(str(body.get("description", ""))) > 10, f"{name}: output {out_name}"


def test_every_checkov_skip_names_a_check_and_a_reason() -> None:
    pattern = re.compile(r"checkov:skip=(CKV2?_AWS_\d+):(.*)")
    skips = 0
    for path in tf_files():
        for line in path.read_text().splitlines():
            if "checkov:skip" not in line:
                continue
            match = pattern.search(line)
            assert match, f"{path}: malformed skip: {line.strip()}"
            assert len(match.group(2).strip()) >= 40, f"{path}: {match.group(1)} has no reason"
            skips += 1
    assert skips > 0


# --- the store ----------------------------------------------------------------------------------


def test_table_is_the_stores_table() -> None:
    engine = module("engine")
    table = engine.of_type("aws_dynamodb_table")["inventory"]
    expected = table_definition()
    assert _variable_default(engine, "table_name") == codec.TABLE_NAME == expected["TableName"]
    assert table["billing_mode"] == expected["BillingMode"] == "PAY_PER_REQUEST"
    keys = {k["KeyType"]: k["AttributeName"] for k in expected["KeySchema"]}
    assert engine.local(table["hash_key"]) == keys["HASH"] == "resource_id"
    assert engine.local(table["range_key"]) == keys["RANGE"] == "timestamp"
    attributes = {(engine.local(a["name"]), a["type"]) for a in table["attribute"]}
    assert attributes == {
        (a["AttributeName"], a["AttributeType"]) for a in expected["AttributeDefinitions"]
    }
    (gsi,) = table["global_secondary_index"]
    (want,) = expected["GlobalSecondaryIndexes"]
    gsi_keys = {k["KeyType"]: k["AttributeName"] for k in want["KeySchema"]}
    assert engine.local(gsi["name"]) == want["IndexName"] == codec.GSI_NAME
    assert engine.local(gsi["hash_key"]) == gsi_keys["HASH"]
    assert engine.local(gsi["range_key"]) == gsi_keys["RANGE"]
    assert gsi["projection_type"] == want["Projection"]["ProjectionType"]


def test_table_has_ttl_pitr_and_customer_key_encryption() -> None:
    engine = module("engine")
    table = engine.of_type("aws_dynamodb_table")["inventory"]
    (ttl,) = table["ttl"]
    assert engine.local(ttl["attribute_name"]) == codec.TTL_ATTRIBUTE == "expires_at"
    assert ttl["enabled"] is True
    assert table["point_in_time_recovery"] == [{"enabled": True}]
    (sse,) = table["server_side_encryption"]
    assert sse["enabled"] is True
    assert sse["kms_key_arn"] == "${aws_kms_key.engine.arn}"
    assert engine.of_type("aws_kms_key")["engine"]["enable_key_rotation"] is True


# --- functions, logs, schedule ------------------------------------------------------------------


def test_functions_runtime_size_and_package() -> None:
    engine = module("engine")
    functions = engine.of_type("aws_lambda_function")
    want = {"collector": (512, 300), "analyser": (1769, 900)}
    for name, (memory, timeout) in want.items():
        fn = functions[name]
        assert fn["runtime"] == "python3.12"
        assert _variable_default(engine, _var(fn["memory_size"])) == memory
        assert _variable_default(engine, _var(fn["timeout"])) == timeout
        assert fn["filename"] == "${var.lambda_zip_path}"
        assert engine.locals["package_hash"] == "${filebase64sha256(var.lambda_zip_path)}"
        assert fn["architectures"] == ["${var.lambda_architecture}"]
        env = engine.local(fn["environment"][0]["variables"])
        assert {"INVENTORY_TABLE_NAME", "INVENTORY_RETENTION_DAYS"} <= set(env)
        assert not any("SECRET" in k or "PASSWORD" in k or "TOKEN" in k for k in env)
    rule = engine.variables["lambda_architecture"]["validation"][0]["condition"]
    assert '["x86_64", "arm64"]' in rule
    analyser_env = engine.locals["analyser_environment"]
    assert {
        "INVENTORY_TOPIC_ARN",
        "INVENTORY_BEDROCK_MODEL_ID",
        "INVENTORY_BEDROCK_REGION",
        "INVENTORY_REPORT_BUCKET",
        "INVENTORY_REPORT_PREFIX",
    } <= set(analyser_env)


def test_every_log_group_keeps_seven_days_encrypted_and_each_function_has_one() -> None:
    engine = module("engine")
    groups = engine.of_type("aws_cloudwatch_log_group")
    assert _variable_default(engine, "log_retention_days") == 7
    for name, group in groups.items():
        assert group["retention_in_days"] == "${var.log_retention_days}", name
        assert group["kms_key_id"] == "${aws_kms_key.engine.arn}", name
    names = {engine.local(g["name"]) for g in groups.values()}
    for fn in engine.of_type("aws_lambda_function").values():
        # Lambda writes to /aws/lambda/<function name>; the group must exist before it does.
        function_name = engine.local(fn["function_name"])
        assert f"/aws/lambda/{function_name}" in {
            n.replace("${local.collector_name}", engine.locals["collector_name"]).replace(
                "${local.analyser_name}", engine.locals["analyser_name"]
            )
            for n in names
        }
    state_machine = engine.of_type("aws_sfn_state_machine")["scan"]
    assert "aws_cloudwatch_log_group.state_machine.arn" in str(state_machine)


def test_schedule_runs_daily_at_two_utc_with_retries_and_an_encrypted_dead_letter_queue() -> None:
    engine = module("engine")
    schedule = engine.of_type("aws_scheduler_schedule")["daily_scan"]
    assert _variable_default(engine, _var(schedule["schedule_expression"])) == "cron(0 2 * * ? *)"
    assert _variable_default(engine, _var(schedule["schedule_expression_timezone"])) == "UTC"
    (target,) = schedule["target"]
    assert target["arn"] == "${aws_sfn_state_machine.scan.arn}"
    (retry,) = target["retry_policy"]
    assert _variable_default(engine, _var(retry["maximum_retry_attempts"])) == 2
    assert target["dead_letter_config"] == [{"arn": "${aws_sqs_queue.schedule_dlq.arn}"}]
    queue = engine.of_type("aws_sqs_queue")["schedule_dlq"]
    assert queue.get("sqs_managed_sse_enabled") is True or "kms_master_key_id" in queue


def test_alarm_set_goes_to_the_alarm_topic() -> None:
    engine = module("engine")
    alarms = engine.of_type("aws_cloudwatch_metric_alarm")
    metrics: dict[str, set[str]] = {}
    for name, alarm in alarms.items():
        assert alarm["alarm_actions"] == ["${aws_sns_topic.alarms.arn}"], name
        found = {alarm.get("metric_name")} | {
            q["metric"][0]["metric_name"] for q in alarm.get("metric_query", []) if "metric" in q
        }
        metrics[name] = {m for m in found if m}
    assert {"Errors", "Invocations"} <= metrics["lambda_error_rate"]
    assert metrics["lambda_duration"] == {"Duration"}
    assert {"ReadThrottleEvents", "WriteThrottleEvents"} <= metrics["dynamodb_throttles"]
    assert metrics["sns_delivery_failures"] == {"NumberOfNotificationsFailed"}
    assert "ExecutionsFailed" in metrics["state_machine_failures"]
    # Errors as a share of invocations (metric math), above 5 %.
    rate = alarms["lambda_error_rate"]
    expression = next(q["expression"] for q in rate["metric_query"] if "expression" in q)
    assert "100 * errors / invocations" in expression
    assert _variable_default(engine, _var(rate["threshold"])) == 5
    duration = alarms["lambda_duration"]["threshold"]
    assert "each.value.timeout_s * 1000 * var.lambda_duration_threshold_percent / 100" in duration
    assert _variable_default(engine, "lambda_duration_threshold_percent") == 80


def test_topics_are_encrypted_and_subscribe_emails() -> None:
    engine = module("engine")
    for name, topic in engine.of_type("aws_sns_topic").items():
        assert topic["kms_master_key_id"] == "${aws_kms_key.engine.arn}", name
    subscriptions = engine.of_type("aws_sns_topic_subscription")
    assert {s["protocol"] for s in subscriptions.values()} == {"email"}
    assert subscriptions["summary_email"]["for_each"] == "${toset(var.notification_emails)}"


def test_report_bucket_is_private_encrypted_versioned_and_expiring() -> None:
    engine = module("engine")
    (block,) = engine.of_type("aws_s3_bucket_public_access_block").values()
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls"):
        assert block[flag] is True, flag
    assert block["restrict_public_buckets"] is True
    (sse,) = engine.of_type("aws_s3_bucket_server_side_encryption_configuration").values()
    default = sse["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default["sse_algorithm"] == "aws:kms"
    (versioning,) = engine.of_type("aws_s3_bucket_versioning").values()
    assert versioning["versioning_configuration"] == [{"status": "Enabled"}]
    (lifecycle,) = engine.of_type("aws_s3_bucket_lifecycle_configuration").values()
    assert lifecycle["rule"][0]["expiration"] == [{"days": "${var.report_expiration_days}"}]
    (deny,) = [s for s in policy_statements(engine) if s.document == "reports_bucket"]
    assert deny.effect == "Deny"
    assert "aws:SecureTransport" in json.dumps(
        engine.data[("aws_iam_policy_document", "reports_bucket")]
    )


# --- IAM ----------------------------------------------------------------------------------------


def _all_statements() -> Iterator[tuple[str, Any]]:
    for name in MODULES:
        for statement in policy_statements(module(name)):
            yield name, statement


def test_no_allow_statement_grants_a_wildcard_action() -> None:
    for name, st in _all_statements():
        if st.effect == "Allow":
            assert st.actions, f"{name}/{st.document}/{st.sid}: no actions"
            assert not [a for a in st.actions if "*" in a], f"{name}/{st.document}/{st.sid}"


def test_resource_star_only_for_actions_without_resource_level_permissions() -> None:
    allowed = json.loads(UNSCOPED_ACTIONS.read_text())["actions"]
    used: set[str] = set()
    for name, st in _all_statements():
        if st.effect == "Allow" and st.unscoped:
            extra = set(st.actions) - set(allowed)
            assert not extra, f"{name}/{st.document}/{st.sid}: Resource * for {sorted(extra)}"
            used |= set(st.actions)
    # The allow-list holds nothing the policies do not use: it stays a list of reasons.
    assert used == set(allowed)
    for action, page in allowed.items():
        assert page.startswith(
            "https://docs.aws.amazon.com/service-authorization/latest/reference/list_"
        ), action


def test_every_permission_statement_takes_its_actions_from_the_action_maps() -> None:
    """Sid == key of the map it reads; every map key is granted somewhere; no stray lists."""
    maps = {
        "engine": (
            "collector_actions",
            "analyser_actions",
            "lambda_runtime_actions",
            "state_machine_actions",
            "scheduler_actions",
        ),
        "read-policy": ("read_actions",),
        "member-role": (),
    }
    for name, map_names in maps.items():
        mod = module(name)
        granted: set[tuple[str, str]] = set()
        for st in policy_statements(mod):
            trust_or_deny = st.document.endswith("trust") or st.effect == "Deny"
            if trust_or_deny:
                assert st.source is None
                continue
            assert st.source is not None, f"{name}/{st.document}/{st.sid}: literal actions"
            assert st.source[0] in map_names and st.source[1] == st.sid, st
            granted.add(st.source)
        declared = {(m, key) for m in map_names for key in mod.locals[m]}
        assert granted == declared, f"{name}: declared but not granted: {declared - granted}"


def test_read_policy_scopes_every_statement_it_can() -> None:
    mod = module("read-policy")
    assert set(mod.locals["read_actions"]) == set(mod.locals["read_resources"])
    for st in policy_statements(mod):
        if not st.unscoped:
            assert isinstance(st.resources, tuple)
            assert all(r.startswith("${local.arn_prefix}:") for r in st.resources), st
            # Scoped to the scanned account wherever the ARN carries one (S3's does not).
            assert all("${local.account}" in r or ":s3:::" in r for r in st.resources), st


def test_member_role_trusts_only_the_collector_with_an_optional_external_id() -> None:
    mod = module("member-role")
    trust = mod.data[("aws_iam_policy_document", "trust")]["statement"]
    (statement,) = trust
    assert statement["actions"] == ["sts:AssumeRole"]
    assert statement["principals"] == [
        {"type": "AWS", "identifiers": ["${var.collector_role_arn}"]}
    ]
    (condition,) = statement["dynamic"]
    content = condition["condition"]["content"][0]
    assert content["variable"] == "sts:ExternalId"
    assert (
        condition["condition"]["for_each"] == "${var.external_id == null ? [] : [var.external_id]}"
    )
    policy = mod.of_type("aws_iam_role_policy")["read"]
    assert policy["policy"] == "${module.read_policy.json}"


def test_key_policy_grants_services_narrowly() -> None:
    engine = module("engine")
    statements = (
        engine.locals["key_policy_statements"] + engine.locals["key_policy_report_statements"]
    )
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else None
        if statement["Sid"] == "EnableIamPolicies":
            assert statement["Principal"] == {
                "AWS": "arn:${local.partition}:iam::${local.account_id}:root"
            }
            continue
        assert "Condition" in statement, statement["Sid"]
        conditions = json.dumps(statement["Condition"])
        assert (
            "kms:ViaService" in conditions
            or "aws:SourceAccount" in conditions
            or ("kms:EncryptionContext:aws:logs:arn" in conditions)
        ), statement["Sid"]
        resolved = engine.local(statement["Action"]) if actions is None else actions
        assert isinstance(resolved, list), statement["Sid"]
        assert not [a for a in resolved if "*" in a], statement["Sid"]


# --- the state machine definition ---------------------------------------------------------------


def test_template_variables_are_exactly_what_terraform_passes() -> None:
    text = (ENGINE / "stepfunctions.tf").read_text()
    call = text[text.index("templatefile(") : text.index("})", text.index("templatefile("))]
    passed = set(re.findall(r"^\s*(\w+)\s*=", call, flags=re.MULTILINE))
    assert template_variables(ASL_TEMPLATE.read_text()) == passed == set(SAMPLE_VALUES)


def test_renderer_refuses_what_it_does_not_model() -> None:
    with pytest.raises(TemplateError, match="no value for b"):
        render_template("${a}${b}", {"a": 1})
    with pytest.raises(TemplateError, match="directives"):
        render_template("%{ if a }x%{ endif }", {})
    with pytest.raises(TemplateError, match="unsupported interpolation"):
        render_template("${var.a}", {})


def contract_required(name: str) -> list[str]:
    return list(contract(name)["required"])


def _map_state() -> tuple[dict[str, Any], dict[str, Any]]:
    definition = rendered_definition()
    return definition, definition["States"]["CollectAll"]


def test_map_is_distributed_over_targets_with_concurrency_and_tolerance() -> None:
    _, state = _map_state()
    assert state["Type"] == "Map"
    assert state["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",  # a collector may run 5 minutes; EXPRESS stops at 5
    }
    assert state["ItemsPath"] == "$.targets"
    assert state["MaxConcurrency"] == SAMPLE_VALUES["max_concurrency"]
    assert 0 < state["ToleratedFailurePercentage"] < 100
    assert state["ResultPath"] is None  # the analyser reads parts from the store, not results
    assert state["Next"] == "Analyse"


def test_collector_task_retries_throttling_and_service_errors_with_backoff() -> None:
    _, state = _map_state()
    task = state["ItemProcessor"]["States"][state["ItemProcessor"]["StartAt"]]
    assert task["Resource"] == "arn:aws:states:::lambda:invoke"
    assert task["Parameters"]["FunctionName"] == SAMPLE_VALUES["collector_function_arn"]
    retries = task["Retry"]
    by_error = {error: r for r in retries for error in r["ErrorEquals"]}
    for error in (
        "Lambda.TooManyRequestsException",
        "Lambda.ServiceException",
        "Lambda.SdkClientException",
        "States.TaskFailed",
    ):
        assert by_error[error]["MaxAttempts"] >= 1, error
        assert by_error[error]["BackoffRate"] > 1, error
    # A timeout is matched (and not retried) before States.TaskFailed could match it.
    assert retries[0]["ErrorEquals"] == ["States.Timeout", "Sandbox.Timedout"]
    assert retries[0]["MaxAttempts"] == 0
    assert task["TimeoutSeconds"] > 300


def test_collector_result_selector_reads_only_contract_fields() -> None:
    _, state = _map_state()
    task = state["ItemProcessor"]["States"]["Collect"]
    required = set(contract_required("collector_output"))
    picked = {v.removeprefix("$.Payload.") for v in task["ResultSelector"].values()}
    assert picked <= required


def test_analyser_runs_once_after_the_map_with_the_contract_fields() -> None:
    definition, _ = _map_state()
    analyse = definition["States"]["Analyse"]
    assert analyse["End"] is True
    payload = analyse["Parameters"]["Payload"]
    assert {k.removesuffix(".$") for k in payload} == set(contract_required("analyser_input"))
    retried = {e for r in analyse["Retry"] for e in r["ErrorEquals"]}
    assert "States.TaskFailed" not in retried  # it may already have sent the e-mail
    tasks = [
        name
        for name, s in definition["States"].items()
        if s["Type"] == "Task" and "analyser" in s["Parameters"]["FunctionName"]
    ]
    assert tasks == ["Analyse"]


# --- the contracts ------------------------------------------------------------------------------

GOOD_ITEM = {
    "account_id": "111122223333",
    "region": "eu-west-1",
    "role_arn": "arn:aws:iam::111122223333:role/aws-inventory-read",
    "external_id": "inventory-2026",
    "scan_id": "scan-20261125T020000Z-1a2b3c4d",
    "started_at": "2026-11-25T02:00:00.123Z",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"role_arn": None}, "None is not of type 'string'"),
        ({"region": "all"}, "does not match"),
        ({"scan_id": "scan#1"}, "does not match"),
        ({"started_at": "2026-11-25 02:00:00"}, "does not match"),
        ({"surprise": 1}, "Additional properties"),
    ],
)
def test_collector_input_contract_rejects_bad_items(change: dict[str, Any], message: str) -> None:
    assert contract_errors("collector_input", GOOD_ITEM) == []
    errors = contract_errors("collector_input", {**GOOD_ITEM, **change})
    assert any(message in e for e in errors), errors


def test_collector_output_and_analyser_input_contracts() -> None:
    output = {
        "scan_id": GOOD_ITEM["scan_id"],
        "account_id": "111122223333",
        "region": "eu-west-1",
        "status": "partial",
        "resources": 12,
        "errors": 1,
        "by_type": {"aws.ec2.instance": 12},
    }
    assert contract_errors("collector_output", output) == []
    assert contract_errors("collector_output", {**output, "status": "failed"})
    assert contract_errors("collector_output", {k: v for k, v in output.items() if k != "errors"})
    analyser = {
        "scan_id": GOOD_ITEM["scan_id"],
        "started_at": GOOD_ITEM["started_at"],
        "targets": [{"account_id": "111122223333", "region": "eu-west-1"}],
    }
    assert contract_errors("analyser_input", analyser) == []
    assert contract_errors("analyser_input", {**analyser, "targets": []})


# --- the definition, run on moto's Step Functions -----------------------------------------------

SCAN_ID = re.compile(r"^scan-(\d{8}T\d{6})Z-[0-9a-f]{8}$")


@pytest.fixture
def machine(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScanMachine]:
    """The definition on moto: executions on, Lambda without Docker, payloads recorded."""
    aws_shaped_start_time(monkeypatch)
    config: DefaultConfig = {
        "stepfunctions": {"execute_state_machine": True},
        "lambda": {"use_docker": False},
    }
    with mock_aws(config=config):
        yield ScanMachine()


TARGETS = [
    {"account_id": "123456789012", "region": "eu-west-1"},
    {"account_id": "123456789012", "region": "us-east-1"},
    {
        "account_id": "111122223333",
        "region": "eu-west-1",
        "role_arn": "arn:aws:iam::111122223333:role/aws-inventory-read",
        "external_id": "inventory-2026",
    },
    {
        "account_id": "111122223333",
        "region": "us-east-1",
        "role_arn": "arn:aws:iam::111122223333:role/aws-inventory-read",
        "external_id": "inventory-2026",
    },
]


def test_each_target_reaches_the_collector_once_then_the_analyser_once(
    machine: ScanMachine,
) -> None:
    summary = {"scan_id": "from-analyser", "status": "complete", "findings": 7}
    machine.answer(*(collector_answer(t) for t in TARGETS), summary)
    result = machine.run({"targets": TARGETS})
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == summary

    collected = machine.payloads("collector")
    for payload in collected:
        assert contract_errors("collector_input", payload) == [], payload
    # Exactly the targets, each once, each with its own role and external id.
    strip = [{k: v for k, v in p.items() if k not in ("scan_id", "started_at")} for p in collected]
    assert sorted(strip, key=json.dumps) == sorted(TARGETS, key=json.dumps)
    # One scan: the same id and start time everywhere, the id made from the start time.
    assert len({(p["scan_id"], p["started_at"]) for p in collected}) == 1
    scan_id, started_at = collected[0]["scan_id"], collected[0]["started_at"]
    match = SCAN_ID.match(scan_id)
    assert match, scan_id
    stamp = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    assert stamp == datetime.fromisoformat(started_at).replace(microsecond=0)

    (analysed,) = machine.payloads("analyser")
    assert contract_errors("analyser_input", analysed) == []
    assert analysed == {"scan_id": scan_id, "started_at": started_at, "targets": TARGETS}


def test_a_given_scan_id_and_a_single_target_use_the_same_definition(
    machine: ScanMachine,
) -> None:
    one = [{"account_id": "123456789012", "region": "eu-west-1"}]
    machine.answer(collector_answer(one[0]), {"scan_id": "scan-rerun-1", "status": "complete"})
    result = machine.run({"targets": one, "scan_id": "scan-rerun-1"})
    assert result["status"] == "SUCCEEDED", result
    (collected,) = machine.payloads("collector")
    assert contract_errors("collector_input", collected) == []
    assert collected["scan_id"] == "scan-rerun-1"
    (analysed,) = machine.payloads("analyser")
    assert analysed["scan_id"] == "scan-rerun-1" and analysed["targets"] == one


def test_a_collector_answer_outside_the_contract_fails_its_item(machine: ScanMachine) -> None:
    """ResultSelector reads the contract's fields: an answer without them is a failed item."""
    one = [{"account_id": "123456789012", "region": "eu-west-1"}]
    machine.answer({"status": "complete"}, {"status": "complete"})
    result = machine.run({"targets": one})
    (run,) = machine.sfn.list_map_runs(executionArn=result["executionArn"])["mapRuns"]
    counts = machine.sfn.describe_map_run(mapRunArn=run["mapRunArn"])["itemCounts"]
    assert (counts["failed"], counts["succeeded"]) == (1, 0)
    # On AWS one failed item of one is above any tolerance below 100 % and fails the execution;
    # moto 5.2 ignores ToleratedFailurePercentage, so the execution's status is not asserted.


def test_tf_files_are_all_parsed() -> None:
    # Guards the helpers above: a file python-hcl2 cannot read would silently drop its blocks.
    assert len(tf_files()) >= 20
    for path in tf_files():
        assert isinstance(load_hcl(path), dict), path
    assert (TERRAFORM / "examples" / "complete" / "main.tf").exists()
