# A complete deployment: the engine in the central account, which scans itself (no role) and
# every member account listed in var.member_accounts through the member-role module's role.
#
#   terraform init && terraform apply -var 'lambda_zip_path=../../../build/lambda.zip' \
#     -var 'regions=["eu-west-1"]' -var 'notification_emails=["finops@example.com"]'
#
# With member_accounts = [] it is the one-account, N-region deployment; the state machine is
# the same. The member role is shown once, for one member account reached through a second
# provider; repeat the module block (or use one root per member account) for the others.

provider "aws" {
  region = var.region
}

# The first member account, reached through a role the deployer may assume there (for example
# OrganizationAccountAccessRole). Unused while member_accounts is empty.
provider "aws" {
  alias  = "member"
  region = var.region

  dynamic "assume_role" {
    for_each = length(var.member_accounts) > 0 ? [var.member_accounts[0]] : []
    content {
      role_arn = "arn:aws:iam::${assume_role.value.account_id}:role/${var.member_admin_role_name}"
    }
  }
}

data "aws_caller_identity" "central" {}

locals {
  member_role_name = "aws-inventory-read"

  accounts = concat(
    # The central account reads itself with the collector's own role.
    [{ account_id = data.aws_caller_identity.central.account_id }],
    [
      for m in var.member_accounts : {
        account_id  = m.account_id
        role_arn    = "arn:aws:iam::${m.account_id}:role/${local.member_role_name}"
        external_id = var.external_id
        regions     = m.regions
      }
    ],
  )
}

module "engine" {
  source = "../../modules/engine"

  name_prefix         = var.name_prefix
  accounts            = local.accounts
  regions             = var.regions
  lambda_zip_path     = var.lambda_zip_path
  lambda_architecture = var.lambda_architecture
  notification_emails = var.notification_emails
  alarm_emails        = var.alarm_emails
  bedrock_model_id    = var.bedrock_model_id
  bedrock_region      = var.bedrock_region
  deletion_protection = var.deletion_protection
  tags                = var.tags
}

module "member_role" {
  source = "../../modules/member-role"
  count  = length(var.member_accounts) > 0 ? 1 : 0

  providers = {
    aws = aws.member
  }

  collector_role_arn = module.engine.collector_role_arn
  external_id        = var.external_id
  role_name          = local.member_role_name
  tags               = var.tags
}
