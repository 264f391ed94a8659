#!/usr/bin/env python3
"""The query half of .ci/scrape-check: asks a running Prometheus (HTTP API on loopback) for

- every PromQL query of every Grafana panel (dashboard variables replaced by fixed values), and
- every recording rule of the rules file (its recorded series),
- every metric any rule reads (it must be scraped, come from a named exporter, or be allow-listed),

and demands at least one series with a value (not NaN) from each, retrying until a deadline (the counters need a few
scrapes before rate() has two samples). A query is skipped only if it names a metric of the
allow-list (metrics other branches add), and said so. Also demands that Prometheus loaded every
rule group of the rules file, that every rule evaluates without error, and that no alert fires on
the healthy service.

  check_queries.py PROMETHEUS_URL DASHBOARD RULES ALLOW_LIST NAMESPACE DEADLINE_SECONDS
"""
import json
import re
import sys
import time
import urllib.parse
import urllib.request

import yaml

prometheus, dashboard_file, rules_file, allow_file, namespace, deadline = sys.argv[1:]
deadline = time.time() + float(deadline)

# Grafana's variables, as the dashboard would have them here. 5m: the window every rate() needs to
# still hold the walkthrough's events when the check runs.
VARIABLES = {"$__rate_interval": "5m", "${namespace}": namespace, "$namespace": namespace}

allow = {}
for line in open(allow_file, encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if line:
        metric, _, reason = line.partition(" ")
        allow[metric] = reason.strip()


def substitute(expr):
    for name in sorted(VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, VARIABLES[name])
    return expr


def api(path, **params):
    url = f"{prometheus}/api/v1/{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{path} {params}: {body}")
    return body["data"]


def allow_listed(expr):
    return [m for m in allow if re.search(rf"\b{re.escape(m)}\b", expr)]


dashboard = json.load(open(dashboard_file, encoding="utf-8"))
panels = [p for top in dashboard["panels"] for p in [top, *top.get("panels", [])] if p.get("type") != "row"]
queries = []  # (what, promql)
for panel in panels:
    for target in panel.get("targets", []):
        if target.get("expr"):
            queries.append((f'panel "{panel["title"]}" {target.get("refId", "")}', substitute(target["expr"])))
groups = yaml.safe_load(open(rules_file, encoding="utf-8"))["groups"]
records = [rule for g in groups for rule in g["rules"] if "record" in rule]
for rule in records:
    queries.append((f'recording rule {rule["record"]}', f'{rule["record"]}{{namespace="{namespace}"}}'))

skipped = []
pending = []
for what, expr in queries:
    names = allow_listed(expr)
    if names:
        skipped.append(f"{what}: {', '.join(f'{n} ({allow[n]})' for n in names)}")
    else:
        pending.append((what, expr))


def has_data(series):
    # A series whose value is NaN (a ratio of two zero rates, a Kafka "max" with no fetch in its
    # window) is not data a person can read on a panel.
    return any(s["value"][1] != "NaN" for s in series)


answers = {}
while True:
    for what, expr in pending:
        if not has_data(answers.get(what, [])):
            answers[what] = api("query", query=expr)["result"]
    empty = [(w, e) for w, e in pending if not has_data(answers[w])]
    if not empty or time.time() > deadline:
        break
    time.sleep(2)

problems = [f"{w}: {'only NaN' if answers[w] else 'no series'} for {e}" for w, e in empty]

# Every metric an alert or recording rule reads must exist in this scrape, unless another exporter
# provides it in a cluster, or it is allow-listed: a renamed metric would leave an alert silent
# forever, and promtool's tests (synthetic series) cannot notice.
EXTERNAL = {  # metric: who provides it
    "kafka_topic_partition_current_offset": "Kafka Exporter (Strimzi)",
    "kube_pod_status_ready": "kube-state-metrics",
    "kube_pod_container_resource_limits": "kube-state-metrics",
    "container_memory_working_set_bytes": "cAdvisor (kubelet)",
}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
            "group_right", "inf", "nan"}


def metric_names(expr):
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", bare)
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", bare)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", bare):
        before = bare[m.start() - 1] if m.start() else " "
        if re.match(r"[0-9.]", before) or bare[m.end():].lstrip().startswith("(") or m.group(0).lower() in KEYWORDS:
            continue
        names.add(m.group(0))
    return names


scraped = set(api("label/__name__/values"))
recorded = {rule["record"] for rule in records}
for rule in (r for g in groups for r in g["rules"]):
    for name in sorted(metric_names(rule["expr"]) - recorded):
        what = rule.get("alert") or rule.get("record")
        if name in scraped or name in EXTERNAL:
            continue
        if name in allow:
            skipped.append(f"rule {what} reads {name} ({allow[name]})")
        else:
            problems.append(f"rule {what} reads {name}, which the service does not expose")

# Every group of the rules file loaded, every rule healthy, nothing firing on a healthy service.
loaded = api("rules")["groups"]
names = {g["name"] for g in loaded}
for g in groups:
    if g["name"] not in names:
        problems.append(f"rule group {g['name']} not loaded by Prometheus")
rules = [r for g in loaded for r in g["rules"]]
for r in rules:
    if r.get("health") != "ok":
        problems.append(f"rule {r['name']}: health {r.get('health')}: {r.get('lastError', '')}")
firing = [a for a in api("alerts")["alerts"] if a["state"] == "firing"]
for a in firing:
    problems.append(f"alert {a['labels']['alertname']} fires on the healthy service: {a['labels']}")
pending_alerts = sorted({a["labels"]["alertname"] for a in api("alerts")["alerts"] if a["state"] == "pending"})

for what, expr in pending:
    if has_data(answers.get(what, [])):
        series = answers[what]
        sample = ", ".join(f"{s['metric']}={s['value'][1]}" for s in series[:2])
        print(f"ok    {what}: {len(series)} series ({sample[:140]})")
for line in skipped:
    print(f"skip  {line}")
if pending_alerts:
    print(f"(pending, not firing: {', '.join(pending_alerts)})")
if problems:
    for p in problems:
        print(f"FAIL  {p}")
    sys.exit(1)
checked_records = sum(1 for w, _ in pending if w.startswith("recording rule"))
print(f"scrape check: {len(pending) - checked_records} dashboard queries and {checked_records} recording rules "
      f"returned data; {len(skipped)} queries or rule metrics skipped by the allow-list; every other metric the "
      f"rules read is scraped or named as an exporter's; {len(rules)} rules healthy, none firing")
