#!/usr/bin/env node
// A demo upstream with no dependencies: answers every request with JSON saying who it is and what
// it received. Runs as `node upstream.mjs --name dev --port 8080 [--host 0.0.0.0]` (also in a
// node:20-alpine container), as `routekey upstream --name dev --port 8080` (host/app/cli.ts; it
// listens on 127.0.0.1 unless --host says otherwise) or in-process through startUpstream().
//
//   {"upstream": "dev", "method": "GET", "path": "/hello", "headers": {...}, "bodyBytes": 0}

import http from 'node:http';
import { pathToFileURL } from 'node:url';

/**
 * Starts one upstream; port 0 picks a free one.
 * @param {{ name: string, port?: number, host?: string }} options
 * @returns {Promise<{ name: string, server: http.Server, address: string, port: number, close: () => Promise<void> }>}
 */
export function startUpstream({ name, port = 0, host = '127.0.0.1' }) {
  const server = http.createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (chunk) => {
      bodyBytes += chunk.length;
    });
    req.on('end', () => {
      const body = JSON.stringify({ upstream: name, method: req.method, path: req.url, headers: req.headers, bodyBytes }) + '\n';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-upstream': name });
      res.end(body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve({
        name,
        server,
        address: a.address,
        port: a.port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function parseArgs(argv) {
  const opts = { name: 'upstream', port: 8080, host: '0.0.0.0' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--name') opts.name = value();
    else if (a === '--port') opts.port = Number(value());
    else if (a === '--host') opts.host = value();
    else if (a === '--help' || a === '-h') {
      console.log('usage: node upstream.mjs --name NAME [--port 8080] [--host 0.0.0.0]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('--port: expected 0-65535');
  return opts;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`upstream: ${e.message}`);
    process.exit(2);
  }
  const up = await startUpstream(opts);
  console.log(`upstream ${up.name} listening on ${up.address}:${up.port}`);
  const stop = () => up.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
