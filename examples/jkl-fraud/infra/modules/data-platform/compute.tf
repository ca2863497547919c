resource "aws_emrserverless_application" "spark" {
  name          = "${local.name}-spark"
  release_label = "emr-7.5.0"
  type          = "spark"
  tags          = local.tags

  maximum_capacity {
    cpu    = var.emr_max_vcpu
    memory = var.emr_max_memory
  }

  auto_stop_configuration {
    enabled              = true
    idle_timeout_minutes = 15
  }
}
