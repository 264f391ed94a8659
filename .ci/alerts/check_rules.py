#!/usr/bin/env python3
"""What promtool cannot know about our rules, checked by .ci/alerts-check:

- every alert has labels.severity (critical or warning) and annotations summary, description and
  runbook_url, and the runbook_url's anchor is a section heading of docs/runbook.md;
- every alert has a promtool test in which it fires (a non-empty exp_alerts) and one in which it is
  expected silent (exp_alerts: []);
- the PrometheusRule in k8s/base holds exactly the plain file's groups.

  check_rules.py RULES_FILE PROMETHEUS_RULE RUNBOOK TEST_FILE...
"""
import re
import sys

import yaml

rules_file, prometheus_rule, runbook, *tests = sys.argv[1:]
problems = []


def anchor(heading):
    # GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


groups = yaml.safe_load(open(rules_file, encoding="utf-8"))["groups"]
alerts = [r for g in groups for r in g["rules"] if "alert" in r]
records = [r["record"] for g in groups for r in g["rules"] if "record" in r]
anchors = {anchor(h) for h in re.findall(r"^#+ (.+)$", open(runbook, encoding="utf-8").read(), re.M)}

for rule in alerts:
    name = rule["alert"]
    if rule.get("labels", {}).get("severity") not in ("critical", "warning"):
        problems.append(f"{name}: labels.severity must be critical or warning")
    annotations = rule.get("annotations", {})
    for key in ("summary", "description", "runbook_url"):
        if not str(annotations.get(key, "")).strip():
            problems.append(f"{name}: no annotations.{key}")
    url = annotations.get("runbook_url", "")
    if not url.startswith("docs/runbook.md#") or url.split("#", 1)[1] not in anchors:
        problems.append(f"{name}: runbook_url {url!r} is not a section of {runbook}")

fires, silent = set(), set()
for test_file in tests:
    for case in yaml.safe_load(open(test_file, encoding="utf-8"))["tests"]:
        for t in case.get("alert_rule_test", []):
            (fires if t.get("exp_alerts") else silent).add(t["alertname"])
for rule in alerts:
    name = rule["alert"]
    if name not in fires:
        problems.append(f"{name}: no promtool test in which it fires")
    if name not in silent:
        problems.append(f"{name}: no promtool test in which it stays silent")

generated = yaml.safe_load(open(prometheus_rule, encoding="utf-8"))
if generated.get("kind") != "PrometheusRule" or generated.get("spec", {}).get("groups") != groups:
    problems.append(f"{prometheus_rule} does not hold the groups of {rules_file}: run k8s/prometheus/generate")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(alerts)} alerts, each with severity, summary, description, a runbook section, and tests "
      f"firing and silent; {len(records)} recording rules; the PrometheusRule matches")
