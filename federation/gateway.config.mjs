// Hive Gateway configuration for Rabt's federated sectors.
//
// Loaded by the `hive-gateway` CLI (node_modules/.bin/hive-gateway) through
// `-c federation/gateway.config.mjs`; it must export `gatewayConfig`.
//
// Environment:
//   RABT_GATEWAY_HMAC_SECRET  required: the deployment's secret the gateway signs every
//                       subgraph request with (Hive Gateway's HMAC upstream signature);
//                       each subgraph refuses a request without it (python -m hub gateway
//                       passes the embedded demo's)
//   RABT_SUPERGRAPH     supergraph SDL file written by compose.mjs
//                       (default: federation/supergraph.graphql, beside this file;
//                        a relative path is taken from the current directory)
//   RABT_GATEWAY_HOST   interface to listen on (default: 127.0.0.1)
//   RABT_GATEWAY_PORT   port to listen on (default: 4000)
//
// Caution: the CLI's own flags and env vars (-h/--host, -p/--port, HOST, PORT,
// CONFIG_PATH, POLLING, ...) take precedence over this file. If HOST or PORT is
// set in the environment, it wins over RABT_GATEWAY_HOST/RABT_GATEWAY_PORT; unset
// them (env -u HOST -u PORT ...) or pass --host/--port explicitly.
//
// Start (from the repo root):
//   env -u HOST -u PORT -u CONFIG_PATH -u POLLING \
//     node federation/node_modules/.bin/hive-gateway supergraph -c federation/gateway.config.mjs
// Stop: SIGTERM to that node process (not to an npx/npm-exec wrapper, which
// orphans the gateway); SIGKILL if still alive after ~10 s. See README.md.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@graphql-hive/gateway';

const here = fileURLToPath(new URL('.', import.meta.url));

const supergraph = process.env.RABT_SUPERGRAPH
  ? resolve(process.env.RABT_SUPERGRAPH)
  : resolve(here, 'supergraph.graphql');

const host = process.env.RABT_GATEWAY_HOST || '127.0.0.1';

const port = Number.parseInt(process.env.RABT_GATEWAY_PORT || '4000', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  throw new Error(`RABT_GATEWAY_PORT must be a TCP port, got ${JSON.stringify(process.env.RABT_GATEWAY_PORT)}`);
}

const hmacSecret = process.env.RABT_GATEWAY_HMAC_SECRET;
if (!hmacSecret) {
  throw new Error('RABT_GATEWAY_HMAC_SECRET must be set: the subgraphs answer only requests signed with it');
}

// Client headers that every subgraph must see (names are matched
// case-insensitively; they reach the subgraphs lower-cased).
const FORWARDED_HEADERS = ['authorization', 'x-purpose', 'x-request-id'];

export const gatewayConfig = defineConfig({
  supergraph,
  host,
  port,

  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const out = {};
      for (const name of FORWARDED_HEADERS) {
        const value = request.headers.get(name);
        if (value != null) out[name] = value;
      }
      return out;
    },
  },

  // Only the gateway calls the subgraphs: each request carries an HMAC-SHA256 of its query and
  // variables in extensions["hmac-signature"], which the subgraph checks (hub/web/gateway_signature.py).
  hmacSignature: { secret: hmacSecret },

  // The built-in request-id plugin (on by default) also sends x-request-id to
  // every subgraph: the client's value if given, otherwise a fresh UUID, and
  // echoes it in the response. Keep it explicit.
  requestId: { headerName: 'x-request-id' },

  // Local only: no usage reporting (none is configured unless --hive-* /
  // --apollo-* flags or env are given), no browser playground/landing page.
  graphiql: false,
  landingPage: false,
  disableWebsockets: true,

  // Error handling (verified with Hive Gateway 2.15.1):
  // * GraphQL errors returned by a subgraph pass through with their message,
  //   path (rewritten to the client's query path) and extensions, including
  //   extensions.code; the gateway adds extensions.serviceName (the subgraph
  //   name) and sets code DOWNSTREAM_SERVICE_ERROR only when the subgraph gave
  //   none. Subgraph "locations" are dropped. This holds whether masking is on.
  // * Gateway-internal errors (subgraph unreachable, bad HTTP reply) are masked
  //   as "Unexpected error." / INTERNAL_SERVER_ERROR. Unmasked they read
  //   "connect ECONNREFUSED ..." / SUBREQUEST_HTTP_ERROR and carry the whole
  //   subgraph request body (entity representations) in extensions.request,
  //   so unmask only for debugging: RABT_GATEWAY_UNMASK_ERRORS=1.
  maskedErrors: process.env.RABT_GATEWAY_UNMASK_ERRORS !== '1',

  logging: process.env.RABT_GATEWAY_LOG_LEVEL || 'info',
});
