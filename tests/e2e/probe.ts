// A small real guest for the runner's e2e tests, written in WAT (tests/host/wat.ts) and run by the
// real host, so every outcome the runner handles is one the host actually produces.
//
// Every request:
//   - logs "probe: request (debug)" at debug level (seen only when the level allows it);
//   - logs one info line per callback: "<ctx> request_headers eos=1", "<ctx> request_body 3 eos=0",
//     "<ctx> response_headers eos=0", "<ctx> response_body 12 eos=1", "<ctx> log", "<ctx> done",
//     "<ctx> delete" (plus "<ctx> resumed <n_headers>" after a callout);
//   - with `environment: X`: :authority X.demo, `dispatched: true`, counter
//     routekey.routed.route.X (the UTF-8 bytes of "dév" count as "dev": a byte-exact key);
//   - adds `x-probe-seen: yes` to the response.
// Header `x-probe` picks an outcome:
//   stop            pause, call cluster "default" (GET /probe-callout), resume in the response
//   local           proxy_send_local_response 418 "probe local reply\n", details probe_local
//   fail            trap (unreachable) before touching anything
//   fail-late       route, then trap (fail-open then continues with the rewritten headers)
//   body-local      413 "too much\n" from on_request_body
//   body-stop       StopIterationAndBuffer until the end of the body
//   response-local  502 "replaced\n" from on_response_headers
//   props           log request.*, source.*, destination.* as "name=value" / "name missing"
//   close           proxy_close_stream from on_request_headers

import { compileWat, guest, pairs, Strings } from '../host/wat.ts';

export const ACTIONS = ['stop', 'local', 'fail', 'fail-late', 'body-local', 'body-stop', 'response-local', 'props', 'close'] as const;
export type ProbeAction = (typeof ACTIONS)[number];

const PROPERTIES = [
  'request.path', 'request.host', 'request.method', 'request.scheme', 'request.id', 'request.protocol',
  'request.useragent', 'request.user_agent', 'source.address', 'destination.address',
];

const LINE = 200_000;
const NAME = 210_000;
const METRIC = 211_000;

export async function probeModule(): Promise<Uint8Array> {
  const s = new Strings();
  const code = (a: ProbeAction) => ACTIONS.indexOf(a) + 1;
  const is = (a: ProbeAction) => `(i32.eq (i32.load (call $slot (local.get $ctx))) (i32.const ${code(a)}))`;
  const reply = (status: number, details: string, body: string, header: string) =>
    `(drop (call $proxy_send_local_response (i32.const ${status}) ${s.ref(details)} ${s.ref(body)} ` +
    `${s.ref(pairs([[header, 'yes']]))} (i32.const -1)))`;
  const event = (name: string, size: string, eos: string) => `(call $event (local.get $ctx) ${s.ref(name)} ${size} ${eos})`;
  const prefix = 'routekey.routed.route.';
  const body = `
    (global $cur (mut i32) (i32.const ${LINE}))
    (func $slot (param $ctx i32) (result i32) (i32.add (i32.const 8192) (i32.shl (i32.and (local.get $ctx) (i32.const 255)) (i32.const 2))))
    (func $token_slot (param $t i32) (result i32) (i32.add (i32.const 12288) (i32.shl (i32.and (local.get $t) (i32.const 255)) (i32.const 2))))
    (func $put (param $p i32) (param $n i32)
      (memory.copy (global.get $cur) (local.get $p) (local.get $n))
      (global.set $cur (i32.add (global.get $cur) (local.get $n))))
    (func $put_u32 (param $v i32)
      (local $p i32)
      (local.set $p (i32.const ${LINE - 80}))
      (loop $digits
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
        (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
        (br_if $digits (local.get $v)))
      (call $put (local.get $p) (i32.sub (i32.const ${LINE - 80}) (local.get $p))))
    (func $flush
      (drop (call $proxy_log (i32.const 2) (i32.const ${LINE}) (i32.sub (global.get $cur) (i32.const ${LINE}))))
      (global.set $cur (i32.const ${LINE})))
    ;; "<ctx> <name>[ <size>][ eos=<eos>]"; -1 leaves a part out
    (func $event (param $ctx i32) (param $np i32) (param $nn i32) (param $size i32) (param $eos i32)
      (call $put_u32 (local.get $ctx))
      (call $put ${s.ref(' ')})
      (call $put (local.get $np) (local.get $nn))
      (if (i32.ne (local.get $size) (i32.const -1)) (then (call $put ${s.ref(' ')}) (call $put_u32 (local.get $size))))
      (if (i32.ne (local.get $eos) (i32.const -1)) (then (call $put ${s.ref(' eos=')}) (call $put_u32 (local.get $eos))))
      (call $flush))
    (func $eq (param $a i32) (param $an i32) (param $b i32) (param $bn i32) (result i32)
      (local $i i32)
      (if (i32.ne (local.get $an) (local.get $bn)) (then (return (i32.const 0))))
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $an)))
          (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i))) (i32.load8_u (i32.add (local.get $b) (local.get $i))))
            (then (return (i32.const 0))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
      (i32.const 1))
    ;; the request header's value in the slots; 1 when present
    (func $header (param $kp i32) (param $kn i32) (result i32)
      (i32.eqz (call $proxy_get_header_map_value (i32.const 0) (local.get $kp) (local.get $kn) (i32.const 256) (i32.const 260))))
    (func $action (result i32)
      (local $p i32) (local $n i32)
      (if (i32.eqz (call $header ${s.ref('x-probe')})) (then (return (i32.const 0))))
      (local.set $p (i32.load (i32.const 256)))
      (local.set $n (i32.load (i32.const 260)))
      ${ACTIONS.map((a) => `(if (call $eq (local.get $p) (local.get $n) ${s.ref(a)}) (then (return (i32.const ${code(a)}))))`).join('\n      ')}
      (i32.const 0))
    (func $route
      (local $p i32) (local $n i32)
      (if (i32.eqz (call $header ${s.ref('environment')})) (then (return)))
      (local.set $p (i32.load (i32.const 256)))
      (local.set $n (i32.load (i32.const 260)))
      (if (call $eq (local.get $p) (local.get $n) ${s.ref('dév')})
        (then (local.set $p (i32.const ${s.at('dev').ptr})) (local.set $n (i32.const 3))))
      (memory.copy (i32.const ${NAME}) (local.get $p) (local.get $n))
      (memory.copy (i32.add (i32.const ${NAME}) (local.get $n)) ${s.ref('.demo')})
      (drop (call $proxy_replace_header_map_value (i32.const 0) ${s.ref(':authority')} (i32.const ${NAME}) (i32.add (local.get $n) (i32.const 5))))
      (drop (call $proxy_replace_header_map_value (i32.const 0) ${s.ref('dispatched')} ${s.ref('true')}))
      (memory.copy (i32.const ${METRIC}) ${s.ref(prefix)})
      (memory.copy (i32.const ${METRIC + prefix.length}) (local.get $p) (local.get $n))
      (if (i32.eqz (call $proxy_define_metric (i32.const 0) (i32.const ${METRIC}) (i32.add (local.get $n) (i32.const ${prefix.length})) (i32.const 268)))
        (then (drop (call $proxy_increment_metric (i32.load (i32.const 268)) (i64.const 1))))))
    (func $property (param $pp i32) (param $pn i32) (param $lp i32) (param $ln i32)
      (call $put (local.get $lp) (local.get $ln))
      (if (i32.eqz (call $proxy_get_property (local.get $pp) (local.get $pn) (i32.const 256) (i32.const 260)))
        (then (call $put ${s.ref('=')}) (call $put (i32.load (i32.const 256)) (i32.load (i32.const 260))))
        (else (call $put ${s.ref(' missing')})))
      (call $flush))

    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))

    (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
      (drop (call $proxy_log (i32.const 1) ${s.ref('probe: request (debug)')}))
      ${event('request_headers', '(i32.const -1)', '(local.get $eos)')}
      (i32.store (call $slot (local.get $ctx)) (call $action))
      (if ${is('fail')} (then unreachable))
      (if ${is('local')} (then ${reply(418, 'probe_local', 'probe local reply\n', 'x-probe-local')} (return (i32.const 1))))
      (if ${is('close')} (then (drop (call $proxy_close_stream (i32.const 0))) (return (i32.const 1))))
      (call $route)
      (if ${is('fail-late')} (then unreachable))
      (if ${is('props')} (then
        ${PROPERTIES.map((p) => `(call $property ${s.ref(p.replace('.', '\0'))} ${s.ref(p)})`).join('\n        ')}))
      (if ${is('stop')} (then
        (drop (call $proxy_http_call ${s.ref('default')}
          ${s.ref(pairs([[':method', 'GET'], [':path', '/probe-callout'], [':authority', 'callout.local']]))}
          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 5000) (i32.const 264)))
        (i32.store (call $token_slot (i32.load (i32.const 264))) (local.get $ctx))
        (return (i32.const 1))))
      (i32.const 0))

    (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32) (param $nh i32) (param i32 i32)
      (local $ctx i32)
      (local.set $ctx (i32.load (call $token_slot (local.get $token))))
      (drop (call $proxy_set_effective_context (local.get $ctx)))
      ${event('resumed', '(local.get $nh)', '(i32.const -1)')}
      (drop (call $proxy_continue_stream (i32.const 0))))

    (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
      ${event('request_body', '(local.get $size)', '(local.get $eos)')}
      (if ${is('body-local')} (then ${reply(413, 'probe_body', 'too much\n', 'x-probe-local')} (return (i32.const 1))))
      (if (i32.and ${is('body-stop')} (i32.eqz (local.get $eos))) (then (return (i32.const 1))))
      (i32.const 0))

    (func (export "proxy_on_response_headers") (param $ctx i32) (param $n i32) (param $eos i32) (result i32)
      ${event('response_headers', '(i32.const -1)', '(local.get $eos)')}
      (if ${is('response-local')} (then ${reply(502, 'probe_response', 'replaced\n', 'x-probe-local')} (return (i32.const 1))))
      (drop (call $proxy_add_header_map_value (i32.const 2) ${s.ref('x-probe-seen')} ${s.ref('yes')}))
      (i32.const 0))

    (func (export "proxy_on_response_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
      ${event('response_body', '(local.get $size)', '(local.get $eos)')}
      (i32.const 0))

    (func (export "proxy_on_log") (param $ctx i32) ${event('log', '(i32.const -1)', '(i32.const -1)')})
    (func (export "proxy_on_done") (param $ctx i32) (result i32) ${event('done', '(i32.const -1)', '(i32.const -1)')} (i32.const 1))
    (func (export "proxy_on_delete") (param $ctx i32) ${event('delete', '(i32.const -1)', '(i32.const -1)')})`;
  return guest({ body, strings: s });
}

/** A module that traps in on_request_headers and does nothing else (the failure-policy tests). */
export async function trapModule(): Promise<Uint8Array> {
  return compileWat(`(module
    (memory (export "memory") 1)
    (func (export "malloc") (param i32) (result i32) (i32.const 1024))
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) unreachable))`);
}

/** The `code:` of a wasm filter carrying the module inline (Envoy's local.inline_bytes, base64). */
export function inlineCode(wasm: Uint8Array): string {
  return `{local: {inline_bytes: "${Buffer.from(wasm).toString('base64')}"}}`;
}
