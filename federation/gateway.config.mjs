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
//   RABT_GATEWAY_TRUSTED_PROXIES  comma-separated proxies (addresses or CIDR networks) in front
//                       of the gateway whose X-Forwarded-For is believed (default: none)
//   RABT_GATEWAY_METRICS_FROM  comma-separated address prefixes whose direct requests may
//                       read GET /metrics (default: loopback only, "127.,::1,::ffff:127.")
//   OPENTELEMETRY       the CLI's own: an OTLP/HTTP endpoint to send the gateway's spans to
//                       (e.g. http://collector:4318/v1/traces); unset, the gateway makes
//                       none, and sends every subgraph the caller's W3C trace, checked
//   RABT_GATEWAY_PLANNER  query planner: `rust` (default; @graphql-hive/router-runtime, the
//                       Hive Router's planner as a native module) or `js` (the gateway's own);
//                       docs/performance.md has the two measured side by side
//   RABT_GATEWAY_SUBGRAPH_TIMEOUT  seconds the gateway waits for one subgraph call (default: 5);
//                       past it, or when the subgraph cannot be reached, its fields are null
//                       with SECTOR_UNAVAILABLE (SERVICE_UNAVAILABLE, HTTP 503, for identity)
//   RABT_RETRY_AFTER    seconds a 503's Retry-After asks for (default: 5)
//
// Caution: the CLI's own flags and env vars (-h/--host, -p/--port, HOST, PORT,
// CONFIG_PATH, POLLING, ...) take precedence over this file. If HOST or PORT is
// set in the environment, it wins over RABT_GATEWAY_HOST/RABT_GATEWAY_PORT; unset
// them (env -u HOST -u PORT ...) or pass --host/--port explicitly.
//
// Start (from the repo root):
//   env -u HOST -u PORT -u CONFIG_PATH -u POLLING \
//     node --max-old-space-size=192 federation/node_modules/.bin/hive-gateway supergraph -c federation/gateway.config.mjs
// Stop: SIGTERM to that node process (not to an npx/npm-exec wrapper, which
// orphans the gateway); SIGKILL if still alive after ~10 s. See README.md.

import { createHmac } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@graphql-hive/gateway';
// Dependencies of @graphql-hive/gateway, pinned with it by package-lock.json.
import { register } from 'prom-client';
import { TraceState } from '@opentelemetry/core';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

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

// The client's address, which the subgraphs' per-client rate limits count by. The peer of the
// connection is the client unless it is a trusted proxy; behind trusted proxies it is the last
// X-Forwarded-For hop that is not itself trusted (hops left of it may be the client's own words).
// The same rule as the hub's (hub/web/client_address.py).
const trustedProxies = new BlockList();
for (const entry of (process.env.RABT_GATEWAY_TRUSTED_PROXIES || '').split(',').map((s) => s.trim()).filter(Boolean)) {
  const [address, prefix] = entry.split('/');
  const family = isIP(address) === 6 ? 'ipv6' : isIP(address) === 4 ? 'ipv4' : null;
  if (family === null) throw new Error(`RABT_GATEWAY_TRUSTED_PROXIES: not an address or network: ${entry}`);
  if (prefix === undefined) trustedProxies.addAddress(address, family);
  else trustedProxies.addSubnet(address, Number.parseInt(prefix, 10), family);
}

function plainAddress(address) {
  // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
  return typeof address === 'string' && address.startsWith('::ffff:') && isIP(address.slice(7)) === 4
    ? address.slice(7)
    : address;
}

function isTrusted(address) {
  const family = isIP(address);
  return family !== 0 && trustedProxies.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

function clientAddress(context, request) {
  const peer = plainAddress(context?.req?.socket?.remoteAddress);
  if (!peer || isIP(peer) === 0) return null;
  if (!isTrusted(peer)) return peer;
  const hops = (request.headers.get('x-forwarded-for') || '').split(',').map((s) => plainAddress(s.trim()));
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    if (!isTrusted(hops[i])) return isIP(hops[i]) !== 0 ? hops[i] : peer;
  }
  return isIP(hops[0]) !== 0 ? hops[0] : peer;
}

// The subgraphs believe the address only with this signature (hub/web/gateway_signature.py
// `client_signature`): HMAC-SHA256 under the gateway's secret of a line that names what it is,
// the address and the time, so a captured header is worthless after a minute.
function clientHeaders(address) {
  const time = Math.floor(Date.now() / 1000).toString();
  const signature = createHmac('sha256', hmacSecret)
    .update(`rabt-client-address\n${address}\n${time}`)
    .digest('base64');
  return { 'x-rabt-client-address': address, 'x-rabt-client-signature': `t=${time},v1=${signature}` };
}
// The caller's W3C trace context must reach the subgraphs whether or not spans are exported. With
// an exporter (OPENTELEMETRY or --opentelemetry, or Hive Tracing's HIVE_TRACE_ACCESS_TOKEN), the
// CLI sets OpenTelemetry up and its plugin continues the caller's trace through the gateway's own
// spans. Without one, the gateway makes no span (made and dropped, they cost it about a third of
// its CPU a request: docs/performance.md) and sends each subgraph call the caller's trace when it
// sent a valid version-00 `traceparent`, sampled as the plugin's always-on sampler made it, with the
// caller's `tracestate` cleaned as the plugin cleaned it (members W3C allows, 32 at most): nothing
// the caller wrote reaches the subgraphs unchecked. Without a caller's trace it sends none: one
// made for every request read the 100-person query at 0.21 ÷R against 0.26 without (`./dev bench
// --shape federated`, a fresh database each), and the request id (x-request-id, the caller's or
// the gateway's own) already names one request in every subgraph's lines.
const tracing =
  Boolean(process.env.OPENTELEMETRY || process.env.HIVE_TRACE_ACCESS_TOKEN) ||
  process.argv.some((arg) => arg === '--opentelemetry' || arg.startsWith('--opentelemetry='));

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ALL_ZEROS = /^0+$/;

export function traceHeaders(request) {
  const given = TRACEPARENT.exec(request.headers.get('traceparent') || '');
  if (given === null || ALL_ZEROS.test(given[1]) || ALL_ZEROS.test(given[2])) return {};
  const found = { traceparent: `00-${given[1]}-${given[2]}-01` };
  const state = new TraceState(request.headers.get('tracestate') || '').serialize();
  if (state) found.tracestate = state;
  return found;
}

const metricsFrom = (process.env.RABT_GATEWAY_METRICS_FROM || '127.,::1,::ffff:127.')
  .split(',')
  .map((prefix) => prefix.trim())
  .filter(Boolean);

// GET /metrics for the peers of RABT_GATEWAY_METRICS_FROM connecting directly (a request with
// X-Forwarded-For or Forwarded came through a proxy): everyone else gets a 404, as from the hub.
const metricsEndpoint = {
  onRequest({ url, request, serverContext, fetchAPI, endResponse }) {
    if (url.pathname !== '/metrics') return undefined;
    const peer = serverContext?.req?.socket?.remoteAddress ?? '';
    const proxied = request.headers.has('x-forwarded-for') || request.headers.has('forwarded');
    if (proxied || !metricsFrom.some((prefix) => peer === prefix || peer.startsWith(prefix))) {
      endResponse(new fetchAPI.Response('Not Found', { status: 404 }));
      return undefined;
    }
    return register.metrics().then((text) => {
      endResponse(new fetchAPI.Response(text, { headers: { 'content-type': register.contentType } }));
    });
  },
};

const subgraphTimeout = Number.parseFloat(process.env.RABT_GATEWAY_SUBGRAPH_TIMEOUT || '5');
if (!(subgraphTimeout > 0)) {
  throw new Error(`RABT_GATEWAY_SUBGRAPH_TIMEOUT must be a number of seconds, got ${process.env.RABT_GATEWAY_SUBGRAPH_TIMEOUT}`);
}
const retryAfter = String(Number.parseInt(process.env.RABT_RETRY_AFTER || '5', 10) || 5);

// Codes a subgraph of Rabt answers with are the hub's own and pass through; these are the
// gateway's, for a subgraph it could not reach or that did not answer as a GraphQL server.
const GATEWAY_CODES = new Set([
  undefined,
  'DOWNSTREAM_SERVICE_ERROR',
  'SUBREQUEST_HTTP_ERROR',
  'GATEWAY_TIMEOUT',
  'INTERNAL_SERVER_ERROR',
  'UNEXPECTED_ERROR',
]);

// The same codes the all-in-one hub gives: a sector that cannot answer is null with
// SECTOR_UNAVAILABLE, its name and retryable; identity that cannot answer is a 503.
function unavailable(subgraphName) {
  if (subgraphName === 'identity') {
    return {
      message: 'The identity registry cannot answer now; try again shortly.',
      extensions: {
        code: 'SERVICE_UNAVAILABLE',
        retryable: true,
        http: { status: 503, headers: { 'retry-after': retryAfter } },
      },
    };
  }
  return {
    message: `The ${subgraphName} sector cannot answer now; try again shortly.`,
    extensions: { code: 'SECTOR_UNAVAILABLE', sector: subgraphName, retryable: true },
  };
}

function saysUnavailable(result, subgraphName) {
  if (result == null || typeof result !== 'object' || Symbol.asyncIterator in result) return result;
  const errors = result.errors || [];
  const lost = errors.some((error) => GATEWAY_CODES.has(error?.extensions?.code));
  if (!lost) return result;
  return { data: null, errors: [unavailable(subgraphName)] };
}

// Each subgraph call within its budget; a subgraph down, slow or answering garbage reads as the
// hub's own outage codes rather than the gateway's "Unexpected error.".
const sectorOutages = {
  onSubgraphExecute({ subgraphName, executor, setExecutor }) {
    setExecutor(async (request) => {
      const budget = AbortSignal.timeout(subgraphTimeout * 1000);
      const signal = request.signal ? AbortSignal.any([request.signal, budget]) : budget;
      let timer;
      const expired = new Promise((resolve) => {
        timer = setTimeout(() => resolve({ data: null, errors: [unavailable(subgraphName)] }), subgraphTimeout * 1000);
      });
      try {
        const result = await Promise.race([executor({ ...request, signal }), expired]);
        return saysUnavailable(result, subgraphName);
      } catch {
        return { data: null, errors: [unavailable(subgraphName)] };
      } finally {
        clearTimeout(timer);
      }
    });
  },
};

// Client headers that every subgraph must see (names are matched
// case-insensitively; they reach the subgraphs lower-cased).
const FORWARDED_HEADERS = ['authorization', 'x-purpose', 'x-on-behalf-of', 'x-request-id'];

const planner = process.env.RABT_GATEWAY_PLANNER || 'rust';
if (planner !== 'rust' && planner !== 'js') {
  throw new Error(`RABT_GATEWAY_PLANNER must be rust or js, got ${JSON.stringify(planner)}`);
}

export const gatewayConfig = defineConfig({
  supergraph,
  host,
  port,
  ...(planner === 'rust' ? { unifiedGraphHandler } : {}),

  propagateHeaders: {
    fromClientToSubgraphs({ request, context }) {
      // Without a known address no header is sent, and the subgraphs refuse the request.
      const address = clientAddress(context, request);
      const out = address === null ? {} : clientHeaders(address);
      for (const name of FORWARDED_HEADERS) {
        const value = request.headers.get(name);
        if (value != null) out[name] = value;
      }
      return tracing ? out : { ...out, ...traceHeaders(request) };
    },
  },

  // Only the gateway calls the subgraphs: each request carries an HMAC-SHA256 of its query and
  // variables in extensions["hmac-signature"], which the subgraph checks (hub/web/gateway_signature.py).
  hmacSignature: { secret: hmacSecret },

  // The built-in request-id plugin (on by default) also sends x-request-id to
  // every subgraph: the client's value if given, otherwise a fresh UUID, and
  // echoes it in the response. Keep it explicit.
  requestId: { headerName: 'x-request-id' },

  // Prometheus metrics (graphql_envelop_*, graphql_gateway_* per subgraph), served by
  // `metricsEndpoint` above rather than the plugin's own open route. The HTTP histogram is off: its
  // `url` label would hold a GET request's query string, variables (people's IDs) included.
  prometheus: { metrics: { graphql_yoga_http_duration: false }, endpoint: false },
  plugins: () => [metricsEndpoint, sectorOutages],

  // With an exporter, OpenTelemetry: a span per request, per phase and per subgraph call; the
  // caller's traceparent is continued and sent on to every subgraph (inheritContext,
  // propagateContext: both on by default).
  ...(tracing ? { openTelemetry: { traces: true } } : {}),

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
