/**
 * Checks a document against the CloudWatch Embedded Metric Format specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * the root node's `_aws` metadata (Timestamp, CloudWatchMetrics), each MetricDirective
 * (Namespace, Dimensions of at most 30 keys each, Metrics of at most 100 definitions), every
 * referenced member present with the right type (dimension values strings, metric values a
 * number or an array of at most 100 numbers), no extra members where the spec forbids them,
 * and the 256 KB size of a CloudWatch Logs event. Returns the problems; none when it conforms.
 */
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function extra(o: Record<string, unknown>, allowed: readonly string[], where: string): string[] {
  return Object.keys(o)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${where} has a member the spec does not define: ${k}`);
}

export function emfProblems(text: string): string[] {
  const problems: string[] = [];
  if (Buffer.byteLength(text) > 256 * 1024) problems.push(`${Buffer.byteLength(text)} bytes: over 256 KB`);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return [...problems, 'not JSON'];
  }
  if (!isObject(root)) return [...problems, 'the root node is not an object'];
  const aws = root['_aws'];
  if (!isObject(aws)) return [...problems, '_aws is missing or not an object'];
  problems.push(...extra(aws, ['Timestamp', 'CloudWatchMetrics'], '_aws'));
  if (typeof aws['Timestamp'] !== 'number' || !Number.isInteger(aws['Timestamp']) || aws['Timestamp'] < 1e12)
    problems.push('_aws.Timestamp is not epoch milliseconds');
  const directives = aws['CloudWatchMetrics'];
  if (!Array.isArray(directives)) return [...problems, '_aws.CloudWatchMetrics is not an array'];
  for (const [i, d] of directives.entries()) {
    const at = `CloudWatchMetrics[${i}]`;
    if (!isObject(d)) {
      problems.push(`${at} is not an object`);
      continue;
    }
    problems.push(...extra(d, ['Namespace', 'Dimensions', 'Metrics'], at));
    const ns = d['Namespace'];
    if (typeof ns !== 'string' || ns.length < 1 || ns.length > 255)
      problems.push(`${at}.Namespace is not 1-255 characters`);
    const dimensions = d['Dimensions'];
    if (!Array.isArray(dimensions)) problems.push(`${at}.Dimensions is not an array`);
    else {
      for (const set of dimensions) {
        if (!Array.isArray(set)) {
          problems.push(`${at}.Dimensions holds a set that is not an array`);
          continue;
        }
        if (set.length > 30) problems.push(`${at}: a dimension set of ${set.length} keys (over 30)`);
        for (const key of set) {
          if (typeof key !== 'string') problems.push(`${at}: a dimension key is not a string`);
          else if (typeof root[key] !== 'string') problems.push(`dimension ${key} has no string member`);
          else if ((root[key] as string).length > 1024)
            problems.push(`dimension ${key}'s value is over 1024 characters`);
        }
      }
    }
    const metrics = d['Metrics'];
    if (!Array.isArray(metrics)) {
      problems.push(`${at}.Metrics is not an array`);
      continue;
    }
    if (metrics.length > 100) problems.push(`${at}: ${metrics.length} metric definitions (over 100)`);
    const names = new Set<string>();
    for (const m of metrics) {
      if (!isObject(m)) {
        problems.push(`${at}: a metric definition is not an object`);
        continue;
      }
      problems.push(...extra(m, ['Name', 'Unit', 'StorageResolution'], `${at} metric`));
      const name = m['Name'];
      if (typeof name !== 'string' || name.length < 1 || name.length > 255) {
        problems.push(`${at}: a metric Name is not 1-255 characters`);
        continue;
      }
      if (names.has(name)) problems.push(`${at}: metric ${name} defined twice`);
      names.add(name);
      if (m['Unit'] !== undefined && !UNITS.has(String(m['Unit'])))
        problems.push(`${name}: unit ${String(m['Unit'])}`);
      if (m['StorageResolution'] !== undefined && ![1, 60].includes(Number(m['StorageResolution'])))
        problems.push(`${name}: StorageResolution is not 1 or 60`);
      const value = root[name];
      const values = Array.isArray(value) ? value : [value];
      if (values.length > 100) problems.push(`${name}: ${values.length} values (over 100)`);
      if (values.length === 0 || values.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
        problems.push(`${name}: the value is not a number or an array of numbers`);
    }
  }
  return problems;
}
