// Writes schema/routekey.schema.json (JSON Schema draft-07) from the rules in README.md (Configuration),
// mirroring the filter's parser (assembly/config/*.ts) as far as a JSON Schema can:
//   node --import tsx schema/generate.ts          (tests/deploy/schema.test.ts checks it is fresh)
// The regexes are built here from named parts so each rule can be read and checked.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** "host" → "[hH][oO][sS][tT]": the parser lower-cases names (JSON Schema has no /i). */
const anyCase = (s: string) => [...s].map((c) => (/[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : c)).join('');

// ---- header names (assembly/config/headers.ts) ----
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"; // RFC 7230 tchar
const PSEUDO_READ = `:(?:${anyCase('authority')}|${anyCase('path')}|${anyCase('method')})`;
const HOST_NAME = `(?:${anyCase('host')}|:${anyCase('authority')})`;

// ---- destinations (assembly/config/destination.ts) ----
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])'; // no leading zeros
const IPV4 = `(?:${OCTET}\\.){3}${OCTET}`;
const HEX = '[0-9A-Fa-f]{1,4}';
/** a groups, then (b ≥ 0) more; the joined text of n groups is "h:h:…". */
const groups = (n: number) => (n === 0 ? '' : `${HEX}(?::${HEX}){${n - 1}}`);
const upTo = (n: number) => (n === 0 ? '' : `(?:${HEX}(?::${HEX}){0,${n - 1}})?`);
const ipv6Forms: string[] = [
  `(?:${HEX}:){7}${HEX}`, // 8 groups
  `(?:${HEX}:){6}${IPV4}`, // 6 groups + IPv4 (counts as 2)
];
for (let a = 0; a <= 7; a++) ipv6Forms.push(`${groups(a)}::${upTo(7 - a)}`); // "::" stands for ≥ 1 group
for (let a = 0; a <= 5; a++) ipv6Forms.push(`${groups(a)}::(?:${HEX}:){0,${5 - a}}${IPV4}`);
const IPV6 = `\\[(?:${ipv6Forms.join('|')})\\]`;
/** DNS name: labels of 1–63 [A-Za-z0-9-] (no '-' first or last) joined by single dots, ≤ 253 chars, not all digits/dots. */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS = `(?=[A-Za-z0-9.-]{1,253}(?![A-Za-z0-9_.-]))(?=[0-9.]*[A-Za-z-])${LABEL}(?:\\.${LABEL})*`;
const HOST = `(?:${IPV6}|${IPV4}(?![A-Za-z0-9_.-])|${DNS})`;
const PORT = '(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?';
/** Segments not empty, "." or "..", no %2e, %2f, %5c; trailing slashes allowed. */
const SEGMENT = "(?!\\.\\.?(?:/|$))(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@]|%(?!2[eEfF]|5[cC])[0-9A-Fa-f]{2})+";
const PATH = `(?:/${SEGMENT})*/*`;
const SCHEME = `${anyCase('http')}[sS]?://`;
const DESTINATION = `^(?:${SCHEME}${HOST}${PORT}${PATH}|${HOST}${PORT})$`;

const NO_BREAKS = '^[^\\r\\n\\u0000]*$';
/** No C0 control character and no DEL (rulesService fields: assembly/config/service.ts). */
const NO_CONTROLS = '^[^\\u0000-\\u001f\\u007f]*$';
/** Headers the fetcher sets itself or Envoy owns: not allowed in rulesService.headers. */
const RESERVED = ['host', 'if-none-match', 'prefer', 'content-length', 'transfer-encoding', 'connection'].map(anyCase).join('|');

export const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:routekey:config',
  title: 'routekey filter configuration',
  description:
    'The routekey proxy-wasm filter configuration (README.md, Configuration): the native form (key, routes, default, ' +
    'unknownKey, decisionHeader, rulesService, versionHeader) or the original dispatcher form (key, destination, rewrites). The filter\'s own parser is the ' +
    'authority: `npx routekey validate FILE` runs it. Rules this schema cannot express, checked by the parser only: ' +
    'route names unique across routes; a key (or prefix) used by two different routes for one host; at most 16 distinct ' +
    'prefix lengths; duplicate JSON object keys; lengths counted in ' +
    'UTF-8 bytes (the schema counts characters); a non-string patch value is checked as its JSON text; a header name ' +
    'used twice in one requestHeaders (set, add, remove; names are case-insensitive); versionHeader naming the same header ' +
    'as decisionHeader.',
  oneOf: [{ $ref: '#/definitions/native' }, { $ref: '#/definitions/dispatcher' }],
  definitions: {
    keyHeaderName: {
      description: 'A request header a key is read from: token characters, or :authority, :path, :method. Stored lower-cased; Host means :authority.',
      type: 'string',
      pattern: `^(?:${TOKEN}|${PSEUDO_READ})$`,
    },
    setHeaderName: {
      description: 'A header set by the filter: token characters; Host or :authority set the authority. Other pseudo-headers cannot be changed.',
      type: 'string',
      pattern: `^(?:${TOKEN}|${HOST_NAME})$`,
    },
    otherHeaderName: {
      description: 'A header added or removed: token characters, not Host/:authority (the authority can only be set).',
      type: 'string',
      pattern: `^(?!${anyCase('host')}$)${TOKEN}$`,
    },
    responseHeaderName: {
      description: 'A response header name: token characters.',
      type: 'string',
      pattern: `^${TOKEN}$`,
    },
    keySource: {
      description:
        'Where the routing key is read from: exactly one field naming the kind (header; a member of W3C baggage or ' +
        'tracestate; a cookie; a query parameter of :path), and options: lowercase, trim, maxBytes (a longer key is no key).',
      type: 'object',
      properties: {
        header: { $ref: '#/definitions/keyHeaderName' },
        baggage: { description: 'A W3C baggage member key (an RFC 9110 token).', type: 'string', pattern: `^${TOKEN}$` },
        tracestate: {
          description: 'A W3C tracestate key: vendor or tenant@system.',
          type: 'string',
          pattern: '^(?:[a-z][a-z0-9_*/-]{0,255}|[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13})$',
        },
        cookie: { description: 'A cookie name (an RFC 9110 token).', type: 'string', pattern: `^${TOKEN}$` },
        query: { description: 'A query parameter name, compared after percent-decoding.', type: 'string', minLength: 1 },
        lowercase: { description: 'ASCII-lower-case the key.', type: 'boolean' },
        trim: { description: 'Drop spaces and tabs around the key.', type: 'boolean' },
        maxBytes: { description: 'The longest key in bytes (default 4096).', type: 'integer', minimum: 1, maximum: 4096 },
      },
      oneOf: ['header', 'baggage', 'tracestate', 'cookie', 'query'].map((k) => ({ required: [k] })),
      additionalProperties: false,
    },
    key: {
      description: 'A header name, or 1 to 8 key sources tried in order (the first that yields a non-empty key wins).',
      oneOf: [
        { $ref: '#/definitions/keyHeaderName' },
        { type: 'array', minItems: 1, maxItems: 8, items: { $ref: '#/definitions/keySource' } },
      ],
    },
    keyValue: {
      description: 'A routing key: non-empty, at most 4096 UTF-8 bytes, no CR, LF or NUL.',
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      pattern: NO_BREAKS,
    },
    destination: {
      description:
        'host, host:port or http(s)://host[:port][/path]; host is a DNS name, an IPv4 address or [IPv6]; port 1-65535. ' +
        'The scheme is dropped, host[:port] becomes :authority, a non-root path is put in front of :path. ' +
        'No query string, fragment or user-info.',
      type: 'string',
      pattern: DESTINATION,
    },
    headerValue: {
      description: 'An RFC 9110 field-value: at most 8192 UTF-8 bytes, no control character but tab, no leading or trailing space or tab.',
      type: 'string',
      maxLength: 8192,
      pattern: '^(?![ \\t])[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*(?<![ \\t])$',
    },
    authorityValue: {
      description: 'The value of Host/:authority: host[:port] as in a destination.',
      type: 'string',
      pattern: `^${HOST}${PORT}$`,
    },
    requestHeaders: {
      description: 'Applied after the destination\'s :authority: every set, then every add, then every remove, each in document order.',
      type: 'object',
      properties: {
        set: {
          type: 'object',
          propertyNames: { $ref: '#/definitions/setHeaderName' },
          patternProperties: { [`^${HOST_NAME}$`]: { $ref: '#/definitions/authorityValue' } },
          additionalProperties: { $ref: '#/definitions/headerValue' },
        },
        add: {
          type: 'object',
          propertyNames: { $ref: '#/definitions/otherHeaderName' },
          additionalProperties: { $ref: '#/definitions/headerValue' },
        },
        remove: { type: 'array', items: { $ref: '#/definitions/otherHeaderName' } },
      },
      additionalProperties: false,
    },
    responseHeaders: {
      description: 'Applied to the response in on_response_headers, after the decision header: every set, then every add, ' +
        'then every remove. Names are tokens, not content-length or transfer-encoding.',
      type: 'object',
      properties: {
        set: { type: 'object', propertyNames: { $ref: '#/definitions/responseOpName' }, additionalProperties: { $ref: '#/definitions/headerValue' } },
        add: { type: 'object', propertyNames: { $ref: '#/definitions/responseOpName' }, additionalProperties: { $ref: '#/definitions/headerValue' } },
        remove: { type: 'array', items: { $ref: '#/definitions/responseOpName' } },
      },
      additionalProperties: false,
    },
    responseOpName: {
      type: 'string',
      pattern: `^(?!(?:${['content-length', 'transfer-encoding'].map(anyCase).join('|')})$)${TOKEN}$`,
    },
    unknownKey: {
      description: 'What a request whose key is present but matches no route gets (an absent key always gets the default): ' +
        '"default" (the default, or unchanged without one; also when unknownKey is absent), "passthrough" (unchanged), an ' +
        'action of its own (named unknownKey), or a local reply (text/plain; the first {key} in the body is the key, ' +
        'printable ASCII but <>&"\'% kept, every other byte %XX, at most 128 bytes).',
      oneOf: [
        { enum: ['default', 'passthrough'] },
        { $ref: '#/definitions/default' }, // an action of its own: the default's shape
        {
          type: 'object',
          properties: {
            reply: {
              type: 'object',
              properties: {
                status: { type: 'integer', minimum: 200, maximum: 599 },
                body: { type: 'string', maxLength: 1024 },
              },
              required: ['status'],
              additionalProperties: false,
            },
            responseHeaders: { $ref: '#/definitions/responseHeaders' },
          },
          required: ['reply'],
          additionalProperties: false,
        },
      ],
    },
    routeName: {
      description: '1 to 64 of A-Z a-z 0-9 _ -, not "default", "none" or "unknownKey" (they name the fallback decisions). Unique across routes. Optional: a route without one is named after its first key, or its first prefix when it has no keys (which must then be a valid name).',
      type: 'string',
      pattern: '^[A-Za-z0-9_-]{1,64}$',
      not: { enum: ['default', 'none', 'unknownKey'] },
    },
    route: {
      type: 'object',
      properties: {
        name: { $ref: '#/definitions/routeName' },
        keys: { type: 'array', minItems: 1, uniqueItems: true, items: { $ref: '#/definitions/keyValue' } },
        prefixes: {
          description: 'Key prefixes: a key that starts with one selects the route (an exact key first, then the longest prefix). At most 16 distinct prefix lengths (bytes) across all routes.',
          type: 'array', minItems: 1, uniqueItems: true, items: { $ref: '#/definitions/keyValue' },
        },
        hosts: {
          description: 'The hosts the route applies to, as the application sends them in :authority (host or host:port, matched case-insensitively; "svc-a" also matches "svc-a" on any port). Absent: every host. A route for the request\'s host with its port wins over one for the host, which wins over one for every host.',
          type: 'array', minItems: 1, maxItems: 256,
          items: { type: 'string', minLength: 1, pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$' },
        },
        destination: { $ref: '#/definitions/destination' },
        requestHeaders: { $ref: '#/definitions/requestHeaders' },
        responseHeaders: { $ref: '#/definitions/responseHeaders' },
      },
      allOf: [
        { anyOf: [{ required: ['keys'] }, { required: ['prefixes'] }] },
        { anyOf: [{ required: ['destination'] }, { required: ['requestHeaders'] }] },
      ],
      additionalProperties: false,
    },
    default: {
      description: 'Applies to a request whose key is missing, or (unknownKey "default") matches no route.',
      type: 'object',
      properties: {
        destination: { $ref: '#/definitions/destination' },
        requestHeaders: { $ref: '#/definitions/requestHeaders' },
        responseHeaders: { $ref: '#/definitions/responseHeaders' },
      },
      anyOf: [{ required: ['destination'] }, { required: ['requestHeaders'] }],
      additionalProperties: false,
    },
    native: {
      title: 'Native form',
      type: 'object',
      properties: {
        key: { $ref: '#/definitions/key' },
        routes: {
          description: 'At most 100000 routes; names unique, each key in one route only (not expressible here).',
          type: 'array',
          maxItems: 100000,
          items: { $ref: '#/definitions/route' },
        },
        default: { $ref: '#/definitions/default' },
        unknownKey: { $ref: '#/definitions/unknownKey' },
        decisionHeader: { $ref: '#/definitions/responseHeaderName' },
        rulesService: { $ref: '#/definitions/rulesService' },
        versionHeader: {
          description:
            'A response header carrying the version of the rules the request was decided with: a rules document\'s ' +
            '"version", or "inline" for the configuration\'s own routes. Not the same header as decisionHeader.',
          allOf: [{ $ref: '#/definitions/responseHeaderName' }],
        },
      },
      required: ['key'],
      additionalProperties: false,
      anyOf: [
        { required: ['default'] },
        { required: ['routes'], properties: { routes: { type: 'array', minItems: 1 } } },
        { required: ['rulesService'] },
      ],
    },
    rulesService: {
      description:
        'Live rules: a rules document (rules.schema.json) fetched from an Envoy cluster with proxy_http_call every ' +
        'refreshMs, shared by all worker VMs of the proxy (README.md, Live rules). With it, routes and default are optional.',
      type: 'object',
      properties: {
        cluster: { description: 'The Envoy cluster name (Istio: outbound|PORT||HOST).', type: 'string', minLength: 1, maxLength: 1024, pattern: NO_CONTROLS },
        authority: { description: 'The :authority of the request: host or host:port.', type: 'string', pattern: `^${HOST}${PORT}$` },
        path: { description: 'The :path of the request, origin-form.', type: 'string', maxLength: 4096, pattern: '^/[\\u0021-\\u0022\\u0024-\\u007e]*$' },
        refreshMs: { type: 'integer', minimum: 100, maximum: 86400000, default: 5000 },
        timeoutMs: { type: 'integer', minimum: 1, maximum: 60000, default: 2000 },
        maxBytes: { type: 'integer', minimum: 1, maximum: 67108864, default: 16777216 },
        headers: {
          description: 'Extra request headers (e.g. authorization); their values are never logged.',
          type: 'object',
          maxProperties: 32,
          propertyNames: { type: 'string', pattern: `^(?!(?:${RESERVED})$)${TOKEN}$` },
          additionalProperties: { type: 'string', maxLength: 8192, pattern: NO_CONTROLS },
        },
        initial: { description: 'What serves before the first good document.', enum: ['inline', 'passthrough'], default: 'inline' },
        longPollSeconds: { description: 'Send prefer: wait=N and poll again as soon as an answer comes; 0/absent = off.', type: 'integer', minimum: 1, maximum: 300 },
      },
      required: ['cluster', 'authority', 'path'],
      additionalProperties: false,
    },
    patchEntry: {
      type: 'object',
      properties: {
        key: { $ref: '#/definitions/setHeaderName' },
        val: {
          description: 'A scalar; a non-string value is used as its JSON text as written (true → "true", 1.50 → "1.50").',
          oneOf: [{ $ref: '#/definitions/headerValue' }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }],
        },
      },
      required: ['key', 'val'],
      additionalProperties: false,
      if: { properties: { key: { type: 'string', pattern: `^${HOST_NAME}$` } } },
      then: { properties: { val: { $ref: '#/definitions/authorityValue' } } },
    },
    rewrite: {
      type: 'object',
      properties: {
        patch: { type: 'array', items: { $ref: '#/definitions/patchEntry' } },
        destination: { $ref: '#/definitions/destination' },
      },
      additionalProperties: false,
    },
    dispatcher: {
      title: 'Original dispatcher form',
      type: 'object',
      properties: {
        key: { $ref: '#/definitions/keyHeaderName' },
        destination: { $ref: '#/definitions/destination' },
        rewrites: {
          description: 'Routing key value → rewrite. Each value becomes a route named after it, with keys [value].',
          type: 'object',
          maxProperties: 100000,
          propertyNames: { $ref: '#/definitions/keyValue' },
          additionalProperties: { $ref: '#/definitions/rewrite' },
        },
      },
      required: ['key', 'rewrites'],
      additionalProperties: false,
      anyOf: [{ required: ['destination'] }, { properties: { rewrites: { type: 'object', minProperties: 1 } } }],
    },
  },
};

/** A rules document (assembly/config/document.ts): the native form's routes and default, and a version. */
export const rulesSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:routekey:rules',
  title: 'routekey rules document',
  description:
    'What a rules server serves to a routekey filter with a rulesService (README.md, Live rules): a version and the ' +
    'configuration\'s routes and default, read by the same parser. `npx routekey validate FILE` runs it. As for the ' +
    'configuration, route names unique across routes, a key (or prefix) used by two routes for one host, the prefix ' +
    'lengths and duplicate JSON object keys are checked by the parser only.',
  type: 'object',
  properties: {
    version: {
      description: 'Names this rule set in logs and shared data: 1 to 128 printable ASCII characters.',
      type: 'string',
      minLength: 1,
      maxLength: 128,
      pattern: '^[\\u0020-\\u007e]*$',
    },
    routes: schema.definitions.native.properties.routes,
    default: { $ref: '#/definitions/default' },
    unknownKey: { $ref: '#/definitions/unknownKey' },
  },
  required: ['version', 'routes'],
  additionalProperties: false,
  definitions: schema.definitions,
};

export const SCHEMA_PATH = fileURLToPath(new URL('./routekey.schema.json', import.meta.url));
export const RULES_SCHEMA_PATH = fileURLToPath(new URL('./rules.schema.json', import.meta.url));
export const render = () => JSON.stringify(schema, null, 2) + '\n';
export const renderRules = () => JSON.stringify(rulesSchema, null, 2) + '\n';

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  writeFileSync(SCHEMA_PATH, render());
  writeFileSync(RULES_SCHEMA_PATH, renderRules());
  console.log(`wrote ${SCHEMA_PATH} and ${RULES_SCHEMA_PATH}`);
}
