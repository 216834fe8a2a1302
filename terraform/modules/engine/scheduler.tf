# The daily start: EventBridge Scheduler starts the state machine with the targets as input,
# retries a failed start, and sends what it still cannot deliver to an encrypted SQS queue.

resource "aws_sqs_queue" "schedule_dlq" {
  name                      = "${var.name_prefix}-schedule-dlq"
  message_retention_seconds = 1209600 # 14 days, the maximum: time to notice and replay
  # SQS-managed encryption: the Scheduler writes with its role and needs no key permission.
  sqs_managed_sse_enabled = true
  tags                    = local.tags
}

data "aws_iam_policy_document" "schedule_dlq" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    resources = [aws_sqs_queue.schedule_dlq.arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "schedule_dlq" {
  queue_url = aws_sqs_queue.schedule_dlq.id
  policy    = data.aws_iam_policy_document.schedule_dlq.json
}

resource "aws_scheduler_schedule" "daily_scan" {
  #checkov:skip=CKV_AWS_297:The schedule's payload is the target list (account ids, regions, role ARNs), no secrets; Scheduler encrypts it at rest with an AWS owned key, and a CMK would add Scheduler grants to the key for nothing worth protecting.
  name                         = "${var.name_prefix}-daily-scan"
  description                  = "Starts the aws-inventory-engine scan."
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.scan.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = local.execution_input

    retry_policy {
      maximum_retry_attempts       = var.schedule_retry_attempts
      maximum_event_age_in_seconds = 3600
    }

    dead_letter_config {
      arn = aws_sqs_queue.schedule_dlq.arn
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.targets) <= 2000 && length(local.execution_input) <= 200000
      error_message = "Too many (account, region) targets for one execution's 256 KiB payload (at most 2,000 and 200,000 characters of input); split the accounts over two deployments or move the items to S3 (ItemReader)."
    }
    precondition {
      condition     = alltrue([for a in var.accounts : a.role_arn != null || a.account_id == local.account_id])
      error_message = "Only the deployment account can be scanned without a role_arn; give every other account the member-role module's role ARN."
    }
  }
}
