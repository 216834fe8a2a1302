# One customer managed key for the engine's data at rest: the table, both SNS topics, the
# report bucket and the log groups. The key policy is written here (not as an
# aws_iam_policy_document) because in a key policy Resource "*" means "this key".
#
# Services use the key on the caller's behalf; the callers are granted that here, each limited to
# one service with kms:ViaService, so the roles' IAM policies hold only the calls our code makes.

locals {
  # AWS's own key policy for DynamoDB (aws/dynamodb) grants these to the table's users through
  # DynamoDB, less CreateGrant (the table's creator, Terraform, needs that, through IAM).
  # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html
  # (read 2026-11-25)
  dynamodb_key_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]
  # CloudWatch Logs encrypts and decrypts log events with the key.
  # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
  # (read 2026-11-25)
  logs_key_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]
  log_group_arns = [
    "${local.log_group_arn_prefix}${local.collector_log_group}",
    "${local.log_group_arn_prefix}${local.analyser_log_group}",
    "${local.log_group_arn_prefix}${local.states_log_group}",
  ]

  # Statements as data (the tests read them): the ones always present, then the bucket's.
  key_policy_statements = [
    {
      # The default statement of every key policy: the account (its IAM policies) administers
      # the key. Without it the key can become unmanageable.
      # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
      # (read 2026-11-25)
      Sid       = "EnableIamPolicies"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    },
    {
      Sid       = "EngineRolesUseTableThroughDynamodb"
      Effect    = "Allow"
      Principal = { AWS = [aws_iam_role.collector.arn, aws_iam_role.analyser.arn] }
      Action    = local.dynamodb_key_actions
      Resource  = "*"
      Condition = {
        StringEquals = {
          "kms:ViaService"    = "dynamodb.${local.region}.${local.dns_suffix}"
          "kms:CallerAccount" = local.account_id
        }
      }
    },
    {
      # A publisher to an encrypted topic needs GenerateDataKey and Decrypt on its key.
      # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html (read 2026-11-25)
      Sid       = "AnalyserPublishesThroughSns"
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.analyser.arn }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource  = "*"
      Condition = {
        StringEquals = {
          "kms:ViaService"    = "sns.${local.region}.${local.dns_suffix}"
          "kms:CallerAccount" = local.account_id
        }
      }
    },
    {
      # CloudWatch alarms publishing to the encrypted alarm topic.
      # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
      # (read 2026-11-25)
      Sid       = "CloudWatchAlarmsPublish"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.${local.dns_suffix}" }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource  = "*"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike = {
          "aws:SourceArn" = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-*"
        }
      }
    },
    {
      Sid       = "CloudWatchLogsEncryptEngineLogGroups"
      Effect    = "Allow"
      Principal = { Service = "logs.${local.region}.${local.dns_suffix}" }
      Action    = local.logs_key_actions
      Resource  = "*"
      Condition = {
        ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = local.log_group_arns }
      }
    },
  ]
  key_policy_report_statements = [
    {
      # PutObject with SSE-KMS generates a data key (one per object; with an S3 Bucket Key,
      # fewer). Single-part uploads need no Decrypt.
      # https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
      # (read 2026-11-25)
      Sid       = "AnalyserWritesReportsThroughS3"
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.analyser.arn }
      Action    = ["kms:GenerateDataKey"]
      Resource  = "*"
      Condition = {
        StringEquals = {
          "kms:ViaService"    = "s3.${local.region}.${local.dns_suffix}"
          "kms:CallerAccount" = local.account_id
        }
      }
    },
  ]
}

resource "aws_kms_key" "engine" {
  description             = "aws-inventory-engine: the history table, topics, reports and logs."
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.key_policy_statements, var.create_report_bucket ? local.key_policy_report_statements : [])
  })
  tags = local.tags
}

resource "aws_kms_alias" "engine" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.engine.key_id
}
