// Validates every object of a rendered kustomize overlay, twice:
//  1. against its schema, with the kubernetes-models validate() of its kind (types, enums,
//     required fields, formats) — core kinds and the Strimzi / Prometheus operator CRDs alike;
//  2. strictly: validate() accepts unknown fields (a misspelled `livenesProbe` passes), so a walk
//     over the object, guided by the TypeScript types the same packages generate from the same
//     OpenAPI/CRD schemas, fails on any field the type does not declare.
//
//   node check-k8s.mjs rendered.yaml          validate a `kubectl kustomize` output
//   node check-k8s.mjs --self-test rendered.yaml
//        copies objects from it with a known typo and demands that the check fails on each
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { strictChecker } from "./strict-walk.mjs";

// Every kind the overlays may contain: apiVersion/kind -> module and class. A kind missing here
// fails the check, so a new kind cannot slip through unvalidated.
const MODELS = {
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "ConfigMap"],
  "v1/Secret": ["kubernetes-models/v1/Secret", "Secret"],
  "v1/Service": ["kubernetes-models/v1/Service", "Service"],
  "apps/v1/Deployment": ["kubernetes-models/apps/v1/Deployment", "Deployment"],
  "policy/v1/PodDisruptionBudget": ["kubernetes-models/policy/v1/PodDisruptionBudget", "PodDisruptionBudget"],
  "autoscaling/v2/HorizontalPodAutoscaler": ["kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler", "HorizontalPodAutoscaler"],
  "networking.k8s.io/v1/NetworkPolicy": ["kubernetes-models/networking.k8s.io/v1/NetworkPolicy", "NetworkPolicy"],
  // Strimzi's v1 API (0.49+; the only one from Strimzi 1.0): an old v1beta2 KafkaTopic fails here.
  "kafka.strimzi.io/v1/KafkaTopic": ["@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaTopic", "KafkaTopic"],
  "kafka.strimzi.io/v1/KafkaUser": ["@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaUser", "KafkaUser"],
  "monitoring.coreos.com/v1/ServiceMonitor": ["@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor", "ServiceMonitor"],
  "monitoring.coreos.com/v1/PrometheusRule": ["@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule", "PrometheusRule"],
};

const strictProblems = strictChecker(Object.values(MODELS));

function objectsOf(file) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
  }
  return docs.map((d) => d.toJS()).filter((o) => o != null);
}

const nameOf = (o) => `${o.kind}/${o.metadata?.name}`;

// Schema validation with kubernetes-models; returns a list of problems.
async function schemaProblems(object) {
  const key = `${object.apiVersion}/${object.kind}`;
  if (!MODELS[key]) return [`no schema known for ${key} (add it to MODELS in check-k8s.mjs)`];
  const [module, className] = MODELS[key];
  const Model = (await import(module))[className];
  const data = structuredClone(object);
  if (data.kind === "Secret" && data.data) {
    // kustomize wraps long base64 values over several lines; the API server's base64 decoder
    // (Go's) skips line breaks, the schema's "byte" format does not: compare without them.
    for (const k of Object.keys(data.data)) data.data[k] = String(data.data[k]).replace(/[\r\n]/g, "");
  }
  try {
    new Model(data).validate();
    return [];
  } catch (e) {
    return [e.message];
  }
}

async function problemsOf(object) {
  const key = `${object.apiVersion}/${object.kind}`;
  const found = await schemaProblems(object);
  if (MODELS[key]) found.push(...strictProblems(object, ...MODELS[key]));
  return found;
}

async function validate(file) {
  const objects = objectsOf(file);
  if (objects.length === 0) throw new Error(`${file} holds no objects`);
  let failed = 0;
  for (const object of objects) {
    const problems = await problemsOf(object);
    if (problems.length) {
      failed++;
      for (const p of problems) console.error(`  ${nameOf(object)}: ${p}`);
    }
  }
  const kinds = [...new Set(objects.map((o) => o.kind))].sort().join(", ");
  if (failed) {
    console.error(`${failed} of ${objects.length} objects invalid`);
    process.exit(1);
  }
  console.log(`${objects.length} objects valid and strict (${kinds})`);
}

// Each mutation renames one real field; the check must reject every mutated copy.
const TYPOS = [
  ["Deployment", "spec.template.spec.containers.0", "livenessProbe", "livenesProbe"],
  ["Deployment", "spec.template.spec", "securityContext", "securityContxt"],
  ["KafkaTopic", "spec", "partitions", "partiton"],
  ["ServiceMonitor", "spec.endpoints.0", "path", "pathh"],
  ["PrometheusRule", "spec.groups.1.rules.0", "for", "forr"],
];

async function selfTest(file) {
  const objects = objectsOf(file);
  let caught = 0;
  let schemaAccepted = 0;
  for (const [kind, at, field, typo] of TYPOS) {
    const original = objects.find((o) => o.kind === kind);
    if (!original) throw new Error(`self-test: no ${kind} in ${file}`);
    const copy = structuredClone(original);
    const parent = at.split(".").reduce((node, step) => node[step], copy);
    if (!(field in parent)) throw new Error(`self-test: ${kind} has no ${at}.${field}`);
    parent[typo] = parent[field];
    delete parent[field];
    const schemaOnly = await schemaProblems(copy);
    const all = await problemsOf(copy);
    if (all.length === 0) {
      console.error(`  NOT caught: ${kind} with ${at}.${typo}`);
      continue;
    }
    caught++;
    if (schemaOnly.length === 0) schemaAccepted++;
    console.error(`  caught: ${kind}: ${all[0]}`);
  }
  if (caught !== TYPOS.length) {
    console.error(`self-test: only ${caught} of ${TYPOS.length} misspelled fields were rejected`);
    process.exit(1);
  }
  const typos = TYPOS.map(([kind, , , typo]) => `${kind} ${typo}`).join(", ");
  console.log(`all ${TYPOS.length} misspelled copies rejected (${typos}); `
    + `kubernetes-models validate() alone accepted ${schemaAccepted} of them`);
}

const args = process.argv.slice(2);
try {
  if (args[0] === "--self-test") await selfTest(args[1]);
  else await validate(args[0]);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
