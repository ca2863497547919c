variable "region" {
  type = string
}

variable "environment" {
  type = string
}

variable "owner" {
  type = string
}

variable "lake_noncurrent_days" {
  type = number
}

variable "athena_bytes_scanned_cutoff" {
  type = number
}

variable "emr_max_vcpu" {
  type = string
}

variable "emr_max_memory" {
  type = string
}

variable "log_retention_days" {
  type = number
}

variable "alert_email" {
  type = string
}

variable "slack_channel_id" {
  type = string
}

variable "slack_team_id" {
  type = string
}

variable "splunk_hec_endpoint" {
  type = string
}

variable "splunk_hec_token" {
  type      = string
  sensitive = true
}
