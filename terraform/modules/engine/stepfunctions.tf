# The scan workflow. The definition is statemachine.asl.json.tftpl beside this file (validated by
# scripts/check-terraform.sh with asl-validator and by tests/test_terraform.py, which also runs
# it on moto); the handlers' input and output shapes are contracts/*.schema.json.

locals {
  state_machine_definition = templatefile("${path.module}/statemachine.asl.json.tftpl", {
    partition              = local.partition
    collector_function_arn = aws_lambda_function.collector.arn
    analyser_function_arn  = aws_lambda_function.analyser.arn
    max_concurrency        = var.max_concurrency
    # Rendered with decimals: ASL takes any number 0-100 here, and moto's ASL parser (used by
    # the tests) accepts only a decimal token for this field.
    tolerated_failure_percentage = format("%.2f", var.tolerated_failure_percentage)
    # A backstop above the function's own timeout (the Lambda stops itself first).
    collector_task_timeout = var.collector_timeout_s + 30
    analyser_task_timeout  = var.analyser_timeout_s + 30
  })
}

resource "aws_cloudwatch_log_group" "state_machine" {
  #checkov:skip=CKV_AWS_338:Retention is 7 days by design (issue 9, variable log_retention_days): scans and findings live in DynamoDB with their own retention; logs are for debugging a run.
  name              = local.states_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.engine.arn
  tags              = local.tags
}

resource "aws_sfn_state_machine" "scan" {
  name       = local.state_machine_name
  type       = "STANDARD"
  role_arn   = aws_iam_role.state_machine.arn
  definition = local.state_machine_definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = var.state_machine_log_level
  }

  tracing_configuration {
    enabled = var.enable_xray
  }

  tags = local.tags

  depends_on = [aws_iam_role_policy.state_machine]
}
