output "lake_bucket" {
  value = aws_s3_bucket.lake.bucket
}

output "operator_role_arn" {
  value = aws_iam_role.operator.arn
}

output "alerts_topic_arn" {
  value = aws_sns_topic.alerts.arn
}

output "athena_workgroup" {
  value = aws_athena_workgroup.slipway.name
}
