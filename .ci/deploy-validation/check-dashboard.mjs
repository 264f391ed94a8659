// Checks the Grafana dashboard: it parses, every panel has queries, and every metric name in a
// PromQL query (and in the template variables' label_values()) is one the service exposes — or
// one listed in the allow-list of metrics other branches add (.ci/scrape-allow-list), reported.
//   node check-dashboard.mjs k8s/grafana-dashboard.json [.ci/scrape-allow-list]
import { readFileSync } from "node:fs";

// What /q/metrics serves (Micrometer names, as Prometheus sees them).
const EXPOSED = new Set([
  "moratorium_events_consumed_total", "moratorium_events_rejected_total",
  "moratorium_records_published_total", "moratorium_outbox_backlog",
  "moratorium_outbox_oldest_age_seconds", "moratorium_moratoria_active",
  "moratorium_moratoria_scheduled", "moratorium_time_driven_lag_seconds",
  "moratorium_ingest_batch_duration_seconds_bucket", "moratorium_ingest_batch_size_sum",
  "moratorium_ingest_batch_size_count", "kafka_consumer_fetch_manager_records_lag",
  "http_server_requests_seconds_count", "jvm_memory_usage_after_gc",
  "moratorium_webhook_deliveries_total", "moratorium_webhook_backlog",
  "moratorium_webhook_oldest_undelivered_seconds", "moratorium_webhook_subscriptions_failing",
  "moratorium_webhook_subscriptions",
  "moratorium_index_age_seconds", "moratorium_index_refresh_failures_total", "moratorium_index_policies",
  "moratorium_outbox_parked_total", "moratorium_outbox_parked_rows", "moratorium_time_driven_set_aside_total",
  "moratorium_state_topic_partitions_added", "moratorium_state_topic_keeps_last_states",
]);
// "metric  reason" lines; # starts a comment.
const PENDING = new Set((process.argv[3] ? readFileSync(process.argv[3], "utf8") : "").split("\n")
  .map((l) => l.replace(/#.*/, "").trim().split(/\s+/)[0]).filter(Boolean));
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
  "group_left", "group_right", "inf", "nan"]);

// The metric names of a PromQL expression: identifiers left once strings, label matchers, ranges,
// label lists and Grafana variables are removed, that are neither functions nor keywords.
function metricNames(expr) {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{[^}]*\}|\$\w+/g, " ");
  const names = [];
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const before = bare[m.index - 1] ?? " ";
    if (/[0-9.]/.test(before)) continue; // the unit of a number or duration (1e3, 5m)
    if (bare.slice(m.index + m[0].length).trimStart().startsWith("(")) continue; // a function
    if (!KEYWORDS.has(m[0].toLowerCase())) names.push(m[0]);
  }
  return names;
}

const dashboard = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];
const used = new Set();
const use = (where, names) => names.forEach((n) => {
  used.add(n);
  if (!EXPOSED.has(n) && !PENDING.has(n)) problems.push(`${where}: metric ${n} is not exposed by the service`);
});

const panels = (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== "row");
if (panels.length === 0) problems.push("no panels");
let queries = 0;
for (const panel of panels) {
  const exprs = (panel.targets ?? []).map((t) => t.expr).filter(Boolean);
  if (exprs.length === 0) problems.push(`panel "${panel.title}" has no query`);
  for (const expr of exprs) {
    queries++;
    if (expr.includes("__name__")) problems.push(`panel "${panel.title}": select metrics by name, not __name__`);
    const names = metricNames(expr);
    if (names.length === 0) problems.push(`panel "${panel.title}": no metric in ${expr}`);
    use(`panel "${panel.title}"`, names);
  }
}
for (const variable of dashboard.templating?.list ?? []) {
  const query = typeof variable.query === "string" ? variable.query : variable.query?.query;
  const args = /^\s*label_values\((.*)\)\s*$/.exec(query ?? "")?.[1].split(",");
  if (args?.length === 2) use(`variable ${variable.name}`, metricNames(args[0]));
}

if (problems.length) {
  problems.forEach((p) => console.error(`  ${p}`));
  process.exit(1);
}
const pending = [...used].filter((n) => !EXPOSED.has(n));
console.log(`${panels.length} panels, ${queries} queries over ${used.size} metrics, all exposed by the service`
  + (pending.length ? ` or allow-listed as added by another branch (${pending.join(", ")})` : ""));
