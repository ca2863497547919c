# Identical in every environment; what differs is in terraform.tfvars and backend.hcl only.

terraform {
  required_version = ">= 1.10.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.80.0"
    }
  }

  # Partial configuration: bucket, key and region come from backend.hcl
  # (terraform init -backend-config=backend.hcl). S3 native locking, no DynamoDB table.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}

provider "aws" {
  region = var.region
}

module "data_platform" {
  source = "../../modules/data-platform"

  environment                 = var.environment
  owner                       = var.owner
  lake_noncurrent_days        = var.lake_noncurrent_days
  athena_bytes_scanned_cutoff = var.athena_bytes_scanned_cutoff
  emr_max_vcpu                = var.emr_max_vcpu
  emr_max_memory              = var.emr_max_memory
  log_retention_days          = var.log_retention_days
  alert_email                 = var.alert_email
  slack_channel_id            = var.slack_channel_id
  slack_team_id               = var.slack_team_id
  splunk_hec_endpoint         = var.splunk_hec_endpoint
  splunk_hec_token            = var.splunk_hec_token
}
