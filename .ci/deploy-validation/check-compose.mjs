// Validates a Compose file against the Compose Specification's JSON schema (the copy that the
// pinned dclint package ships, schemas/compose.schema.json), then checks what this service needs.
//   node check-compose.mjs docker/docker-compose.yml
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";

const file = process.argv[2];
// Read by path: dclint's package "exports" do not expose the schema as a module.
const here = dirname(fileURLToPath(import.meta.url));
const schema = JSON.parse(readFileSync(join(here, "node_modules/dclint/schemas/compose.schema.json"), "utf8"));
// The schema's "$schema" names draft-07 by an https URL that Ajv does not know by that spelling;
// Ajv's default dialect is draft-07 already. strict: false because the schema uses annotations
// (e.g. "deprecated") that Ajv's strict mode would reject as unknown keywords.
delete schema.$schema;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

const compose = parse(readFileSync(file, "utf8"), { merge: true });
const problems = [];
if (!validate(compose)) {
  for (const e of validate.errors) problems.push(`${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
}

// The packaged service refuses to start without these; Compose must set them.
const REQUIRED_ENV = ["KAFKA_BOOTSTRAP_SERVERS", "QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD"];
const services = Object.entries(compose.services ?? {});
const built = services.filter(([, s]) => s.build);
if (built.length === 0) problems.push("no service is built from a Dockerfile");
for (const [name, service] of built) {
  const context = resolve(dirname(file), service.build.context ?? ".");
  const dockerfile = resolve(context, service.build.dockerfile ?? "Dockerfile");
  if (!existsSync(dockerfile)) problems.push(`${name}: build file ${dockerfile} does not exist`);
  const env = Array.isArray(service.environment)
    ? Object.fromEntries(service.environment.map((e) => e.split("=", 2)))
    : service.environment ?? {};
  for (const key of REQUIRED_ENV) if (!env[key]) problems.push(`${name}: environment lacks ${key}`);
  for (const [dependency, how] of Object.entries(service.depends_on ?? {})) {
    if (!compose.services[dependency]) problems.push(`${name}: depends on unknown service ${dependency}`);
    if (!how.condition) problems.push(`${name}: depends_on ${dependency} has no condition`);
  }
  if (!service.healthcheck) problems.push(`${name}: no healthcheck`);
}

if (problems.length) {
  problems.forEach((p) => console.error(`  ${p}`));
  process.exit(1);
}
console.log(`valid against the Compose Specification schema; ${services.length} services, `
  + `${built.map(([n]) => n).join(", ")} built with ${REQUIRED_ENV.length} required settings`);
