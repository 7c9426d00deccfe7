//! Files written once and then owned by the user: the manifest, `lib.rs`, `main.rs`, the handler stubs, the README
//! and `.env.example`. They are plain text on purpose: the user edits them, the generator never reads them back.

use std::fmt::Write as _;

use fastsocket_ir::Api;

use crate::docs;
use crate::kinds::TypeMap;
use crate::{RuntimeDependency, RustOptions};
use fastsocket_ir::socketio::{Mapping, Namespace};

/// What the user files are made from.
pub struct Context<'a> {
    pub api: &'a Api,
    pub options: &'a RustOptions,
    pub namespaces: Option<&'a [Namespace]>,
    pub mapping: Mapping,
    pub mapping_reason: &'static str,
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn crate_ident(options: &RustOptions) -> String {
    options.crate_name.replace('-', "_")
}

pub fn cargo_toml(cx: &Context<'_>) -> String {
    let runtime = match &cx.options.runtime {
        RuntimeDependency::Path(path) => format!("path = {}", toml_string(path)),
        RuntimeDependency::Version(version) => format!("version = {}", toml_string(version)),
    };
    let (runtime_features, server_deps) = if cx.namespaces.is_some() {
        (
            ", features = [\"server\"]",
            "tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }\n",
        )
    } else {
        ("", "")
    };
    let description = toml_string(&format!(
        "{} {} (generated from AsyncAPI by fastsocket-gen)",
        cx.api.info.title, cx.api.info.version
    ));
    format!(
        r#"[package]
name = {name}
version = "0.1.0"
edition = "2024"
description = {description}
publish = false

# A crate of its own, even inside another project's folder. Remove this table to make it a member of an
# enclosing workspace instead.
[workspace]

[dependencies]
fastsocket = {{ {runtime}{runtime_features} }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
schemars = {{ version = "1", features = ["chrono04", "uuid1"] }}
chrono = {{ version = "0.4", default-features = false, features = ["std", "serde"] }}
uuid = {{ version = "1", features = ["serde"] }}
{server_deps}"#,
        name = toml_string(&cx.options.crate_name),
    )
}

pub fn lib_rs(cx: &Context<'_>) -> String {
    let title = docs::clean(&cx.api.info.title.replace(['\n', '\r'], " "));
    let mut out = format!(
        "//! {title}: generated from its AsyncAPI document by fastsocket-gen.\n//!\n//! This file is yours: regeneration writes only `src/generated/`.\n\npub mod generated;\n"
    );
    if cx.namespaces.is_some() {
        out.push_str("pub mod handlers;\n");
    }
    out.push_str("\npub use generated::models;\n");
    out
}

pub fn main_rs(cx: &Context<'_>) -> String {
    let krate = crate_ident(cx.options);
    format!(
        r#"//! The server binary: `serve`, `events`, `spec` (run with `--help`).
//!
//! This file is yours: regeneration never touches it.

#[tokio::main]
async fn main() -> std::process::ExitCode {{
    {krate}::generated::server::run({krate}::handlers::Handlers::default()).await
}}
"#
    )
}

pub fn handlers_rs(namespaces: &[Namespace]) -> String {
    let mut out = String::from(
        "//! Your handlers. This file is yours: regeneration never touches it.\n//!\n//! Each namespace has a trait in `crate::generated::server`; every method has a default that answers\n//! `not_implemented`. Override the ones your API serves, e.g.:\n//!\n//! ```text\n//! impl root::RootHandlers for Handlers {\n//!     async fn some_event(&self, ctx: root::RootContext, payload: models::SomePayload) -> Result<models::SomeAck, HandlerError> {\n//!         ctx.reply().something(&models::Something { .. }).await.ok();\n//!         Ok(models::SomeAck { .. })\n//!     }\n//! }\n//! ```\n//!\n//! Handlers run concurrently, one task per message. When your contract needs the messages of one socket handled\n//! in order, hold `ctx.lock().await` for the handler's duration.\n\n",
    );
    let modules: Vec<&str> = namespaces.iter().map(|ns| ns.snake.as_str()).collect();
    if !modules.is_empty() {
        let _ = writeln!(
            out,
            "use crate::generated::server::{{{}}};\n",
            modules.join(", ")
        );
    }
    out.push_str("/// The server's state: add your database pools, caches and clients here.\n#[derive(Debug, Clone, Default)]\npub struct Handlers {}\n");
    for ns in namespaces {
        let _ = write!(
            out,
            "\nimpl {}::{}Handlers for Handlers {{}}\n",
            ns.snake, ns.pascal
        );
    }
    out
}

/// The security schemes the server's events and namespaces use, in document order, each with the variable
/// its credentials are read from by the default authenticator (`FASTSOCKET_AUTH_TOKENS_<KEY>`).
pub fn token_variables<'a>(
    api: &'a Api,
    namespaces: &[Namespace],
) -> Vec<(&'a fastsocket_ir::SecurityScheme, String)> {
    let mut used: Vec<&str> = Vec::new();
    for ns in namespaces {
        let events = ns.inbound.iter().chain(&ns.outbound);
        let keys = events
            .flat_map(|e| &e.security)
            .flat_map(|r| &r.schemes)
            .map(|u| u.scheme.as_str())
            .chain(ns.security.iter().flatten().map(String::as_str));
        for key in keys {
            if !used.contains(&key) {
                used.push(key);
            }
        }
    }
    api.security_schemes
        .iter()
        .filter(|s| used.contains(&s.key.as_str()))
        .map(|s| (s, fastsocket::env_names::auth_tokens_env(&s.key)))
        .collect()
}

/// What an entry of a scheme's list is: `user:password` for basic and `userPassword`, a token otherwise.
fn entry_kind(scheme: &fastsocket_ir::SecurityScheme) -> &'static str {
    let basic = scheme.scheme_type == "userPassword"
        || (scheme.scheme_type == "http"
            && scheme
                .scheme
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("basic")));
    if basic { "user:password" } else { "token" }
}

/// The `.env.example` lines of the per-scheme credential variables (commented out: a variable that is set,
/// even empty, replaces `FASTSOCKET_AUTH_TOKENS` for its scheme).
fn env_token_lines(vars: &[(&fastsocket_ir::SecurityScheme, String)]) -> String {
    let mut out = String::new();
    for (scheme, var) in vars {
        let scopes = if matches!(scheme.scheme_type.as_str(), "oauth2" | "openIdConnect") {
            ", each followed by the scopes it grants"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "# `{}` ({}): entries `{}`{scopes}.\n# {var}=",
            scheme.key,
            scheme.scheme_type,
            entry_kind(scheme)
        );
    }
    out
}

pub fn env_example(cx: &Context<'_>) -> String {
    let vars = token_variables(cx.api, cx.namespaces.unwrap_or_default());
    let head = "# Copy to `.env` and adjust. Flags override the environment; the environment overrides `.env`.\nFASTSOCKET_HOST=127.0.0.1\nFASTSOCKET_PORT=3000\n# Largest message accepted, in bytes (default 1 MiB).\nFASTSOCKET_MAX_MESSAGE_BYTES=1048576\n# Browser origins allowed to connect (comma-separated).\nFASTSOCKET_CORS_ORIGINS=http://localhost:5173,http://127.0.0.1:5173\n# Credentials the default authenticator accepts, comma-separated: a secret (`user:password` for basic and\n# userPassword schemes, a token otherwise), optionally followed by the scopes it grants (`tok-1 read write`).\n# Every scheme without a variable of its own below reads this list.\nFASTSOCKET_AUTH_TOKENS=\n";
    let tail = "# Log filter (tracing's EnvFilter syntax) and format (text or json).\nRUST_LOG=info\nFASTSOCKET_LOG_FORMAT=text\n# A built web client to serve at / beside the API (a Vite `dist/` folder holding index.html; flag `--static`).\n# FASTSOCKET_STATIC_DIR=../client/dist\n";
    format!("{head}{}{tail}", env_token_lines(&vars))
}

pub fn readme(cx: &Context<'_>, map: &TypeMap<'_>) -> String {
    let api = cx.api;
    let mut out = String::new();
    let _ = writeln!(out, "# {} {}\n", api.info.title, api.info.version);
    let _ = writeln!(
        out,
        "A Socket.IO server generated from its AsyncAPI document by fastsocket-gen. `src/generated/` is rewritten on\nevery generation; everything else is yours.\n"
    );
    let _ = writeln!(
        out,
        "```sh\ncargo run -- serve --port 3000     # the server (GET /healthz, GET /asyncapi.json, Socket.IO at /socket.io)\ncargo run -- serve --static dist   # the same, also serving a built web client (a Vite `dist/`) at /\ncargo run -- events                 # the event registry\ncargo test                          # the spec's examples round-trip through the models\n```\n"
    );
    let mapping = match cx.mapping {
        Mapping::Namespace => "each channel is a Socket.IO namespace and each message an event",
        Mapping::Event => {
            "every channel is an event on the namespace `/`, named by the channel address"
        }
    };
    let _ = writeln!(out, "Mapping: {mapping} ({}).\n", cx.mapping_reason);
    if let Some(namespaces) = cx.namespaces {
        let _ = writeln!(
            out,
            "| namespace | event | direction | payload | ack |\n| --- | --- | --- | --- | --- |"
        );
        for ns in namespaces {
            for (events, direction) in [
                (&ns.inbound, "client → server"),
                (&ns.outbound, "server → client"),
            ] {
                for e in events {
                    let payload = e
                        .payload
                        .map_or("any".to_string(), |t| map.types.get(t).name.clone());
                    let ack = e
                        .ack
                        .map_or("".to_string(), |t| map.types.get(t).name.clone());
                    let _ = writeln!(
                        out,
                        "| `{}` | `{}` | {direction} | `{payload}` | {ack} |",
                        ns.path, e.name
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "\nErrors come back in one shape, as the ack's argument or as an `exception` event:\n`{{\"error\": {{\"code\": \"validation_failed\", \"message\": \"…\", \"details\": [{{\"path\": \"/text\", \"message\": \"…\"}}]}}}}`\n(codes: `validation_failed`, `not_implemented`, `unknown_event`, `unauthorized`, `forbidden`, `internal`, `payload_too_large`).\n\nConfiguration: see `.env.example`."
        );
        let vars = token_variables(api, namespaces);
        if !vars.is_empty() {
            let _ = writeln!(
                out,
                "\n## Credentials\n\nEach event is checked against its own operation's security (`unauthorized`, or `forbidden` for a\nmissing scope). The default authenticator reads each scheme's credentials from its variable, else from\n`FASTSOCKET_AUTH_TOKENS`; entries are comma-separated, each a secret followed by the scopes it grants.\n\n| scheme | type | variable | entries |\n| --- | --- | --- | --- |"
            );
            for (scheme, var) in &vars {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | `{var}` | `{}` |",
                    scheme.key,
                    scheme.scheme_type,
                    entry_kind(scheme)
                );
            }
        }
    }
    out
}
