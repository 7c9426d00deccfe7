//! IR → Rust. Reads only [`fastsocket_ir::Api`] and returns the files of a Cargo crate: validated models for every
//! payload, header and acknowledgement schema, a validator per schema, and round-trip tests of the spec's examples.
//!
//! Rust is built with `quote!` and formatted with `prettyplease`: no string-built code, no rustfmt needed. Output is
//! deterministic (ids and names come from the IR in document order).
#![deny(missing_docs)]

mod docs;
mod examples;
mod kinds;
mod models;
mod server;
mod user_files;
mod validators;

pub use fastsocket_ir::socketio::Mapping;

use fastsocket_ir::Api;
use proc_macro2::TokenStream;
use quote::quote;

/// Where generated crates find the `fastsocket` runtime crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeDependency {
    /// A path dependency (the runtime is not published yet).
    Path(String),
    /// A version requirement on crates.io.
    Version(String),
}

/// Options of the Rust emitter.
#[derive(Debug, Clone)]
pub struct RustOptions {
    /// The package name of the generated crate.
    pub crate_name: String,
    /// How the generated crate depends on the runtime crate.
    pub runtime: RuntimeDependency,
    /// Generate the Socket.IO server (handler traits, emitters, `main`), not only the models.
    pub server: bool,
    /// How channels become namespaces and events (`None`: chosen from the document, see [`Mapping::detect`]).
    pub mapping: Option<Mapping>,
}

pub use fastsocket_ir::output::{Output, OutputFile, Owner};

/// Why generation failed: a bug in the emitter, never the document's fault (which the loader reports).
#[derive(Debug, thiserror::Error)]
#[error(
    "internal error: generated {file} is not valid Rust ({reason}); please report this with the spec"
)]
pub struct EmitError {
    /// The file.
    pub file: String,
    /// The parser's complaint.
    pub reason: String,
}

/// Generates the crate for a document.
pub fn generate(api: &Api, options: &RustOptions) -> Result<Output, EmitError> {
    let map = kinds::TypeMap::new(api);
    let mut output = Output::default();
    let (mapping, mapping_reason) = match options.mapping {
        Some(m) => (m, "chosen with --mapping"),
        None => Mapping::detect(api),
    };
    let namespaces = if options.server {
        let (namespaces, notes) = fastsocket_ir::socketio::namespaces(api, mapping);
        output.warnings.extend(notes);
        Some(namespaces)
    } else {
        None
    };
    // The large files are built and formatted on their own threads: formatting dominates generation, and token
    // streams cannot cross threads, so each thread makes its own.
    let (models, validators, server, examples) = std::thread::scope(|scope| {
        let models = scope.spawn(|| format_file("src/generated/models.rs", models::models(&map)));
        let validators = scope.spawn(|| {
            let (tokens, warnings) = validators::validators(&map);
            format_file("src/generated/validators.rs", tokens).map(|file| (file, warnings))
        });
        let server = namespaces.as_ref().map(|namespaces| {
            let map = &map;
            scope.spawn(move || {
                format_file(
                    "src/generated/server.rs",
                    server::server(api, map, namespaces),
                )
            })
        });
        let examples = scope.spawn(|| {
            examples::example_tests(api, &map)
                .map(|tokens| format_file("src/generated/examples.rs", tokens))
                .transpose()
        });
        (
            joined(models).and_then(|r| r),
            joined(validators).and_then(|r| r),
            server.map(|s| joined(s).and_then(|r| r)).transpose(),
            joined(examples).and_then(|r| r),
        )
    });
    let (models, (validators, warnings), server, examples) =
        (models?, validators?, server?, examples?);
    output.warnings.extend(warnings);
    let mod_rs = {
        let examples_mod = examples.as_ref().map(|_| {
            quote!(
                #[cfg(test)]
                mod examples;
            )
        });
        let server_mod = namespaces.as_ref().map(|_| {
            quote!(
                pub mod server;
            )
        });
        quote! {
            //! Code generated from the AsyncAPI document by `fastsocket-gen rust`. Regeneration rewrites this folder:
            //! put your code elsewhere in the crate.

            pub mod models;
            #server_mod
            pub mod validators;
            #examples_mod
        }
    };
    let context = user_files::Context {
        api,
        options,
        namespaces: namespaces.as_deref(),
        mapping,
        mapping_reason,
    };
    output.files.push(rust_file(
        "Cargo.toml",
        user_files::cargo_toml(&context),
        Owner::User,
    ));
    output.files.push(rust_file(
        "src/lib.rs",
        user_files::lib_rs(&context),
        Owner::User,
    ));
    if let (Some(namespaces), Some(server)) = (&namespaces, server) {
        output.files.push(rust_file(
            "src/main.rs",
            user_files::main_rs(&context),
            Owner::User,
        ));
        output.files.push(rust_file(
            "src/handlers.rs",
            user_files::handlers_rs(namespaces),
            Owner::User,
        ));
        output.files.push(rust_file(
            "README.md",
            user_files::readme(&context, &map),
            Owner::User,
        ));
        output.files.push(rust_file(
            ".env.example",
            user_files::env_example(&context),
            Owner::User,
        ));
        output.files.push(server);
        let document =
            serde_json::to_string_pretty(&api.document).unwrap_or_else(|_| "{}".to_string());
        output.files.push(rust_file(
            "src/generated/asyncapi.json",
            document + "\n",
            Owner::Generator,
        ));
    }
    output
        .files
        .push(format_file("src/generated/mod.rs", mod_rs)?);
    output.files.push(models);
    output.files.push(validators);
    if let Some(examples) = examples {
        output.files.push(examples);
    }
    Ok(output)
}

/// The result of a generation thread; a panic there is an emitter bug, reported as such.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> Result<T, EmitError> {
    handle.join().map_err(|_| EmitError {
        file: "(generation thread)".to_string(),
        reason: "the emitter panicked".to_string(),
    })
}

fn rust_file(path: &str, contents: String, owner: Owner) -> OutputFile {
    OutputFile {
        path: path.to_string(),
        contents,
        owner,
    }
}

fn format_file(path: &str, tokens: TokenStream) -> Result<OutputFile, EmitError> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| EmitError {
        file: path.to_string(),
        reason: e.to_string(),
    })?;
    Ok(rust_file(
        path,
        prettyplease::unparse(&file),
        Owner::Generator,
    ))
}

#[cfg(test)]
mod tests;
