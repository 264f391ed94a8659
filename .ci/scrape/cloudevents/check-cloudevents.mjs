// Reads what the service published with the CloudEvents JavaScript SDK: every record of
// moratorium-state and moratorium-notifications (kcat -J lines) must be a valid CloudEvent 1.0 in
// binary mode per the SDK's Kafka binding, with the contract's type, subject = key = data.policyId
// and an id unique on its topic; and it must survive the SDK's HTTP binding (binary), so a
// subscriber can forward it to an HTTP endpoint unchanged.
//   node check-cloudevents.mjs STATE_RECORDS.jsonl NOTIFICATION_RECORDS.jsonl
import { readFileSync } from "node:fs";
import { HTTP, Kafka } from "cloudevents";

const NOTIFICATION_TYPES = new Set(["access.suspended", "access.suspension-extended", "access.restored",
  "access.expiry-approaching", "access.withdrawn", "exemption.granted", "exemption.revoked"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const [stateFile, notificationFile] = process.argv.slice(2);
const problems = [];
const summary = [];

function check(file, topic, typeOk) {
  const records = readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  if (records.length === 0) problems.push(`${topic}: no records`);
  const ids = new Set();
  for (const r of records) {
    const where = `${topic} offset ${r.partition}/${r.offset}`;
    const headers = {};
    for (let i = 0; i < (r.headers ?? []).length; i += 2) headers[r.headers[i]] = r.headers[i + 1];
    const message = { key: r.key, value: r.payload, headers, timestamp: String(r.ts) };
    try {
      if (!Kafka.isEvent(message)) throw new Error("the SDK does not see a CloudEvent");
      const event = Kafka.toEvent(message);
      event.validate();
      if (!typeOk(event.type)) throw new Error(`type ${event.type}`);
      if (event.subject !== r.key) throw new Error(`subject ${event.subject}, key ${r.key}`);
      if (event.data?.policyId !== r.key) throw new Error(`data.policyId ${event.data?.policyId}, key ${r.key}`);
      if (event.datacontenttype !== "application/json") throw new Error(`datacontenttype ${event.datacontenttype}`);
      if (!UUID.test(event.id)) throw new Error(`id ${event.id} is not a UUID`);
      if (ids.has(event.id)) throw new Error(`id ${event.id} twice`);
      ids.add(event.id);
      const forwarded = HTTP.toEvent(HTTP.binary(event));
      if (forwarded.id !== event.id || forwarded.type !== event.type || forwarded.data?.policyId !== r.key) {
        throw new Error("changed through the HTTP binding");
      }
      summary.push(`${topic} ${r.key} ${event.type} ${event.id}`);
    } catch (e) {
      problems.push(`${where}: ${e.message}`);
    }
  }
  return records.length;
}

const states = check(stateFile, "moratorium-state", (t) => t === "moratorium.state");
const notifications = check(notificationFile, "moratorium-notifications", (t) => NOTIFICATION_TYPES.has(t));
summary.forEach((s) => console.log(`  ${s}`));
if (problems.length) {
  problems.forEach((p) => console.error(`FAIL  ${p}`));
  process.exit(1);
}
console.log(`cloudevents SDK: ${states} state records and ${notifications} notifications are valid CloudEvents`
  + " (Kafka binding, binary mode), ids unique, unchanged through the HTTP binding");
