# The operator's logs to Splunk: CloudWatch Logs subscription -> Kinesis Firehose -> Splunk HEC.

resource "aws_cloudwatch_log_group" "operator" {
  name              = "/slipway/${local.name}/operator"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lake.arn
  tags              = local.tags
}

data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "firehose" {
  name               = "${local.name}-firehose"
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "firehose" {
  statement {
    actions   = ["s3:PutObject", "s3:GetBucketLocation", "s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn, "${aws_s3_bucket.lake.arn}/splunk-failed/*"]
  }

  statement {
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.lake.arn]
  }
}

resource "aws_iam_role_policy" "firehose" {
  name   = "${local.name}-firehose"
  role   = aws_iam_role.firehose.id
  policy = data.aws_iam_policy_document.firehose.json
}

resource "aws_kinesis_firehose_delivery_stream" "splunk" {
  name        = "${local.name}-splunk"
  destination = "splunk"
  tags        = local.tags

  splunk_configuration {
    hec_endpoint               = var.splunk_hec_endpoint
    hec_token                  = var.splunk_hec_token
    hec_endpoint_type          = "Event"
    hec_acknowledgment_timeout = 300
    s3_backup_mode             = "FailedEventsOnly"

    s3_configuration {
      role_arn    = aws_iam_role.firehose.arn
      bucket_arn  = aws_s3_bucket.lake.arn
      prefix      = "splunk-failed/"
      kms_key_arn = aws_kms_key.lake.arn
    }
  }
}

data "aws_iam_policy_document" "logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["logs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "logs_to_firehose" {
  name               = "${local.name}-logs-to-firehose"
  assume_role_policy = data.aws_iam_policy_document.logs_assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "logs_to_firehose" {
  statement {
    actions   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
    resources = [aws_kinesis_firehose_delivery_stream.splunk.arn]
  }
}

resource "aws_iam_role_policy" "logs_to_firehose" {
  name   = "${local.name}-logs-to-firehose"
  role   = aws_iam_role.logs_to_firehose.id
  policy = data.aws_iam_policy_document.logs_to_firehose.json
}

resource "aws_cloudwatch_log_subscription_filter" "splunk" {
  name            = "${local.name}-splunk"
  log_group_name  = aws_cloudwatch_log_group.operator.name
  filter_pattern  = ""
  destination_arn = aws_kinesis_firehose_delivery_stream.splunk.arn
  role_arn        = aws_iam_role.logs_to_firehose.arn
}
