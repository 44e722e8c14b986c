// Types for upstream.mjs (plain JS so that it runs in a bare node container).
import type http from 'node:http';

export interface Upstream {
  name: string;
  server: http.Server;
  address: string;
  port: number;
  close(): Promise<void>;
}

export function startUpstream(options: { name: string; port?: number; host?: string }): Promise<Upstream>;
