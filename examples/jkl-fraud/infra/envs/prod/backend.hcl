bucket = "jkl-fraud-terraform-state"
key    = "data-platform/prod.tfstate"
region = "eu-central-1"
