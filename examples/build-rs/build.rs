//! Generates the server for `specs/multi-file/asyncapi.yaml` (options in `fastsocket.toml`) into
//! `$OUT_DIR/fastsocket/generated.rs`. The builder prints `cargo:rerun-if-changed` for `fastsocket.toml`, the
//! document and the three files it reaches through `$ref`, so this script reruns when one of them changes, and
//! only then.

fn main() -> Result<(), fastsocket_gen::BuildError> {
    fastsocket_gen::Builder::from_config("fastsocket.toml")?.generate()?;
    Ok(())
}
