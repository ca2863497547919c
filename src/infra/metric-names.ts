/** Slipway's metric names, the one list the dashboards (and later the alarms) are built from. */
export const SLIPWAY_METRICS = {
  releaseDuration: 'slipway_release_duration_seconds',
  releases: 'slipway_releases_total',
  checkResults: 'slipway_check_results_total',
  runDuration: 'slipway_run_duration_seconds',
  freshnessLag: 'slipway_freshness_lag_seconds',
} as const;

/** CloudWatch namespace the metrics are published under (through the ADOT collector). */
export const SLIPWAY_METRICS_NAMESPACE = 'Slipway';
