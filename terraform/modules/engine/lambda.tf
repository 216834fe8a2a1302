# The two functions, from one zip (the lead's build of lambdas/ with its dependencies), and their
# log groups. Settings reach the handlers as environment variables, read once per cold start:
#
#   both        INVENTORY_TABLE_NAME, INVENTORY_RETENTION_DAYS,
#               POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL
#   analyser    INVENTORY_TOPIC_ARN, INVENTORY_BEDROCK_MODEL_ID ("" = Bedrock off),
#               INVENTORY_BEDROCK_REGION, INVENTORY_INCLUDE_RESOURCE_NAMES ("true"/"false"),
#               INVENTORY_REPORT_BUCKET ("" = no HTML report), INVENTORY_REPORT_PREFIX
#
# None of them is a secret; the design keeps secrets out of the functions altogether.

locals {
  # Plain maps (no merge) so that tests and readers see each function's whole environment.
  collector_environment = {
    INVENTORY_TABLE_NAME         = aws_dynamodb_table.inventory.name
    INVENTORY_RETENTION_DAYS     = tostring(var.retention_days)
    POWERTOOLS_SERVICE_NAME      = "collector"
    POWERTOOLS_METRICS_NAMESPACE = "AwsInventoryEngine"
    POWERTOOLS_LOG_LEVEL         = var.log_level
  }
  analyser_environment = {
    INVENTORY_TABLE_NAME             = aws_dynamodb_table.inventory.name
    INVENTORY_RETENTION_DAYS         = tostring(var.retention_days)
    INVENTORY_TOPIC_ARN              = aws_sns_topic.summary.arn
    INVENTORY_BEDROCK_MODEL_ID       = local.bedrock_model_id
    INVENTORY_BEDROCK_REGION         = local.bedrock_region
    INVENTORY_INCLUDE_RESOURCE_NAMES = tostring(var.include_resource_names_in_prompt)
    INVENTORY_REPORT_BUCKET          = var.create_report_bucket ? aws_s3_bucket.reports[0].id : ""
    INVENTORY_REPORT_PREFIX          = var.report_prefix
    POWERTOOLS_SERVICE_NAME          = "analyser"
    POWERTOOLS_METRICS_NAMESPACE     = "AwsInventoryEngine"
    POWERTOOLS_LOG_LEVEL             = var.log_level
  }
  package_hash = filebase64sha256(var.lambda_zip_path)
}

resource "aws_cloudwatch_log_group" "collector" {
  #checkov:skip=CKV_AWS_338:Retention is 7 days by design (issue 9, variable log_retention_days): scans and findings live in DynamoDB with their own retention; logs are for debugging a run.
  name              = local.collector_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.engine.arn
  tags              = local.tags
}

resource "aws_cloudwatch_log_group" "analyser" {
  #checkov:skip=CKV_AWS_338:Retention is 7 days by design (issue 9, variable log_retention_days): scans and findings live in DynamoDB with their own retention; logs are for debugging a run.
  name              = local.analyser_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.engine.arn
  tags              = local.tags
}

resource "aws_lambda_function" "collector" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by Step Functions only; a DLQ applies to asynchronous invocations, and failures are retried and counted by the state machine.
  #checkov:skip=CKV_AWS_117:Calls public AWS APIs in many services and member accounts; a VPC would need NAT or ~10 interface endpoints per Region and adds no protection (the function accepts no inbound traffic).
  #checkov:skip=CKV_AWS_173:The environment holds only resource names, ARNs and settings (no secrets by design); Lambda encrypts it at rest with its AWS managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile the deployer may not have; the zip's integrity is pinned by source_code_hash from the CI build.
  function_name    = local.collector_name
  description      = "aws-inventory-engine: collect one (account, region) and store the scan part."
  role             = aws_iam_role.collector.arn
  runtime          = "python3.12"
  architectures    = [var.lambda_architecture]
  handler          = var.collector_handler
  filename         = var.lambda_zip_path
  source_code_hash = local.package_hash
  layers           = var.lambda_layer_arns
  memory_size      = var.collector_memory_mb
  timeout          = var.collector_timeout_s
  # As many as the Map runs at once; keeps a scan from taking the account's whole Lambda quota.
  reserved_concurrent_executions = var.reserve_concurrency ? var.max_concurrency : -1

  environment {
    variables = local.collector_environment
  }

  tracing_config {
    mode = var.enable_xray ? "Active" : "PassThrough"
  }

  tags = local.tags

  depends_on = [aws_cloudwatch_log_group.collector, aws_iam_role_policy.collector_runtime]
}

resource "aws_lambda_function" "analyser" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously by Step Functions only; a DLQ applies to asynchronous invocations, and a failure fails the execution, which alarms.
  #checkov:skip=CKV_AWS_117:Calls public AWS APIs (DynamoDB, Bedrock, SNS, S3); a VPC would need NAT or interface endpoints and adds no protection (the function accepts no inbound traffic).
  #checkov:skip=CKV_AWS_173:The environment holds only resource names, ARNs and settings (no secrets by design); Lambda encrypts it at rest with its AWS managed key.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile the deployer may not have; the zip's integrity is pinned by source_code_hash from the CI build.
  function_name    = local.analyser_name
  description      = "aws-inventory-engine: evaluate, rank, explain, store, report and notify one scan."
  role             = aws_iam_role.analyser.arn
  runtime          = "python3.12"
  architectures    = [var.lambda_architecture]
  handler          = var.analyser_handler
  filename         = var.lambda_zip_path
  source_code_hash = local.package_hash
  layers           = var.lambda_layer_arns
  memory_size      = var.analyser_memory_mb
  timeout          = var.analyser_timeout_s
  # No ephemeral_storage block: the HTML report is written to /tmp before its upload, and its
  # table stops at 100,000 findings (engine/reports/html.py), about 60 MB however large the
  # estate, well inside the default 512 MB, which is free; more (up to 10,240 MB) is billed
  # per GB-second (https://docs.aws.amazon.com/lambda/latest/dg/API_EphemeralStorage.html,
  # https://aws.amazon.com/lambda/pricing/, read 2026-11-25).
  # One scan is analysed at a time.
  reserved_concurrent_executions = var.reserve_concurrency ? 1 : -1

  environment {
    variables = local.analyser_environment
  }

  tracing_config {
    mode = var.enable_xray ? "Active" : "PassThrough"
  }

  tags = local.tags

  depends_on = [aws_cloudwatch_log_group.analyser, aws_iam_role_policy.analyser_runtime]
}
