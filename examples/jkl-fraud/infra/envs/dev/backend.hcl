bucket = "jkl-fraud-terraform-state"
key    = "data-platform/dev.tfstate"
region = "eu-central-1"
