variable "environment" {
  type        = string
  description = "Environment name: dev, staging or prod."
}

variable "owner" {
  type        = string
  description = "Team that owns the environment (tag value)."
}

variable "lake_noncurrent_days" {
  type        = number
  description = "Days a noncurrent object version is kept."
}

variable "athena_bytes_scanned_cutoff" {
  type        = number
  description = "Per-query scan limit of the Athena workgroup, in bytes."
}

variable "emr_max_vcpu" {
  type        = string
  description = "Maximum vCPU of the EMR Serverless application, e.g. \"16 vCPU\"."
}

variable "emr_max_memory" {
  type        = string
  description = "Maximum memory of the EMR Serverless application, e.g. \"64 GB\"."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the operator's CloudWatch log group."
}

variable "alert_email" {
  type        = string
  description = "Address subscribed to the alert topic."
}

variable "slack_channel_id" {
  type        = string
  description = "Slack channel for AWS Chatbot."
}

variable "slack_team_id" {
  type        = string
  description = "Slack workspace id for AWS Chatbot."
}

variable "splunk_hec_endpoint" {
  type        = string
  description = "Splunk HTTP Event Collector URL."
}

variable "splunk_hec_token" {
  type        = string
  sensitive   = true
  description = "Splunk HEC token; set TF_VAR_splunk_hec_token, never in a file."
}
