#!/usr/bin/env node
// Compose Apollo Federation v2 subgraph SDLs into a supergraph SDL, offline.
//
// Usage:
//   node federation/compose.mjs [--in-place] OUT.graphql name1=url1=path/to/sdl1.graphql [name2=url2=path2 ...]
//
// Each subgraph argument is NAME=URL=SDL_PATH. NAME is everything before the
// first "=", SDL_PATH everything after the last "=", URL what lies between (so a
// URL may itself contain "="). URL is the routing URL written into the
// supergraph (join__graph(url: ...)); it is not contacted.
//
// Exit codes:
//   0  composed; OUT written; one summary line on stdout
//   1  composition failed (or an SDL could not be read/parsed); each error as
//      "composition error [CODE]: message" on stderr; OUT left untouched
//   2  usage error
//
// OUT is written to a temporary file and renamed over OUT (readers never see
// a half-written file). A running Hive Gateway watching OUT reloads once on
// such a rename and then STOPS watching (2.15.1: "Supergraph file was renamed").
// With --in-place, OUT is overwritten in place instead, which the gateway's
// watcher follows indefinitely; or simply restart the gateway after composing.
//
// Composition hints are counted in the summary; set RABT_COMPOSE_HINTS=1 to
// also print them ("composition hint [CODE]: message") on stderr.

import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { composeServices } from '@apollo/composition';
import {
  parse,
  isObjectType,
  isInterfaceType,
  isInputObjectType,
  isIntrospectionType,
  isSpecifiedScalarType,
} from 'graphql';

const USAGE =
  'usage: node federation/compose.mjs [--in-place] OUT.graphql name1=url1=path/to/sdl1.graphql [name2=url2=path2 ...]';

function usage(msg) {
  if (msg) process.stderr.write(`compose: ${msg}\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

function parseSubgraphArg(arg) {
  const first = arg.indexOf('=');
  const last = arg.lastIndexOf('=');
  if (first <= 0 || last === first || last === arg.length - 1) {
    usage(`bad subgraph argument ${JSON.stringify(arg)} (want NAME=URL=SDL_PATH)`);
  }
  const name = arg.slice(0, first);
  const url = arg.slice(first + 1, last);
  const path = arg.slice(last + 1);
  if (!url) usage(`empty URL in ${JSON.stringify(arg)}`);
  return { name, url, path };
}

function oneLine(s) {
  return String(s).replace(/\s*\n\s*/g, ' ').trim();
}

function codeOf(err) {
  return (err && err.extensions && err.extensions.code) || 'UNKNOWN';
}

function main(argv) {
  if (argv.length === 1 && (argv[0] === '-h' || argv[0] === '--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let inPlace = false;
  if (argv[0] === '--in-place') {
    inPlace = true;
    argv = argv.slice(1);
  }
  if (argv.length < 2) usage('need OUT and at least one subgraph');
  if (argv[0].startsWith('-')) usage(`unknown option ${argv[0]}`);
  const [out, ...specs] = argv;
  const subgraphs = specs.map(parseSubgraphArg);

  const seen = new Set();
  for (const { name } of subgraphs) {
    if (seen.has(name)) usage(`duplicate subgraph name ${JSON.stringify(name)}`);
    seen.add(name);
  }

  const services = [];
  let loadFailed = false;
  for (const { name, url, path } of subgraphs) {
    let text;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      process.stderr.write(`composition error [SDL_READ_FAILED]: [${name}] cannot read ${path}: ${e.message}\n`);
      loadFailed = true;
      continue;
    }
    try {
      services.push({ name, url, typeDefs: parse(text) });
    } catch (e) {
      process.stderr.write(`composition error [INVALID_GRAPHQL]: [${name}] ${path}: ${oneLine(e.message)}\n`);
      loadFailed = true;
    }
  }
  if (loadFailed) return 1;

  const result = composeServices(services);
  if (result.errors) {
    for (const err of result.errors) {
      process.stderr.write(`composition error [${codeOf(err)}]: ${oneLine(err.message)}\n`);
    }
    process.stderr.write(`compose: failed with ${result.errors.length} error(s)\n`);
    return 1;
  }

  const hints = result.hints || [];
  if (process.env.RABT_COMPOSE_HINTS === '1') {
    for (const h of hints) {
      const code = (h.definition && h.definition.code) || 'HINT';
      process.stderr.write(`composition hint [${code}]: ${oneLine(h.message)}\n`);
    }
  }

  // Count named types/fields of the client-facing API schema (no join__/link__
  // machinery, no introspection types, no built-in scalars).
  let types = 0;
  let fields = 0;
  try {
    const api = result.schema.toAPISchema().toGraphQLJSSchema();
    for (const t of Object.values(api.getTypeMap())) {
      if (isIntrospectionType(t) || isSpecifiedScalarType(t)) continue;
      types += 1;
      if (isObjectType(t) || isInterfaceType(t) || isInputObjectType(t)) {
        fields += Object.keys(t.getFields()).length;
      }
    }
  } catch (e) {
    types = fields = NaN;
  }

  const sdl = result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`;
  if (inPlace) {
    writeFileSync(out, sdl);
  } else {
    const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
    writeFileSync(tmp, sdl);
    renameSync(tmp, out);
  }

  process.stdout.write(
    `composed ${services.length} subgraph(s) (${services.map((s) => s.name).join(', ')}) -> ${out}: ` +
      `API schema has ${types} types, ${fields} fields; ${hints.length} hint(s)\n`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
