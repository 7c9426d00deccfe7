//! The Rust emitter: every document that loads generates a full server crate, and every `.rs` file of it parses
//! with `syn` (the emitter checks its own output too; this is the independent check).
#![no_main]

use fastsocket_codegen_rust::{RustOptions, generate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(api) = fastsocket_fuzz::load_input(data) else {
        return;
    };
    let output = match generate(&api, &RustOptions::default()) {
        Ok(output) => output,
        Err(error) => panic!("a loaded document did not generate: {error}"),
    };
    for file in output.files.iter().filter(|f| f.path.ends_with(".rs")) {
        if let Err(error) = syn::parse_file(&file.contents) {
            panic!("generated {} is not Rust: {error}", file.path);
        }
    }
});
