# The engine of aws-inventory-engine, deployed: a daily EventBridge Scheduler schedule starts a
# Step Functions state machine that runs the collector Lambda once per (account, region) in a
# Distributed Map, then the analyser Lambda once; the analyser evaluates the scan, ranks and
# explains it (Bedrock), stores findings (DynamoDB), writes the HTML report (S3) and publishes
# the summary (SNS). Files: iam_actions.tf (what each role may do, as data), iam.tf, kms.tf,
# dynamodb.tf, lambda.tf, stepfunctions.tf, scheduler.tf, notifications.tf, reports.tf,
# alarms.tf.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  dns_suffix = data.aws_partition.current.dns_suffix

  collector_name     = "${var.name_prefix}-collector"
  analyser_name      = "${var.name_prefix}-analyser"
  state_machine_name = "${var.name_prefix}-scan"

  # Built from names, not resource attributes, so that policies naming them create no cycles.
  state_machine_arn    = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
  collector_log_group  = "/aws/lambda/${local.collector_name}"
  analyser_log_group   = "/aws/lambda/${local.analyser_name}"
  states_log_group     = "/aws/vendedlogs/states/${local.state_machine_name}"
  log_group_arn_prefix = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:"

  # One Map item per (account, region): {account_id, region, role_arn?, external_id?}. Absent
  # optional fields are left out rather than sent as null (contracts/collector_input.schema.json).
  targets = flatten([
    for a in var.accounts : [
      for r in(a.regions != null ? a.regions : var.regions) : merge(
        { account_id = a.account_id, region = r },
        a.role_arn == null ? {} : { role_arn = a.role_arn },
        a.external_id == null ? {} : { external_id = a.external_id },
      )
    ]
  ])

  # The state machine input the schedule sends. Step Functions caps a state's input and output
  # at 256 KiB; the Map's result array (~110 bytes per item after ResultSelector) and this input
  # must both fit, hence the precondition in scheduler.tf. Past ~2,000 targets, read the items
  # from S3 (ItemReader) and write results to S3 (ResultWriter) instead.
  # https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (read 2026-11-25)
  execution_input = jsonencode({ targets = local.targets })

  # Accounts read without a role: only the deployment account itself can be.
  scan_own_account = anytrue([for a in var.accounts : a.role_arn == null])
  member_role_arns = sort(distinct([for a in var.accounts : a.role_arn if a.role_arn != null]))

  bedrock_enabled  = var.bedrock_model_id != null
  bedrock_model_id = var.bedrock_model_id == null ? "" : var.bedrock_model_id
  bedrock_region   = coalesce(var.bedrock_region, local.region)
  # A cross-Region inference profile id is <geo>.<model id>; calling it needs InvokeModel on the
  # profile and on the model in every Region the profile routes to.
  # https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html
  # (read 2026-11-25)
  bedrock_profile    = can(regex("^(us|eu|apac|jp|au|ca|us-gov|global)\\.", local.bedrock_model_id))
  bedrock_model_path = split(".", local.bedrock_model_id)
  bedrock_base_model = local.bedrock_profile ? join(".", slice(local.bedrock_model_path, 1, length(local.bedrock_model_path))) : local.bedrock_model_id

  report_bucket_name = coalesce(var.report_bucket_name, "${var.name_prefix}-reports-${local.account_id}-${local.region}")

  tags = merge({ "app" = "aws-inventory-engine" }, var.tags)
}
