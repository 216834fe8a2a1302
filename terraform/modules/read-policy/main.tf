# The read-only policy of the collectors: every AWS action the collectors call in the account they
# scan, scoped to that account's ARNs wherever the action has resource-level permissions.
#
# Data only (no resources): the member-role module attaches it to the role each member account
# trusts the collector to assume, and the engine module attaches it to the collector's own role
# when the deployment account is scanned without a role. One list, one place.
#
# The least-privilege test reads `local.read_actions` (key = statement Sid, value = actions) and
# compares it with the API calls recorded from the collectors: nothing missing, nothing extra.
# Source of each call: collectors/*.py, collectors/lifecycle_live.py (engine end-of-support
# dates), collectors/backup_coverage.py, collectors/runner.py (regions, identity).

locals {
  read_actions = {
    # Statements with Resource "*": these actions have no resource types in the Service
    # Authorization Reference, so "*" is the only Resource that works (one page per service:
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_<service>.html,
    # read 2026-11-25; each action is also in terraform/iam-unscoped-actions.json, which the
    # tests hold every "*" statement to):
    # - sts:GetCallerIdentity needs no permission at all (list_awssecuritytokenservice.html);
    #   it is listed so the policy mirrors the recorded calls one for one.
    IdentifyAccount = ["sts:GetCallerIdentity"]
    # list_amazonec2.html: EC2 Describe* actions have no resource types.
    ListEc2 = ["ec2:DescribeInstances", "ec2:DescribeRegions", "ec2:DescribeVolumes"]
    # list_amazons3.html: ListAllMyBuckets has no resource type.
    ListS3Buckets = ["s3:ListAllMyBuckets"]
    # list_awslambda.html: ListFunctions has no resource type.
    ListLambdaFunctions = ["lambda:ListFunctions"]
    # list_amazonelastickubernetesservice.html: ListClusters and DescribeClusterVersions
    # (the Kubernetes version calendar, not a cluster) have no resource type.
    ListEksClusters = ["eks:DescribeClusterVersions", "eks:ListClusters"]
    # list_amazondynamodb.html: ListTables has no resource type.
    ListDynamodbTables = ["dynamodb:ListTables"]
    # list_amazonrds.html: DescribeDBMajorEngineVersions (engine support dates) has none.
    ListRdsEngineVersions = ["rds:DescribeDBMajorEngineVersions"]
    # list_awsbackup.html: ListBackupPlans and ListProtectedResources have no resource type.
    ListBackup = ["backup:ListBackupPlans", "backup:ListProtectedResources"]
    # list_awsorganizations.html: ListAccounts has no resource type. Only the management account
    # (or a delegated administrator) may call it; off unless var.allow_list_accounts.
    ListOrganizationAccounts = ["organizations:ListAccounts"]

    # Statements scoped to this account's ARNs:
    ReadS3BucketSettings = [
      "s3:GetBucketLocation",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketTagging",
      "s3:GetBucketVersioning",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
    ]
    ReadLambdaTags   = ["lambda:ListTags"]
    ReadEksClusters  = ["eks:DescribeCluster"]
    ReadRdsInstances = ["rds:DescribeDBInstances"]
    ReadRdsClusters  = ["rds:DescribeDBClusters"]
    ReadDynamodbTables = [
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeTable",
      "dynamodb:DescribeTimeToLive",
      "dynamodb:ListTagsOfResource",
    ]
    ReadBackupSelections = ["backup:GetBackupSelection", "backup:ListBackupSelections"]
  }

  arn_prefix = "arn:${var.partition}"
  account    = var.account_id

  # Sid => Resource ARNs; "*" only for the statements listed above as having no resource type.
  read_resources = {
    IdentifyAccount          = ["*"]
    ListEc2                  = ["*"]
    ListS3Buckets            = ["*"]
    ListLambdaFunctions      = ["*"]
    ListEksClusters          = ["*"]
    ListDynamodbTables       = ["*"]
    ListRdsEngineVersions    = ["*"]
    ListBackup               = ["*"]
    ListOrganizationAccounts = ["*"]
    # S3 bucket ARNs carry no account id: every bucket the role can see, which the account's own
    # bucket policies still gate (a bucket of another account answers AccessDenied).
    ReadS3BucketSettings = ["${local.arn_prefix}:s3:::*"]
    ReadLambdaTags       = ["${local.arn_prefix}:lambda:*:${local.account}:function:*"]
    ReadEksClusters      = ["${local.arn_prefix}:eks:*:${local.account}:cluster/*"]
    ReadRdsInstances     = ["${local.arn_prefix}:rds:*:${local.account}:db:*"]
    ReadRdsClusters      = ["${local.arn_prefix}:rds:*:${local.account}:cluster:*"]
    ReadDynamodbTables   = ["${local.arn_prefix}:dynamodb:*:${local.account}:table/*"]
    ReadBackupSelections = ["${local.arn_prefix}:backup:*:${local.account}:backup-plan:*"]
  }

  enabled_sids = [
    for sid in sort(keys(local.read_actions)) : sid
    if sid != "ListOrganizationAccounts" || var.allow_list_accounts
  ]
}

data "aws_iam_policy_document" "read" {
  dynamic "statement" {
    for_each = local.enabled_sids
    content {
      sid       = statement.value
      effect    = "Allow"
      actions   = local.read_actions[statement.value]
      resources = local.read_resources[statement.value]
    }
  }
}
