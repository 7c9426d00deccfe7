//! The Vue emitter: every document that loads generates a client project whose TypeScript parses — every `.ts`
//! file, and the `<script lang="ts">` blocks of every `.vue` file — with oxc's parser, in process. (Types and
//! templates are checked by `vue-tsc` in `cargo xtask vue` and the corpus gates.)
#![no_main]

use fastsocket_codegen_vue::{VueOptions, generate};
use libfuzzer_sys::fuzz_target;
use oxc_allocator::Allocator;
use oxc_parser::Parser;
use oxc_span::SourceType;

fuzz_target!(|data: &[u8]| {
    let Ok(api) = fastsocket_fuzz::load_input(data) else {
        return;
    };
    let options = VueOptions {
        package_name: "fuzz-client".to_string(),
        mapping: None,
    };
    let output = match generate(&api, &options) {
        Ok(output) => output,
        Err(error) => panic!("a loaded document did not generate: {error}"),
    };
    for file in &output.files {
        if file.path.ends_with(".ts") {
            check(&file.path, &file.contents);
        } else if file.path.ends_with(".vue") {
            for script in fastsocket_fuzz::vue_scripts(&file.contents) {
                check(&file.path, script);
            }
        }
    }
});

fn check(path: &str, source: &str) {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, SourceType::ts()).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        let errors: Vec<String> = parsed.diagnostics.errors().map(|e| e.to_string()).collect();
        panic!("generated {path} is not TypeScript: {errors:?}\n{source}");
    }
}
