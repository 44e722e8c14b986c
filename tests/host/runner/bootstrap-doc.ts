// A minimal Envoy bootstrap as a plain object, for the runner's unit tests (tests/host/runner/):
// each test edits a copy to the case it reads. Also where the repository is, for the shipped files.

import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { BootstrapError, readBootstrap } from '../../../host/runner/bootstrap.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const WASM = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** A minimal valid bootstrap as a plain object; `edit` changes it before reading. */
export function doc(edit: (d: any) => void = () => {}): any {
  const d: any = {
    static_resources: {
      listeners: [{
        name: 'main',
        address: { socket_address: { address: '0.0.0.0', port_value: 10000 } },
        filter_chains: [{
          filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: 'ingress_http',
              route_config: {
                name: 'local',
                virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'default' } }] }],
              },
              http_filters: [
                {
                  name: 'envoy.filters.http.wasm',
                  typed_config: {
                    '@type': WASM,
                    config: {
                      name: 'routekey',
                      root_id: 'routekey',
                      configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: '{"key":"x"}' },
                      vm_config: { runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: '/etc/envoy/routekey.wasm' } } },
                    },
                  },
                },
                { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } },
              ],
            },
          }],
        }],
      }],
      clusters: [{
        name: 'default',
        type: 'STRICT_DNS',
        connect_timeout: '0.25s',
        load_assignment: {
          cluster_name: 'default',
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'upstream-default', port_value: 8080 } } } }] }],
        },
      }],
    },
    admin: { address: { socket_address: { address: '0.0.0.0', port_value: 9901 } } },
  };
  edit(d);
  return d;
}
export const hcm = (d: any) => d.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
export const wasmConfig = (d: any) => hcm(d).http_filters[0].typed_config.config;

export function refused(d: any, pattern: RegExp) {
  assert.throws(() => readBootstrap(d), (e: unknown) => {
    assert.ok(e instanceof BootstrapError, `expected a BootstrapError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}
