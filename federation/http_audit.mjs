#!/usr/bin/env node
// The GraphQL-over-HTTP spec's own audit suite, run against one GraphQL endpoint.
//
// Usage:
//   node federation/http_audit.mjs URL
//
// URL is the endpoint's full address (e.g. http://127.0.0.1:8000/graphql). The
// audits are graphql-http's `serverAudits` (the package pinned in package.json,
// by the spec's editor); each sends its own request with Node's fetch. They run
// one after another, so the server never sees more than one at a time.
//
// Prints one JSON line per audit, in the suite's order, on stdout:
//   {"id": "4655", "name": "MUST accept application/json and match the content-type",
//    "status": "ok" | "warn" | "error" | "notice", "reason": null | "...",
//    "response": null | {"status": 415, "contentType": "...", "body": "first 300 characters"}}
// `name` starts with the spec's MUST, SHOULD or MAY. graphql-http's statuses: a
// failed MUST is "error", a failed SHOULD "warn", a failed MAY "notice". An audit
// that could not be run at all (the server unreachable, a broken answer) is
// "error" whatever its level, its reason starting "fatal: ".
//
// Exit codes:
//   0  every audit ran and its line was printed (whatever the results)
//   2  usage error

import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (process.argv.length !== 3 || !/^https?:\/\//.test(url)) {
  console.error('usage: node federation/http_audit.mjs URL');
  process.exit(2);
}

async function described(response) {
  if (!response) return null;
  let body;
  try {
    body = (await response.clone().text()).slice(0, 300);
  } catch {
    body = '(body already read)';
  }
  return { status: response.status, contentType: response.headers.get('content-type'), body };
}

for (const { id, name, fn } of serverAudits({ url })) {
  let line;
  try {
    const result = await fn();
    const response = result.status === 'ok' ? null : await described(result.response);
    line = { id, name, status: result.status, reason: result.reason ?? null, response };
  } catch (error) {
    line = { id, name, status: 'error', reason: `fatal: ${error?.message ?? error}`, response: null };
  }
  console.log(JSON.stringify(line));
}
