// Valid starting points for the mutations: configurations in the native form, the original
// dispatcher form and with a rulesService (from README.md, tests/ and envoy/envoy.yaml), and rules
// documents. Each is accepted by the filter (tests/fuzz.test.ts checks that).

type Json = unknown;

export const NATIVE: Json[] = [
  {
    key: 'x-env',
    routes: [
      { name: 'dev', keys: ['dev', 'development'], destination: 'dev.svc:8080',
        requestHeaders: { set: { 'x-sandbox': 'dev' }, add: { 'x-trace': '1' }, remove: ['x-debug'] } },
      { name: 'pr-42', keys: ['pr-42'], destination: 'http://pr-42.svc:8080/api' },
    ],
    default: { destination: 'baseline.svc:8080' },
    decisionHeader: 'x-routekey-route',
  },
  {
    key: [{ header: 'x-sandbox' }, { header: 'x-env' }],
    routes: [
      { name: 'a', keys: ['a'], requestHeaders: { set: { Host: 'a.example', 'x-a': 'v' }, remove: ['x-debug'] } },
      { name: 'v6', keys: ['b'], destination: 'http://[::1]:9000/p/' },
      { name: 'ip', keys: ['c'], destination: 'https://10.0.0.1:8443' },
    ],
    default: { requestHeaders: { add: { 'x-a': '1' } } },
  },
  { key: ':authority', routes: [{ name: 'a', keys: ['a'], destination: 'a.svc' }], decisionHeader: 'X-Route' },
  {
    key: [{ baggage: 'routing-key' }],
    routes: [
      { name: 'cart-alice', keys: ['alice'], hosts: ['cart', 'cart.shop.svc.cluster.local:8080'], destination: 'cart-alice:8080' },
      { name: 'cart-pr', prefixes: ['pr-'], hosts: ['CART'], destination: 'cart-pr:8080' },
      { name: 'trace', keys: ['alice'], prefixes: ['pr-1'], requestHeaders: { set: { 'x-trace': '1' } } },
    ],
  },
];

export const ORIGINAL: Json[] = [
  {
    key: 'environment', destination: 'http://example.org',
    rewrites: { dev: { patch: [{ key: 'Host', val: 'example.com' }, { key: 'dispatched', val: true }], destination: 'http://example.com' } },
  },
  { key: 'environment', rewrites: { 'team.a/b': { patch: [{ key: 'x-n', val: 1.5 }] }, qa: { destination: 'qa.svc:81' } } },
];

export const SERVICE = {
  cluster: 'routekey-rules', authority: 'rules.local', path: '/rules.json', refreshMs: 1000, timeoutMs: 500,
};

export const LIVE: Json[] = [
  {
    key: 'environment',
    routes: [{ name: 'dev', keys: ['dev'], destination: 'http://dev.demo', requestHeaders: { set: { dispatched: 'true' } } }],
    default: { destination: 'http://default.demo' },
    rulesService: { ...SERVICE, initial: 'inline', longPollSeconds: 30, headers: { authorization: 'Bearer x' } },
  },
  { key: 'x-env', rulesService: { ...SERVICE, maxBytes: 65536, initial: 'passthrough' } },
];

export const CONFIGS: Json[] = [...NATIVE, ...ORIGINAL, ...LIVE];

export const DOCS: Json[] = [
  { version: 'v1', routes: [{ name: 'pr-42', keys: ['pr-42'], destination: 'pr-42.svc:8080' }], default: { destination: 'baseline.svc:8080' } },
  {
    version: '2026-12-01.7',
    routes: [
      { name: 'dev', keys: ['dev', 'd'], destination: 'http://dev.svc/api', requestHeaders: { set: { 'x-s': 'dev' }, add: { 'x-t': '1' } } },
      { name: 'h', keys: ['h'], requestHeaders: { set: { host: 'h.example:8080' } } },
      { name: 'h-a', keys: ['h'], hosts: ['app.local'], destination: 'h-a.svc' },
      { prefixes: ['pr-'], hosts: ['app.local'], destination: 'pr.svc' },
    ],
  },
];

/** The configuration the live-rules cases start with (manual callouts, one worker). */
export const LIVE_BASE = { key: 'x-env', routes: [{ name: 'inline', keys: ['dev'], destination: 'inline.svc' }], rulesService: SERVICE };
