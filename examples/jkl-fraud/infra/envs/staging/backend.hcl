bucket = "jkl-fraud-terraform-state"
key    = "data-platform/staging.tfstate"
region = "eu-central-1"
