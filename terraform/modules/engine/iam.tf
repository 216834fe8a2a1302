# Roles and their policies. Every statement's actions come from iam_actions.tf (Sid = map key);
# resources are the engine's own ARNs wherever the action supports resource-level permissions.

# --- trust policies ---------------------------------------------------------------------------

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    sid     = "LambdaAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.${local.dns_suffix}"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "states_trust" {
  statement {
    sid     = "StepFunctionsAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.${local.dns_suffix}"]
    }

    # Confused-deputy guard: only this account's state machine (and its Map Run children).
    # https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html
    # (read 2026-11-25)
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}*"]
    }
  }
}

data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    sid     = "SchedulerAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.${local.dns_suffix}"]
    }

    # https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role
    # (read 2026-11-25)
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# --- the collector ------------------------------------------------------------------------------

resource "aws_iam_role" "collector" {
  name               = local.collector_name
  description        = "aws-inventory-engine collector Lambda: assumes the member read roles, writes scan parts."
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
  tags               = local.tags
}

data "aws_iam_policy_document" "collector" {
  statement {
    sid       = "IdentifyAccount"
    effect    = "Allow"
    actions   = local.collector_actions.IdentifyAccount
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = length(local.member_role_arns) > 0 ? ["AssumeMemberReadRoles"] : []
    content {
      sid       = statement.value
      effect    = "Allow"
      actions   = local.collector_actions.AssumeMemberReadRoles
      resources = local.member_role_arns
    }
  }

  statement {
    sid       = "StoreScanParts"
    effect    = "Allow"
    actions   = local.collector_actions.StoreScanParts
    resources = [aws_dynamodb_table.inventory.arn]
  }
}

resource "aws_iam_role_policy" "collector" {
  name   = "collector"
  role   = aws_iam_role.collector.id
  policy = data.aws_iam_policy_document.collector.json
}

# The deployment account scanned with the collector's own role (a target without role_arn): the
# same read policy the member-role module gives each member account.
module "own_account_read" {
  source = "../read-policy"

  account_id = local.account_id
  partition  = local.partition
}

resource "aws_iam_role_policy" "collector_own_account_read" {
  count = local.scan_own_account ? 1 : 0

  name   = "inventory-read"
  role   = aws_iam_role.collector.id
  policy = module.own_account_read.json
}

data "aws_iam_policy_document" "collector_runtime" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = local.lambda_runtime_actions.WriteOwnLogs
    resources = ["${aws_cloudwatch_log_group.collector.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.enable_xray ? ["SendTraces"] : []
    content {
      sid       = statement.value
      effect    = "Allow"
      actions   = local.lambda_runtime_actions.SendTraces
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "collector_runtime" {
  name   = "lambda-runtime"
  role   = aws_iam_role.collector.id
  policy = data.aws_iam_policy_document.collector_runtime.json
}

# --- the analyser -------------------------------------------------------------------------------

resource "aws_iam_role" "analyser" {
  name               = local.analyser_name
  description        = "aws-inventory-engine analyser Lambda: reads and writes the store, calls Bedrock, publishes the summary, writes the report."
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
  tags               = local.tags
}

data "aws_iam_policy_document" "analyser" {
  statement {
    sid     = "StoreReadWrite"
    effect  = "Allow"
    actions = local.analyser_actions.StoreReadWrite
    resources = [
      aws_dynamodb_table.inventory.arn,
      "${aws_dynamodb_table.inventory.arn}/index/${local.gsi_name}",
    ]
  }

  dynamic "statement" {
    for_each = local.bedrock_enabled ? ["ExplainWithBedrock"] : []
    content {
      sid     = statement.value
      effect  = "Allow"
      actions = local.analyser_actions.ExplainWithBedrock
      resources = local.bedrock_profile ? [
        "arn:${local.partition}:bedrock:${local.bedrock_region}:${local.account_id}:inference-profile/${local.bedrock_model_id}",
        # The profile routes each call to one of its Regions: allow this one model in any.
        "arn:${local.partition}:bedrock:*::foundation-model/${local.bedrock_base_model}",
        ] : [
        "arn:${local.partition}:bedrock:${local.bedrock_region}::foundation-model/${local.bedrock_model_id}",
      ]
    }
  }

  statement {
    sid       = "PublishSummary"
    effect    = "Allow"
    actions   = local.analyser_actions.PublishSummary
    resources = [aws_sns_topic.summary.arn]
  }

  dynamic "statement" {
    for_each = var.create_report_bucket ? ["WriteHtmlReport"] : []
    content {
      sid       = statement.value
      effect    = "Allow"
      actions   = local.analyser_actions.WriteHtmlReport
      resources = ["${aws_s3_bucket.reports[0].arn}/${var.report_prefix}*"]
    }
  }
}

resource "aws_iam_role_policy" "analyser" {
  name   = "analyser"
  role   = aws_iam_role.analyser.id
  policy = data.aws_iam_policy_document.analyser.json
}

data "aws_iam_policy_document" "analyser_runtime" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = local.lambda_runtime_actions.WriteOwnLogs
    resources = ["${aws_cloudwatch_log_group.analyser.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.enable_xray ? ["SendTraces"] : []
    content {
      sid       = statement.value
      effect    = "Allow"
      actions   = local.lambda_runtime_actions.SendTraces
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "analyser_runtime" {
  name   = "lambda-runtime"
  role   = aws_iam_role.analyser.id
  policy = data.aws_iam_policy_document.analyser_runtime.json
}

# --- the state machine --------------------------------------------------------------------------

resource "aws_iam_role" "state_machine" {
  name               = "${var.name_prefix}-state-machine"
  description        = "aws-inventory-engine state machine: invokes the engine functions, runs its Map children, logs."
  assume_role_policy = data.aws_iam_policy_document.states_trust.json
  tags               = local.tags
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid     = "InvokeEngineFunctions"
    effect  = "Allow"
    actions = local.state_machine_actions.InvokeEngineFunctions
    resources = [
      aws_lambda_function.collector.arn,
      "${aws_lambda_function.collector.arn}:*",
      aws_lambda_function.analyser.arn,
      "${aws_lambda_function.analyser.arn}:*",
    ]
  }

  statement {
    sid       = "StartMapRunChildren"
    effect    = "Allow"
    actions   = local.state_machine_actions.StartMapRunChildren
    resources = [local.state_machine_arn]
  }

  statement {
    sid     = "ManageMapRunChildren"
    effect  = "Allow"
    actions = local.state_machine_actions.ManageMapRunChildren
    # Child executions are named <state machine>/<Map label>:<id>.
    resources = ["arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}/*"]
  }

  statement {
    sid       = "DeliverLogs"
    effect    = "Allow"
    actions   = local.state_machine_actions.DeliverLogs
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.enable_xray ? ["SendTraces"] : []
    content {
      sid       = statement.value
      effect    = "Allow"
      actions   = local.state_machine_actions.SendTraces
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "state-machine"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

# --- the schedule -------------------------------------------------------------------------------

resource "aws_iam_role" "scheduler" {
  name               = "${var.name_prefix}-scheduler"
  description        = "aws-inventory-engine schedule: starts the scan state machine, dead-letters what it cannot."
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust.json
  tags               = local.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartScan"
    effect    = "Allow"
    actions   = local.scheduler_actions.StartScan
    resources = [aws_sfn_state_machine.scan.arn]
  }

  statement {
    sid       = "DeadLetter"
    effect    = "Allow"
    actions   = local.scheduler_actions.DeadLetter
    resources = [aws_sqs_queue.schedule_dlq.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "scheduler"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
