// One @asyncapi/generator run, as `cargo xtask bench-gen` times it (the whole Node process): the generator's
// baked-in JavaScript WebSocket client template (`core-template-client-websocket-javascript`) on a document.
//
//   node generator.mjs DOC OUT
//
// The template requires the name of one of the document's servers (its `server` parameter): the first one, in
// document order. Exit status 1 (with the error on stderr) when the document has none or the generator refuses it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import Generator from '@asyncapi/generator';

const TEMPLATE = 'core-template-client-websocket-javascript';
const [doc, out] = process.argv.slice(2);
if (!doc || !out) {
  console.error('usage: node generator.mjs DOC OUT');
  process.exit(2);
}
try {
  const text = await readFile(doc, 'utf8');
  const server = Object.keys(yaml.load(text)?.servers ?? {})[0];
  if (!server) {
    throw new Error(`${TEMPLATE} needs a server (its \`server\` parameter) and the document declares none`);
  }
  const generator = new Generator(TEMPLATE, path.resolve(out), {
    templateParams: { server },
    forceWrite: true,
  });
  await generator.generateFromFile(path.resolve(doc));
  console.log(`${TEMPLATE}, server ${server}`);
} catch (err) {
  console.error(`generator: ${err?.message ?? err}`);
  process.exit(1);
}
