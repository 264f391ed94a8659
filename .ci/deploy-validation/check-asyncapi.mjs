// Validates asyncapi.yaml with the official AsyncAPI parser (the spec's JSON Schema plus its
// Spectral rules) and fails on any error. The parser does not check message examples against
// their schemas, so this does, with Ajv, and it also checks the project's seed story
// (examples/seed-story.kcat: key|structured CloudEvent per line) against the documented schemas.
// Given the Strimzi topics (k8s/base/kafka-topics.yaml), each channel's Kafka binding must name
// the same partition count as the KafkaTopic of its address. The one HTTP channel, webhook
// deliveries, must carry exactly the notification's payload and the Standard Webhooks headers.
//   node check-asyncapi.mjs asyncapi.yaml [examples/seed-story.kcat [k8s/base/kafka-topics.yaml]]
import { existsSync, readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parseAllDocuments } from "yaml";

const [file, seedStory, kafkaTopics] = process.argv.slice(2);
const fail = (lines) => { lines.forEach((l) => console.error(`  ${l}`)); process.exit(1); };

const { document, diagnostics } = await new Parser().parse(readFileSync(file, "utf8"), { source: file });
const ERROR = 0, WARNING = 1; // Spectral's DiagnosticSeverity
const show = (d) => `line ${(d.range?.start.line ?? -1) + 1} ${d.path.join(".") || "/"}: ${d.message} (${d.code})`;
const warnings = diagnostics.filter((d) => d.severity === WARNING);
warnings.forEach((d) => console.error(`  warning ${show(d)}`));
const errors = diagnostics.filter((d) => d.severity === ERROR);
if (errors.length || !document) fail(errors.map((d) => `error ${show(d)}`));

const TOPICS = ["policy-changes", "moratorium-notifications", "moratorium-state", "policy-changes-dlq"];
// Kafka channels are those with a Kafka binding; the webhook channel is HTTP (a subscriber's URL).
const kafkaChannels = document.channels().all().filter((c) => c.bindings().has("kafka"));
const addresses = kafkaChannels.map((c) => c.address()).sort();
if (JSON.stringify(addresses) !== JSON.stringify([...TOPICS].sort())) {
  fail([`Kafka channels are ${addresses.join(", ")}; the contract has ${TOPICS.join(", ")}`]);
}
const byName = (name) => document.messages().all().find((m) => m.name() === name);
const webhook = byName("webhook");
if (!webhook) fail(["no webhook message: webhook deliveries are part of the contract"]);
// the parser names each schema it meets (x-parser-schema-id): compare without those names
const plain = (schema) => JSON.stringify(schema, (k, v) => (k.startsWith("x-parser-") ? undefined : v));
if (plain(webhook.payload().json()) !== plain(byName("notification").payload().json())) {
  fail(["the webhook body must be the notification's payload, exactly"]);
}
const webhookHeaders = webhook.headers().json().required ?? [];
for (const h of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
  if (!webhookHeaders.includes(h)) fail([`the webhook message does not require header ${h}`]);
}

// strict: false because AsyncAPI schemas carry keywords Ajv does not know (x-parser-*, examples).
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const problems = [];
const check = (what, schema, value) => {
  const validate = ajv.compile(schema);
  if (!validate(value)) problems.push(`${what}: ${ajv.errorsText(validate.errors)}`);
};
const messages = document.messages().all();
let examples = 0;
for (const message of messages) {
  for (const example of message.examples().all()) {
    examples++;
    const what = `example ${example.name()} of ${message.name()}`;
    if (example.hasPayload()) check(`${what} payload`, message.payload().json(), example.payload());
    if (example.hasHeaders()) check(`${what} headers`, message.headers().json(), example.headers());
  }
}

let seeds = 0;
if (seedStory && existsSync(seedStory)) {
  const structured = messages.find((m) => m.name() === "structured");
  const keySchema = structured.bindings().get("kafka").value().key;
  for (const line of readFileSync(seedStory, "utf8").split("\n").filter((l) => l.trim())) {
    seeds++;
    const [key, ...value] = line.split("|");
    check(`${seedStory} record ${seeds} key`, keySchema, key);
    check(`${seedStory} record ${seeds} value`, structured.payload().json(), JSON.parse(value.join("|")));
  }
}
let topicsChecked = 0;
if (kafkaTopics) {
  const declared = new Map(parseAllDocuments(readFileSync(kafkaTopics, "utf8")).map((d) => d.toJS())
    .filter((o) => o?.kind === "KafkaTopic").map((o) => [o.spec.topicName ?? o.metadata.name, o.spec.partitions]));
  for (const channel of kafkaChannels) {
    const binding = channel.bindings().get("kafka")?.value() ?? {};
    topicsChecked++;
    if (!declared.has(channel.address())) problems.push(`${kafkaTopics} has no KafkaTopic ${channel.address()}`);
    else if (binding.partitions !== declared.get(channel.address())) {
      problems.push(`channel ${channel.address()}: partitions ${binding.partitions}, the KafkaTopic has ${declared.get(channel.address())}`);
    }
  }
}
if (problems.length) fail(problems);

console.log(`AsyncAPI ${document.version()} valid: ${addresses.length} Kafka channels and the webhook channel, ${messages.length} messages, `
  + `${document.operations().all().length} operations, ${warnings.length} warnings; ${examples} examples`
  + (seedStory ? ` and ${seeds} seed-story records` : "") + " match their schemas"
  + (kafkaTopics ? `; partitions of ${topicsChecked} channels as in ${kafkaTopics}` : ""));
