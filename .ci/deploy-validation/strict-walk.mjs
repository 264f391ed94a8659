// The strictness walk: kubernetes-models validate() ignores unknown fields, but the same packages
// ship TypeScript declarations generated from the same OpenAPI / CRD schemas, where every
// declared field is a property. Walking an object along its type with the TypeScript checker
// finds every field the schema does not declare, at any depth.
//
// Free-form maps stay free: a string index signature (labels, annotations, ConfigMap data) takes
// any key, and a declared-empty object type ({} — a CRD's x-kubernetes-preserve-unknown-fields,
// such as KafkaTopic spec.config) takes anything. Scalars are validate()'s job, not this walk's.
import ts from "typescript";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const F = ts.TypeFlags;
let compiled; // { checker, roots: Map<"module#Class", ts.Type> }

// One small TypeScript program that names each model's data interface (IDeployment, ...).
function compile(models) {
  const entries = models.map(([module, cls], i) => [`T${i}`, `${module}#${cls}`, `import("${module}").I${cls}`]);
  const fileName = join(here, "strict-walk-types.ts");
  const text = entries.map(([alias, , type]) => `export type ${alias} = ${type};`).join("\n");
  const options = {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = ((exists) => (f) => f === fileName || exists(f))(host.fileExists.bind(host));
  host.readFile = (f) => (f === fileName ? text : readFile(f));
  host.getSourceFile = (f, lang, ...rest) =>
    f === fileName ? ts.createSourceFile(f, text, lang, true) : getSourceFile(f, lang, ...rest);
  const program = ts.createProgram([fileName], options, host);
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) {
    throw new Error("model types did not resolve: " + ts.flattenDiagnosticMessageText(errors[0].messageText, " "));
  }
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(fileName);
  const roots = new Map();
  source.statements.forEach((stmt, i) => roots.set(entries[i][1], checker.getTypeAtLocation(stmt.name)));
  return { checker, roots, source };
}

const isArray = (checker, t) => (checker.isArrayType ? checker.isArrayType(t) : t.symbol?.name === "Array");

function typeOfProperty(checker, symbol, source) {
  return checker.getTypeOfSymbol ? checker.getTypeOfSymbol(symbol) : checker.getTypeOfSymbolAtLocation(symbol, source);
}

// The closest declared name, to make a typo's report say what was meant.
function closest(word, names) {
  const distance = (a, b) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
  };
  const best = names.map((n) => [distance(word, n), n]).sort((x, y) => x[0] - y[0])[0];
  return best && best[0] <= 3 ? best[1] : null;
}

function walk(value, type, path, problems) {
  const { checker, source } = compiled;
  if (value === null || typeof value !== "object") return;
  const members = (type.isUnion() ? type.types : [type]).filter((t) => !(t.flags & (F.Undefined | F.Null)));
  if (members.some((t) => t.flags & (F.Any | F.Unknown))) return;
  if (Array.isArray(value)) {
    const array = members.find((t) => isArray(checker, t));
    if (array) value.forEach((item, i) => walk(item, checker.getTypeArguments(array)[0], `${path}[${i}]`, problems));
    return;
  }
  const objects = members.filter((t) => t.flags & F.Object && !isArray(checker, t));
  if (objects.length === 0) return; // an object where a scalar belongs: validate() reports that
  const props = (t) => checker.getPropertiesOfType(t);
  const stringIndex = (t) => checker.getIndexInfosOfType(t).find((info) => info.keyType.flags & F.String);
  if (objects.some((t) => props(t).length === 0 && !stringIndex(t))) return; // free-form
  for (const [key, child] of Object.entries(value)) {
    let childType;
    for (const t of objects) {
      const prop = checker.getPropertyOfType(t, key);
      if (prop) { childType = typeOfProperty(checker, prop, source); break; }
      const index = stringIndex(t);
      if (index) { childType = index.type; break; }
    }
    const at = path ? `${path}.${key}` : key;
    if (childType) {
      walk(child, childType, at, problems);
    } else {
      const hint = closest(key, objects.flatMap((t) => props(t).map((p) => p.name)));
      problems.push(`unknown field ${at}${hint ? ` (did you mean ${hint}?)` : ""}`);
    }
  }
}

// Compiles the types of the given [module, className] models once; returns a function that
// lists "unknown field a.b.c" for every field of an object that its model does not declare.
export function strictChecker(models) {
  compiled = compile(models);
  return (object, module, className) => {
    const root = compiled.roots.get(`${module}#${className}`);
    if (!root) throw new Error(`no type for ${module}#${className}`);
    const problems = [];
    walk(object, root, "", problems);
    return problems;
  };
}
