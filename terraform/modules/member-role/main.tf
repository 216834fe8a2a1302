# The read-only role each member account gives the central collector: it trusts exactly one
# principal (the collector's Lambda role in the central account), optionally only with an
# ExternalId, and carries the collectors' read policy (module read-policy) scoped to this
# account. Deploy it once per member account, with a provider for that account.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

module "read_policy" {
  source = "../read-policy"

  account_id          = data.aws_caller_identity.current.account_id
  partition           = data.aws_partition.current.partition
  allow_list_accounts = var.allow_list_accounts
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "TrustCentralCollector"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = [var.collector_role_arn]
    }

    # ExternalId: a shared value the collector passes on AssumeRole, guarding against the
    # confused-deputy problem when the central account is run by a third party.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
    # (read 2026-11-25)
    dynamic "condition" {
      for_each = var.external_id == null ? [] : [var.external_id]
      content {
        test     = "StringEquals"
        variable = "sts:ExternalId"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "read" {
  name                 = var.role_name
  path                 = var.role_path
  description          = "Read-only inventory of this account for the aws-inventory-engine collector."
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = var.max_session_duration
  tags                 = var.tags
}

resource "aws_iam_role_policy" "read" {
  name   = "inventory-read"
  role   = aws_iam_role.read.id
  policy = module.read_policy.json
}
