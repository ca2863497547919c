# X-Ray receives the operator's traces through the ADOT collector (deploy/helm values: otlp endpoint).

resource "aws_xray_group" "slipway" {
  group_name        = "${local.name}-slipway"
  filter_expression = "service(\"slipway\")"
  tags              = local.tags
}

resource "aws_xray_sampling_rule" "slipway" {
  rule_name      = local.name
  priority       = 100
  reservoir_size = 1
  fixed_rate     = 0.05
  host           = "*"
  http_method    = "*"
  url_path       = "*"
  service_name   = "slipway"
  service_type   = "*"
  resource_arn   = "*"
  version        = 1
  tags           = local.tags
}
