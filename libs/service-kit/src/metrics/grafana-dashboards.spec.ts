// The Grafana dashboards under docker/grafana/dashboards query only metrics the services export: every metric name in
// their PromQL (panels and template variables) is one of the registry served at GET /metrics (the library's metrics,
// the circuit breakers' gauge, Node's default metrics).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CircuitRegistry } from '../circuits/circuit-registry';
import { MessagingMetrics } from './messaging-metrics';

const DASHBOARDS = resolve(__dirname, '../../../../docker/grafana/dashboards');

/** PromQL keywords and operators that read like names. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);

/** The metric names a PromQL expression selects: identifiers that are not functions, keywords, labels or durations. */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/\$\{?\w+(:\w+)?\}?/g, 'x') // Grafana variables ($service, ${__rate_interval}, $__interval)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(match.index + match[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return [...new Set(names)];
}

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

interface Dashboard {
  title: string;
  panels?: Panel[];
  templating?: { list?: Array<{ name: string; query?: string | { query?: string } }> };
}

/** Every PromQL expression of a dashboard, with where it is; `label_values(<selector>, <label>)` gives its selector. */
function queriesOf(dashboard: Dashboard): Array<{ where: string; expr: string }> {
  const queries: Array<{ where: string; expr: string }> = [];
  const visit = (panels: Panel[] = []): void => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) if (target.expr) queries.push({ where: `panel "${panel.title}"`, expr: target.expr });
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (!query) continue;
    const labelValues = /^\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*$/.exec(query);
    queries.push({ where: `variable $${variable.name}`, expr: labelValues ? labelValues[1] : query });
  }
  return queries;
}

/** The names GET /metrics serves: each metric's own, and a histogram's series names. */
function exportedNames(): Set<string> {
  const metrics = new MessagingMetrics();
  new CircuitRegistry(metrics);
  const names = new Set<string>();
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

describe('metricNamesIn', () => {
  it('finds the selected metrics, not functions, aggregations, labels, variables, durations or numbers', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, type) (rate(messaging_handler_duration_seconds_bucket{service=~"$service", queue!="a.b"}[$__rate_interval])))',
      ),
    ).toEqual(['messaging_handler_duration_seconds_bucket']);
    expect(metricNamesIn('count(circuit_breaker_state{circuit="x"} == 2) or vector(0)')).toEqual(['circuit_breaker_state']);
    expect(metricNamesIn('sum(rate(a_total[5m])) + sum without (queue) (rate(b_total[1h] offset 1d)) / on(service) group_left c')).toEqual([
      'a_total',
      'b_total',
      'c',
    ]);
    expect(metricNamesIn('max_over_time(up[10m:1m]) > 1e3')).toEqual(['up']);
  });
});

describe('the Grafana dashboards', () => {
  const files = readdirSync(DASHBOARDS).filter((file) => file.endsWith('.json'));
  const exported = exportedNames();

  it('are there', () => {
    expect(files).toContain('messaging.json');
  });

  it.each(files)('%s queries only metrics the services export', (file) => {
    const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as Dashboard;
    const queries = queriesOf(dashboard);
    expect(queries.length).toBeGreaterThan(0);
    const unknown = queries.flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${name} (${where})`),
    );
    expect(unknown).toEqual([]);
  });

  it('messaging.json shows rates, retries, dead letters, handler latency, the outbox age and circuit state', () => {
    const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, 'messaging.json'), 'utf8')) as Dashboard;
    const queried = new Set(queriesOf(dashboard).flatMap(({ expr }) => metricNamesIn(expr)));
    for (const name of [
      'messaging_messages_consumed_total',
      'messaging_messages_acked_total',
      'messaging_messages_retried_total',
      'messaging_messages_dead_lettered_total',
      'messaging_dead_letter_queue_depth',
      'messaging_handler_duration_seconds_bucket',
      'messaging_outbox_oldest_pending_age_seconds',
      'messaging_outbox_pending_rows',
      'circuit_breaker_state',
    ]) {
      expect(queried).toContain(name);
    }
  });
});
