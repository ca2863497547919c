/**
 * Slipway's metric names, one list: the metrics registry (`telemetry/metrics`) declares its
 * series under these names, the CloudWatch dashboards (`infra generate`) chart them, and the
 * CloudWatch alarms generated from alerts.yaml query them.
 */
export const SLIPWAY_METRICS = {
  releaseDuration: 'slipway_release_duration_seconds',
  releases: 'slipway_releases_total',
  checkResults: 'slipway_check_results_total',
  runDuration: 'slipway_run_duration_seconds',
  runs: 'slipway_runs_total',
  switchDuration: 'slipway_switch_duration_seconds',
} as const;

/** Further series the registry exports (not charted by the generated dashboards). */
export const SLIPWAY_MORE_METRICS = {
  freshnessLag: 'slipway_freshness_lag_seconds',
  modelDataAge: 'slipway_model_data_age_seconds',
  telemetryDropped: 'slipway_telemetry_dropped_total',
} as const;

/** CloudWatch namespace the metrics are published under (through the ADOT collector or EMF). */
export const SLIPWAY_METRICS_NAMESPACE = 'Slipway';
