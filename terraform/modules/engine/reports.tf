# The optional report bucket: private (every public access block on, TLS only), encrypted with the
# engine's key, versioned, and emptied by lifecycle rules. The analyser may only put objects
# under var.report_prefix.

resource "aws_s3_bucket" "reports" {
  #checkov:skip=CKV_AWS_18:Server access logs would need a second bucket for a bucket one role writes daily; CloudTrail data events are the place to audit object access account-wide.
  #checkov:skip=CKV_AWS_144:Reports are regenerated from the DynamoDB history (with PITR) by re-running the analyser; a replica bucket doubles storage for no recovery gain.
  #checkov:skip=CKV2_AWS_62:Nothing consumes "report written" events; the analyser's SNS summary is the notification.
  count = var.create_report_bucket ? 1 : 0

  bucket = local.report_bucket_name
  tags   = local.tags
}

resource "aws_s3_bucket_public_access_block" "reports" {
  count = var.create_report_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.reports[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "reports" {
  count = var.create_report_bucket ? 1 : 0

  bucket = aws_s3_bucket.reports[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "reports" {
  count = var.create_report_bucket ? 1 : 0

  bucket = aws_s3_bucket.reports[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.engine.arn
    }
    # One data key per bucket for a while instead of one KMS call per object.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "reports" {
  count = var.create_report_bucket ? 1 : 0

  bucket = aws_s3_bucket.reports[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "reports" {
  count = var.create_report_bucket ? 1 : 0

  bucket = aws_s3_bucket.reports[0].id

  rule {
    id     = "expire-reports"
    status = "Enabled"

    filter {}

    expiration {
      days = var.report_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.report_noncurrent_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.reports]
}

data "aws_iam_policy_document" "reports_bucket" {
  count = var.create_report_bucket ? 1 : 0

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_s3_bucket.reports[0].arn, "${aws_s3_bucket.reports[0].arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "reports" {
  count = var.create_report_bucket ? 1 : 0

  bucket = aws_s3_bucket.reports[0].id
  policy = data.aws_iam_policy_document.reports_bucket[0].json

  depends_on = [aws_s3_bucket_public_access_block.reports]
}
