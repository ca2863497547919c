# Glue Data Catalog + Athena rather than Snowflake: one provider and one account, the data stays
# in the lake buckets above, IAM covers access, and every resource carries AWS tags.

resource "aws_glue_catalog_database" "analytics" {
  name = replace("${local.name}_analytics", "-", "_")
  tags = local.tags
}

resource "aws_athena_workgroup" "slipway" {
  name = "${local.name}-slipway"
  tags = local.tags

  configuration {
    enforce_workgroup_configuration = true
    bytes_scanned_cutoff_per_query  = var.athena_bytes_scanned_cutoff

    result_configuration {
      output_location = "s3://${aws_s3_bucket.athena_results.bucket}/results/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.lake.arn
      }
    }
  }
}
