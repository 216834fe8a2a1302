# The history table of engine/store/dynamodb.py, key for key (`table_definition()` there is the
# same schema; tests/test_terraform.py holds the two together). One table holds resources,
# findings, scan manifests and "latest scan" pointers; the GSI is write-sharded on
# scan_date_shard (YYYY-MM-DD#NN) so one day's items spread over 16 index partitions.

locals {
  hash_key      = "resource_id"
  range_key     = "timestamp"
  gsi_name      = "scan_date-index"
  gsi_hash_key  = "scan_date_shard"
  gsi_range_key = "scan_item"
  ttl_attribute = "expires_at"
}

resource "aws_dynamodb_table" "inventory" {
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = local.hash_key
  range_key                   = local.range_key
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = local.hash_key
    type = "S"
  }
  attribute {
    name = local.range_key
    type = "S"
  }
  attribute {
    name = local.gsi_hash_key
    type = "S"
  }
  attribute {
    name = local.gsi_range_key
    type = "S"
  }

  global_secondary_index {
    name            = local.gsi_name
    hash_key        = local.gsi_hash_key
    range_key       = local.gsi_range_key
    projection_type = "ALL"
  }

  # The store writes expires_at (epoch seconds) = scan start + retention_days; DynamoDB deletes
  # expired items within days, at no write cost.
  ttl {
    attribute_name = local.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.engine.arn
  }

  tags = local.tags
}
