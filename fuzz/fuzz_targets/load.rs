//! The YAML/JSON loader and the `$ref` resolver: one to four files (see `fastsocket_fuzz::split`), loaded with
//! their folder as the `$ref` root. Any input: no panic, no read outside the root, located diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fastsocket_fuzz::load_input(data);
});
