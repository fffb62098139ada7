// Checks an OpenAPI document: `node web/tests/openapi.mjs docs/openapi.json`.
// SwaggerParser.validate checks it against the OpenAPI schema and resolves every $ref; then
// the rules of this project: every operation has an operationId (unique) and a 2xx
// response, path templates and path parameters agree, admin operations (only they) need
// the bearer token, and schema objects use known types and require only their properties. Prints a one-line summary and exits 0, or lists the problems and
// exits 1.
import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const ADMIN_PREFIX = '/api/v1/admin/';

const file = process.argv[2];
if (!file || process.argv.length > 3) {
  console.error('usage: node web/tests/openapi.mjs FILE');
  process.exit(2);
}

const problems = [];

let raw;
try {
  raw = JSON.parse(await readFile(file, 'utf8'));
} catch (e) {
  console.error(`openapi: cannot read ${file}: ${e.message}`);
  process.exit(1);
}

try {
  // Validates a copy: the parser dereferences what it is given, and the checks below want
  // the document as written ($refs and all).
  await SwaggerParser.validate(structuredClone(raw));
} catch (e) {
  problems.push(e.message.trim());
}

// Parameters as written may be $refs to components/parameters.
const resolveParam = (p) => {
  if (p && typeof p.$ref === 'string' && p.$ref.startsWith('#/components/parameters/')) {
    return raw.components?.parameters?.[p.$ref.slice('#/components/parameters/'.length)] ?? {};
  }
  return p ?? {};
};

const requiresBearer = (requirements) =>
  Array.isArray(requirements) &&
  requirements.length > 0 &&
  requirements.every((r) => r && Object.hasOwn(r, 'bearer'));

const bearer = raw.components?.securitySchemes?.bearer;
if (!bearer || bearer.type !== 'http' || String(bearer.scheme).toLowerCase() !== 'bearer') {
  problems.push('components.securitySchemes.bearer must be { "type": "http", "scheme": "bearer" }');
}

// The OpenAPI schema stops at schema objects, so typos inside them ("type": "int", a
// required field that is not among the properties) would pass; look at each one.
const pointer = (key) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');
const TYPES = new Set(['array', 'boolean', 'integer', 'null', 'number', 'object', 'string']);
const SUBSCHEMA = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'];
const SUBSCHEMAS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
function checkSchema(schema, where) {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    for (const t of types) if (!TYPES.has(t)) problems.push(`${where}: unknown type ${JSON.stringify(t)}`);
  }
  if (Array.isArray(schema.required) && schema.properties && !schema.allOf) {
    for (const name of schema.required) {
      if (!Object.hasOwn(schema.properties, name)) problems.push(`${where}: required "${name}" is not among the properties`);
    }
  }
  for (const k of SUBSCHEMA) checkSchema(schema[k], `${where}/${k}`);
  for (const k of SUBSCHEMAS) (Array.isArray(schema[k]) ? schema[k] : []).forEach((s, i) => checkSchema(s, `${where}/${k}/${i}`));
  for (const k of SCHEMA_MAPS) for (const [n, s] of Object.entries(schema[k] ?? {})) checkSchema(s, `${where}/${k}/${pointer(n)}`);
}
// Schemas sit in components.schemas and under every "schema" key (parameters, media types, headers).
function findSchemas(node, where) {
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'schema') checkSchema(v, `${where}/schema`);
    else if (!['example', 'examples', 'default'].includes(k)) findSchemas(v, `${where}/${pointer(k)}`);
  }
}
for (const [n, s] of Object.entries(raw.components?.schemas ?? {})) checkSchema(s, `#/components/schemas/${n}`);
findSchemas(raw.paths, '#/paths');
findSchemas({ ...raw.components, schemas: undefined }, '#/components');

const seen = new Map(); // operationId -> where
let operations = 0;
const paths = raw.paths && typeof raw.paths === 'object' ? raw.paths : {};
for (const [path, item] of Object.entries(paths)) {
  if (!item || typeof item !== 'object') continue;
  const templated = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]));
  const admin = path.startsWith(ADMIN_PREFIX);
  for (const method of METHODS) {
    const op = item[method];
    if (!op) continue;
    operations += 1;
    const where = `${method.toUpperCase()} ${path}`;

    if (!op.operationId) {
      problems.push(`${where}: no operationId`);
    } else if (seen.has(op.operationId)) {
      problems.push(`${where}: operationId "${op.operationId}" is also used by ${seen.get(op.operationId)}`);
    } else {
      seen.set(op.operationId, where);
    }

    const codes = Object.keys(op.responses ?? {});
    if (!codes.some((c) => /^2(\d\d|XX)$/.test(c))) {
      problems.push(`${where}: no 2xx response (has ${codes.join(', ') || 'none'})`);
    }

    // Operation parameters override path-level ones with the same name and location.
    const params = new Map();
    for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolveParam)) {
      params.set(`${p.in}:${p.name}`, p);
    }
    const declared = new Set();
    for (const p of params.values()) {
      if (p.in !== 'path') continue;
      declared.add(p.name);
      if (!templated.has(p.name)) problems.push(`${where}: path parameter "${p.name}" is not in the path`);
      if (p.required !== true) problems.push(`${where}: path parameter "${p.name}" must be required`);
    }
    for (const name of templated) {
      if (!declared.has(name)) problems.push(`${where}: {${name}} has no path parameter`);
    }

    const security = op.security ?? raw.security;
    if (admin && !requiresBearer(security)) {
      problems.push(`${where}: an admin operation must require the bearer security`);
    }
    if (!admin && Array.isArray(security) && security.some((r) => r && Object.hasOwn(r, 'bearer'))) {
      problems.push(`${where}: only admin operations take the bearer security`);
    }
  }
}

if (problems.length > 0) {
  console.error(`openapi: ${file} is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}):`);
  for (const p of problems) console.error(`- ${p.replace(/\n/g, '\n  ')}`);
  process.exit(1);
}
console.log(`openapi: ${Object.keys(paths).length} paths, ${operations} operations valid`);
