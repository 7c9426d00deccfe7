// One Modelina run, as `cargo xtask bench-gen` times it (the whole Node process): the models of an AsyncAPI
// document, written to a folder.
//
//   node modelina.mjs rust DOC OUT        a Cargo package (Cargo.toml, src/lib.rs, one file per model)
//   node modelina.mjs typescript DOC OUT  one .ts file per model
//
// The document is handed over as a file:// URL, so Modelina's own AsyncAPI parser reads it (and its $refs).
// Exit status 1 (with the error on stderr) when Modelina refuses the document.
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import {
  RustFileGenerator,
  TypeScriptFileGenerator,
  defaultRustRenderCompleteModelOptions,
} from '@asyncapi/modelina';

const [language, doc, out] = process.argv.slice(2);
if (!language || !doc || !out) {
  console.error('usage: node modelina.mjs rust|typescript DOC OUT');
  process.exit(2);
}
const input = pathToFileURL(path.resolve(doc)).href;
try {
  let models;
  if (language === 'rust') {
    // A crate of its own (Cargo.toml with serde, src/lib.rs declaring every model), so that it can be checked.
    models = await new RustFileGenerator().generateToPackage(input, path.resolve(out), {
      ...defaultRustRenderCompleteModelOptions,
      package: { ...defaultRustRenderCompleteModelOptions.package, packageName: 'modelina-models' },
    });
  } else if (language === 'typescript') {
    models = await new TypeScriptFileGenerator().generateToFiles(input, path.resolve(out), {
      exportType: 'named',
    });
  } else {
    console.error(`unknown language ${language}`);
    process.exit(2);
  }
  console.log(`${models.length} models`);
} catch (err) {
  console.error(`modelina: ${err?.message ?? err}`);
  process.exit(1);
}
