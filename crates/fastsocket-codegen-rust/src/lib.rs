//! IR → Rust. Reads only [`fastsocket_ir::Api`] and returns the files of a Cargo crate: validated models for every
//! payload, header and acknowledgement schema, a validator per schema, and round-trip tests of the spec's examples.
//!
//! Rust is built with `quote!` and formatted with `prettyplease`: no string-built code, no rustfmt needed. Output is
//! deterministic (ids and names come from the IR in document order).
#![deny(missing_docs)]

mod dashboard;
mod docs;
mod examples;
mod kinds;
mod models;
mod options;
mod server;
mod user_files;
mod validators;

#[cfg(test)]
mod names_tests;

pub use options::{
    FORMATS, Layout, Mapping, OptionError, RuntimeDependency, RustOptions, TypeAttribute,
    TypeOverride,
};

use fastsocket_ir::Api;
use proc_macro2::TokenStream;
use quote::quote;

pub use fastsocket_ir::output::{Output, OutputFile, Owner};

/// Why generation failed: an option the user gave cannot be applied, or a bug in the emitter (never the document's
/// fault, which the loader reports).
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// A type attribute or override cannot be used.
    #[error(transparent)]
    Option(#[from] OptionError),
    /// The emitter made something that is not Rust (a bug).
    #[error(
        "internal error: generated {file} is not valid Rust ({reason}); please report this with the spec"
    )]
    Internal {
        /// The file.
        file: String,
        /// The parser's complaint.
        reason: String,
    },
}

/// Generates the crate for a document.
pub fn generate(api: &Api, options: &RustOptions) -> Result<Output, EmitError> {
    let custom = options::Customization::new(options)?;
    let mut map = kinds::TypeMap::new(api);
    let models: std::collections::BTreeSet<String> = api
        .types
        .iter()
        .filter(|t| map.is_named(t.id) && map.is_reachable(t.id))
        .map(|t| t.name.clone())
        .collect();
    custom.check_names(&models)?;
    map.custom = custom;
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
    let layout = options.layout;
    // The large modules are built and formatted on their own threads: formatting dominates generation, and token
    // streams cannot cross threads, so each thread makes its own and hands back text. Meanwhile this thread makes
    // the rest: the embedded document, the project files and the dashboard.
    let (models, validators, server, examples, document, project) = std::thread::scope(|scope| {
        let models = scope.spawn(|| MODELS.render(layout, models::models(&map)));
        let validators = scope.spawn(|| {
            let (tokens, warnings) = validators::validators(&map);
            VALIDATORS
                .render(layout, tokens)
                .map(|file| (file, warnings))
        });
        let server = namespaces.as_ref().map(|namespaces| {
            let map = &map;
            scope.spawn(move || SERVER.render(layout, server::server(api, map, namespaces)))
        });
        let examples = scope.spawn(|| {
            examples::example_tests(api, &map)
                .map(|tokens| EXAMPLES.render(layout, tokens))
                .transpose()
        });
        let document = namespaces.as_ref().map(|_| {
            serde_json::to_string_pretty(&api.document).unwrap_or_else(|_| "{}".to_string()) + "\n"
        });
        let project = (layout == Layout::Crate).then(|| {
            project_files(
                api,
                options,
                &map,
                namespaces.as_deref(),
                (mapping, mapping_reason),
            )
        });
        (
            joined(models).and_then(|r| r),
            joined(validators).and_then(|r| r),
            server.map(|s| joined(s).and_then(|r| r)).transpose(),
            joined(examples).and_then(|r| r),
            document,
            project,
        )
    });
    let (models, (validators, warnings), server, examples) =
        (models?, validators?, server?, examples?);
    output.warnings.extend(warnings);
    // In `mod.rs` order: the modules of the tree, or the inline modules of the single file.
    let mut modules = vec![(MODELS, models)];
    modules.extend(server.map(|server| (SERVER, server)));
    modules.push((VALIDATORS, validators));
    modules.extend(examples.map(|examples| (EXAMPLES, examples)));
    if layout == Layout::SingleFile {
        let mut rust = SINGLE_FILE_HEADER.to_string();
        for (_, module) in &modules {
            // Each module is one top-level item: prettyplease prints top-level items one after the other, each
            // from the first column, so the items formatted apart are the file formatted whole.
            rust.push_str(&module.contents);
        }
        output
            .files
            .push(rust_file(SINGLE_FILE, rust, Owner::Generator));
        if let Some(document) = document {
            output
                .files
                .push(rust_file(DOCUMENT, document, Owner::Generator));
        }
        return Ok(output);
    }
    let mod_rs = {
        let declarations = modules.iter().map(|(module, _)| {
            let (cfg, vis, ident) = module.declaration();
            quote!(#cfg #vis mod #ident;)
        });
        quote! {
            //! Code generated from the AsyncAPI document by `fastsocket-gen rust`. Regeneration rewrites this folder:
            //! put your code elsewhere in the crate.

            #(#declarations)*
        }
    };
    output
        .files
        .extend(project.expect("made for the crate layout")?);
    let mut modules: Vec<OutputFile> = modules.into_iter().map(|(_, file)| file).collect();
    // The server module first, then the document it embeds, then the rest: the order the files always had.
    if namespaces.is_some() {
        output.files.push(modules.remove(1));
    }
    if let Some(document) = document {
        output.files.push(rust_file(
            &format!("{TREE}{DOCUMENT}"),
            document,
            Owner::Generator,
        ));
    }
    output
        .files
        .push(format_file(&format!("{TREE}mod.rs"), mod_rs)?);
    output.files.extend(modules);
    Ok(output)
}

/// The files of the crate around the generated tree: the user's files and, with a server, the dashboard.
fn project_files(
    api: &Api,
    options: &RustOptions,
    map: &kinds::TypeMap<'_>,
    namespaces: Option<&[fastsocket_ir::socketio::Namespace]>,
    mapping: (Mapping, &'static str),
) -> Result<Vec<OutputFile>, EmitError> {
    let context = user_files::ProjectContext::new(api, options, map, namespaces, mapping);
    let mut files = user_files::render(&context)?;
    if let Some(namespaces) = namespaces {
        files.push(dashboard::dashboard(
            &options.crate_name,
            &api.info.title,
            namespaces,
        ));
    }
    Ok(files)
}

/// The folder of the generated tree inside a crate ([`Layout::Crate`]).
const TREE: &str = "src/generated/";

/// The file of [`Layout::SingleFile`].
pub const SINGLE_FILE: &str = "generated.rs";

/// The embedded document, next to the module that reads it with `include_str!`.
const DOCUMENT: &str = "asyncapi.json";

/// The first lines of [`SINGLE_FILE`]: no inner attributes or `//!` docs, which `include!` rejects.
const SINGLE_FILE_HEADER: &str = "// @generated by fastsocket-gen (build.rs). Do not edit: every build may rewrite this file.\n\n";

/// A module of the generated code: a file of the tree, or an inline module of the single file.
#[derive(Debug, Clone, Copy)]
struct Module {
    name: &'static str,
    public: bool,
    /// Compiled only under `cfg(test)` (the examples' round-trip tests).
    test_only: bool,
}

const MODELS: Module = Module {
    name: "models",
    public: true,
    test_only: false,
};
const SERVER: Module = Module {
    name: "server",
    public: true,
    test_only: false,
};
const VALIDATORS: Module = Module {
    name: "validators",
    public: true,
    test_only: false,
};
const EXAMPLES: Module = Module {
    name: "examples",
    public: false,
    test_only: true,
};

impl Module {
    /// What precedes `mod` and the module's name.
    fn declaration(self) -> (Option<TokenStream>, Option<TokenStream>, proc_macro2::Ident) {
        (
            self.test_only.then(|| quote!(#[cfg(test)])),
            self.public.then(|| quote!(pub)),
            quote::format_ident!("{}", self.name),
        )
    }

    /// The module's items formatted as its file of the tree, or wrapped in an inline `mod` item. `items` starts
    /// with the module's inner attributes (its `//!` docs), which either shape takes as they are.
    fn render(self, layout: Layout, items: TokenStream) -> Result<OutputFile, EmitError> {
        match layout {
            Layout::Crate => format_file(&format!("{TREE}{}.rs", self.name), items),
            Layout::SingleFile => {
                let (cfg, vis, ident) = self.declaration();
                format_file(
                    &format!("{SINGLE_FILE} (mod {})", self.name),
                    quote!(#cfg #vis mod #ident { #items }),
                )
            }
        }
    }
}

/// The result of a generation thread; a panic there is an emitter bug, reported as such.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> Result<T, EmitError> {
    handle.join().map_err(|_| EmitError::Internal {
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
    let file: syn::File = syn::parse2(tokens).map_err(|e| EmitError::Internal {
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
