// Checks AsyncAPI documents with the AsyncAPI initiative's own parser, independent of the Python that wrote them.
//
//   node tests/asyncapi/validate.mjs FILE...
//
// A document fails on any parser error or warning (a broken $ref, a field the spec does not allow, a
// binding that does not match its schema), and on any message example that does not match the
// message's payload or headers schema: the parser reads examples but, for AsyncAPI 3, does not check them,
// and an example a partner copies must be a valid event. A schema `pattern` that is not a valid
// Unicode-mode ECMAScript regex (what JSON Schema tools compile, e.g. Python's `\-`) fails too, wherever
// it is, bindings included. Exit 0 only when every file passes.
import { readFile } from 'node:fs/promises';

import { Parser, fromFile } from '@asyncapi/parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

// 0 error, 1 warning, 2 information, 3 hint (Spectral's DiagnosticSeverity).
const FAILING = new Set([0, 1]);
const SEVERITY = ['error', 'warning', 'info', 'hint'];

// AsyncAPI Schema is JSON Schema draft-07 plus extensions (x-…) and the parser's own x-parser-… keys.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

function exampleProblems(document) {
  const problems = [];
  for (const message of document.allMessages()) {
    const schemas = { payload: message.payload()?.json(), headers: message.headers()?.json() };
    message.examples().all().forEach((example, i) => {
      for (const part of ['payload', 'headers']) {
        const value = example[part]();
        if (value === undefined || schemas[part] === undefined) continue;
        const validate = ajv.compile(schemas[part]);
        if (!validate(value)) {
          for (const e of validate.errors) {
            problems.push(`error example-${part} at message ${message.id()} example ${i} (${example.name() ?? ''})`
              + ` ${e.instancePath || '/'}: ${e.message}`);
          }
        }
      }
    });
  }
  return problems;
}

function patternProblems(node, path = []) {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => {
    if (key === 'pattern' && typeof value === 'string') {
      try {
        new RegExp(value, 'u');
      } catch (error) {
        return [`error pattern at ${path.join('/')}: ${error.message}`];
      }
      return [];
    }
    return patternProblems(value, [...path, key]);
  });
}

async function check(path) {
  const raw = JSON.parse(await readFile(path, 'utf8'));
  const { document, diagnostics } = await fromFile(new Parser(), path).parse();
  const problems = diagnostics
    .filter((d) => FAILING.has(d.severity))
    .map((d) => `${SEVERITY[d.severity]} ${d.code} at ${d.path.join('/') || '(root)'}: ${d.message}`);
  problems.push(...patternProblems(raw));
  if (document !== undefined) problems.push(...exampleProblems(document));
  else if (problems.length === 0) problems.push('error: the parser returned no document and no diagnostic');
  return problems;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node validate.mjs FILE...');
  process.exit(2);
}
let failed = false;
for (const file of files) {
  let problems;
  try {
    problems = await check(file);
  } catch (error) {
    problems = [`error: ${error.stack ?? error}`];
  }
  if (problems.length === 0) {
    console.log(`ok ${file}`);
  } else {
    failed = true;
    console.log(`FAILED ${file}: ${problems.length} problem(s)`);
    for (const p of problems) console.log(`  ${p}`);
  }
}
process.exit(failed ? 1 : 0);
