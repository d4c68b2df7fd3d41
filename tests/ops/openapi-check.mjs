// Checks docs/openapi.yaml and the API's real answers against it.
// Usage: node openapi-check.mjs docs/openapi.yaml exchanges.jsonl [served.json]
//  1. the document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator);
//  2. the served /openapi.json (when given) is the same document;
//  3. every recorded exchange (tests/pipeline/client.c, NSJ_HTTP_RECORD) has
//     a documented status for its path and method, a documented content
//     type, and a JSON body valid against the response's schema (ajv,
//     JSON Schema 2020-12, the dialect of OpenAPI 3.1).
// Modules come from NODE_PATH-like NSJ_NODE_MODULES (tests/ops/openapi-check.sh installs them).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.env.NSJ_NODE_MODULES;
const require = createRequire(path.join(modules, "x.js"));
const YAML = require("yaml");
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;
const { Validator } = await import(pathToFileURL(path.join(modules, "@seriousme/openapi-schema-validator/index.js")));

const [docPath, exchangesPath, servedPath] = process.argv.slice(2);
const doc = YAML.parse(readFileSync(docPath, "utf8"));
let failures = 0;
const fail = (msg) => {
  failures++;
  console.error(`openapi: FAIL: ${msg}`);
};

const v = new Validator();
const res = await v.validate(structuredClone(doc));
if (!res.valid) fail(`${docPath} is not valid OpenAPI: ${JSON.stringify(res.errors).slice(0, 2000)}`);
else console.error(`openapi: ${docPath} is valid OpenAPI ${v.version}`);

if (servedPath) {
  const served = JSON.parse(readFileSync(servedPath, "utf8"));
  if (JSON.stringify(served) !== JSON.stringify(doc)) fail("GET /openapi.json is not docs/openapi.yaml");
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema(doc, "doc");

const esc = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");
const templates = Object.keys(doc.paths).map((t) => ({
  t,
  re: new RegExp("^" + t.replace(/\{[^}]+\}/g, "[^/]+") + "$"),
  literal: !t.includes("{"),
}));
function findPath(p) {
  const hits = templates.filter((x) => x.re.test(p));
  return hits.find((x) => x.literal) || hits[0];
}
// A response object and the JSON pointer to it (following one $ref).
function response(op, ptr, status) {
  let key = String(status);
  let r = op.responses[key];
  if (!r) return null;
  let rptr = `${ptr}/responses/${key}`;
  if (r.$ref) {
    rptr = r.$ref.slice(1);
    r = r.$ref.split("/").slice(1).reduce((o, k) => o[k.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
  }
  return { r, rptr };
}

const lines = readFileSync(exchangesPath, "utf8").split("\n").filter(Boolean);
const seen = new Set();
let checked = 0;
for (const line of lines) {
  const x = JSON.parse(line);
  const p = x.path.split("?")[0];
  const what = `${x.method} ${x.path} -> ${x.status}`;
  const method = x.method === "HEAD" ? "get" : x.method.toLowerCase();
  const found = findPath(p);
  const mediaType = (x.content_type || "").split(";")[0].trim();
  let schemaPtr = null;
  if (!found) {
    if (x.status !== 404) fail(`${what}: no documented path matches`);
    schemaPtr = "/components/schemas/Error";
  } else if (!doc.paths[found.t][method]) {
    if (x.status !== 405) fail(`${what}: ${method.toUpperCase()} is not documented on ${found.t}`);
    schemaPtr = "/components/schemas/Error";
  } else {
    const ptr = `/paths/${esc(found.t)}/${method}`;
    const resp = response(doc.paths[found.t][method], ptr, x.status);
    if (!resp) {
      fail(`${what}: status ${x.status} is not documented for ${method.toUpperCase()} ${found.t}`);
      continue;
    }
    seen.add(`${method.toUpperCase()} ${found.t} ${x.status}`);
    const content = resp.r.content || {};
    if (Object.keys(content).length && !content[mediaType]) {
      fail(`${what}: content type '${mediaType}' is not documented (${Object.keys(content).join(", ")})`);
      continue;
    }
    if (content[mediaType] && content[mediaType].schema) schemaPtr = `${resp.rptr}/content/${esc(mediaType)}/schema`;
  }
  if (mediaType === "application/json" && schemaPtr) {
    if (x.body === null) {
      fail(`${what}: the body is not JSON`);
      continue;
    }
    const ok = ajv.validate({ $ref: `doc#${schemaPtr}` }, x.body);
    if (!ok) fail(`${what}: ${ajv.errorsText(ajv.errors)}; body ${JSON.stringify(x.body).slice(0, 300)}`);
  }
  checked++;
}
console.error(`openapi: ${checked} exchanges checked, ${seen.size} documented (operation, status) pairs seen`);
if (checked === 0) fail("no exchanges were recorded");
process.exit(failures ? 1 : 0);
