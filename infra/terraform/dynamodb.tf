# One table for all of the gateway's state (single-table design, targets/lambda/README.md):
# the partition key `pk` is the gateway's key (`rl:` rate-limit windows, `resp:` Responses
# turns, `pin:` session pins); `expires_at` (Unix seconds) is the TTL attribute. DynamoDB
# deletes expired items lazily; the function ignores them on read.
resource "aws_dynamodb_table" "state" {
  name                        = local.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
