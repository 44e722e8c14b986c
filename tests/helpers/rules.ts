// Live rules (assembly/fetch/) through host/lib: a configuration with a rulesService, rules
// documents, an injected clock and ticks, and manual callouts answered by the test.
import assert from 'node:assert/strict';
import type { CalloutResponse, HeaderList, PendingCallout, Plugin, PluginOptions } from '../../host/lib/api.ts';
import { header, request } from './routekey.ts';

/** The secret the tests look for in every log line: it must never be there. */
export const TOKEN = 'Bearer s3cr3t-t0ken-never-logged';

export const SERVICE = {
  cluster: 'routekey-rules', authority: 'rules.local', path: '/rules.json', refreshMs: 1000, timeoutMs: 500,
  headers: { authorization: TOKEN },
};

/** A configuration with one inline route (key `dev` → inline.svc) and a rules service. */
export function liveConfig(service: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    key: 'x-env',
    routes: [{ name: 'inline', keys: ['dev'], destination: 'inline.svc' }],
    rulesService: { ...SERVICE, ...service },
    ...extra,
  };
}

/** A rules document: `routes` maps each key to a destination (route name = key). */
export function rulesDoc(version: string, routes: Record<string, string>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version,
    routes: Object.entries(routes).map(([key, destination]) => ({ name: key, keys: [key], destination })),
    ...extra,
  });
}

/** A test clock (host milliseconds). */
export class Clock {
  now = 1_000_000;
  readonly fn = () => this.now;
}

/** Plugin options for deterministic live-rules tests. */
export function manual(clock: Clock, options: Partial<PluginOptions> = {}): Partial<PluginOptions> {
  return { clock: clock.fn, callouts: 'manual', ...options };
}

/** Moves the clock on by `ms` in tick-sized steps, firing the ticks that are due at each. */
export function advance(plugin: Plugin, clock: Clock, ms: number, step = 250): void {
  for (let t = 0; t < ms; t += step) {
    clock.now += Math.min(step, ms - t);
    plugin.tick();
  }
}

/** Where a request with `x-env: key` is sent (its :authority after the filter). */
export function routeOf(plugin: Plugin, key: string): string | undefined {
  const { req } = request(plugin, [[':authority', 'app.local'], [':path', '/'], ['x-env', key]]);
  assert.equal(req.action, 'continue');
  return header(req.headers, ':authority');
}

/** The one pending callout (fails when there is not exactly one). */
export function onlyCallout(plugin: Plugin): PendingCallout {
  const pending = plugin.pendingCallouts();
  assert.equal(pending.length, 1, `one pending callout, got ${pending.length}`);
  return pending[0]!;
}

/** Answers the one pending callout. */
export function answer(plugin: Plugin, response: CalloutResponse | 'reset' | 'timeout') {
  const c = onlyCallout(plugin);
  const d = plugin.deliverCallout(c.token, response, c.vm);
  assert.equal(d.failure, undefined, 'the VM did not fail');
  return d;
}

/** A 200 with a document and an ETag. */
export function ok200(body: string, etag?: string): CalloutResponse {
  const headers: HeaderList = [['content-type', 'application/json']];
  if (etag !== undefined) headers.push(['etag', etag]);
  return { status: 200, headers, body };
}

export function metric(plugin: Plugin, name: string): number {
  return plugin.metrics().find((m) => m.name === `wasmcustom.${name}`)?.value ?? 0;
}

export function warnings(plugin: Plugin): string[] {
  return plugin.logs.filter((l) => l.level === 'warn').map((l) => l.message);
}

/** No log line of the plugin holds the token (or its secret part). */
export function assertTokenNeverLogged(plugin: Plugin): void {
  for (const l of plugin.logs) {
    assert.ok(!l.message.includes('s3cr3t'), `the token leaked into a log line: ${l.message}`);
  }
}
