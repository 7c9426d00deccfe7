//! Files written once and then owned by the user: the manifest, `lib.rs`, `main.rs`, the handler stubs, the README,
//! `.env.example`, and the deployment files (alert rules, Prometheus and Grafana settings, `Dockerfile`,
//! `docker-compose.yml`, Kubernetes manifests, a GitHub Actions workflow). Each is a minijinja template in the repository's `templates/rust/` (reached through this
//! crate's `templates` link, so `cargo package` ships them), rendered from one [`ProjectContext`]: a new user file
//! is a new template plus, when it needs data the others do not, a new field there.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;

use crate::kinds::TypeMap;
use crate::{EmitError, RuntimeDependency, RustOptions, docs};
use fastsocket_ir::Api;
use fastsocket_ir::output::{OutputFile, Owner};
use fastsocket_ir::socketio::{Mapping, Namespace};

/// Declares the templates by name, embedding each from `templates/rust/` at compile time.
macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = embedded![
    "Cargo.toml.j2",
    "lib.rs.j2",
    "main.rs.j2",
    "handlers.rs.j2",
    "README.md.j2",
    "env.example.j2",
    "alerts.yml.j2",
    "alerts.test.yml.j2",
    "prometheus.yml.j2",
    "grafana-datasource.yml.j2",
    "grafana-dashboards.yml.j2",
    "Dockerfile.j2",
    "dockerignore.j2",
    "docker-compose.yml.j2",
    "k8s-configmap.yml.j2",
    "k8s-secret.yml.j2",
    "k8s-deployment.yml.j2",
    "k8s-service.yml.j2",
    "k8s-hpa.yml.j2",
    "ci.yml.j2",
];

/// Which crates a user file belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    /// Every crate.
    Always,
    /// Crates with the Socket.IO server.
    Server,
}

/// The user files in the order they are written: (path, template, when).
const FILES: &[(&str, &str, When)] = &[
    ("Cargo.toml", "Cargo.toml.j2", When::Always),
    ("src/lib.rs", "lib.rs.j2", When::Always),
    ("src/main.rs", "main.rs.j2", When::Server),
    ("src/handlers.rs", "handlers.rs.j2", When::Server),
    ("README.md", "README.md.j2", When::Server),
    (".env.example", "env.example.j2", When::Server),
    (
        "deploy/prometheus/alerts.yml",
        "alerts.yml.j2",
        When::Server,
    ),
    (
        "deploy/prometheus/alerts.test.yml",
        "alerts.test.yml.j2",
        When::Server,
    ),
    // Deployment: the image, two replicas on Redis with Prometheus and Grafana, Kubernetes, CI.
    (
        "deploy/prometheus/prometheus.yml",
        "prometheus.yml.j2",
        When::Server,
    ),
    (
        "deploy/grafana/provisioning/datasources/prometheus.yml",
        "grafana-datasource.yml.j2",
        When::Server,
    ),
    (
        "deploy/grafana/provisioning/dashboards/dashboards.yml",
        "grafana-dashboards.yml.j2",
        When::Server,
    ),
    ("Dockerfile", "Dockerfile.j2", When::Server),
    (".dockerignore", "dockerignore.j2", When::Server),
    ("docker-compose.yml", "docker-compose.yml.j2", When::Server),
    (
        "deploy/k8s/configmap.yaml",
        "k8s-configmap.yml.j2",
        When::Server,
    ),
    ("deploy/k8s/secret.yaml", "k8s-secret.yml.j2", When::Server),
    (
        "deploy/k8s/deployment.yaml",
        "k8s-deployment.yml.j2",
        When::Server,
    ),
    (
        "deploy/k8s/service.yaml",
        "k8s-service.yml.j2",
        When::Server,
    ),
    ("deploy/k8s/hpa.yaml", "k8s-hpa.yml.j2", When::Server),
    (".github/workflows/ci.yml", "ci.yml.j2", When::Server),
];

/// Everything the user-file templates read; every template gets all of it.
#[derive(Serialize)]
pub struct ProjectContext {
    /// The package name.
    crate_name: String,
    /// The package name as a Rust path segment.
    crate_ident: String,
    /// The package name as a Kubernetes object name and a container image name (DNS-1123 label: lowercase
    /// letters, digits and `-`, at most 63 characters).
    dns_name: String,
    /// The document's `info`.
    info: Info,
    /// The title as a doc-comment line.
    doc_title: String,
    /// The runtime dependency's keys and values (`path = "…"`), in manifest order.
    runtime: Vec<(&'static str, String)>,
    /// Whether the crate has the Socket.IO server.
    server: bool,
    /// How channels became namespaces and events, in words.
    mapping: &'static str,
    /// Why that mapping.
    mapping_reason: &'static str,
    /// The namespaces (empty without the server).
    namespaces: Vec<NamespaceContext>,
    /// The security schemes the server's events use, each with the variable its credentials are read from.
    credentials: Vec<CredentialContext>,
}

/// A security scheme as the README and `.env.example` show it.
#[derive(Serialize)]
struct CredentialContext {
    /// The scheme's key in the document.
    key: String,
    /// Its AsyncAPI type.
    scheme_type: String,
    /// The variable of the default authenticator (`FASTSOCKET_AUTH_TOKENS_<KEY>`).
    variable: String,
    /// What an entry of the list is: `user:password` for basic and `userPassword`, a token otherwise.
    entries: &'static str,
    /// Whether an entry is followed by the scopes it grants (OAuth2, OpenID Connect).
    scoped: bool,
}

/// The document's title and version.
#[derive(Serialize)]
struct Info {
    title: String,
    version: String,
}

/// A namespace as the user files show it.
#[derive(Serialize)]
struct NamespaceContext {
    path: String,
    snake: String,
    pascal: String,
    /// Inbound events, then outbound ones.
    events: Vec<EventContext>,
}

/// An event as the README's table shows it.
#[derive(Serialize)]
struct EventContext {
    name: String,
    direction: &'static str,
    /// The payload's Rust type (`any` without a schema).
    payload: String,
    /// The ack's Rust type, empty without one.
    ack: String,
}

impl ProjectContext {
    /// Gathers the data of the user files.
    pub fn new(
        api: &Api,
        options: &RustOptions,
        map: &TypeMap<'_>,
        namespaces: Option<&[Namespace]>,
        (mapping, mapping_reason): (Mapping, &'static str),
    ) -> Self {
        let type_name = |t| map.types.get(t).name.clone();
        let runtime = match &options.runtime {
            RuntimeDependency::Path(path) => vec![("path", path.clone())],
            RuntimeDependency::Git { url, rev: None } => vec![("git", url.clone())],
            RuntimeDependency::Git {
                url,
                rev: Some(rev),
            } => vec![("git", url.clone()), ("rev", rev.clone())],
            RuntimeDependency::Version(version) => vec![("version", version.clone())],
        };
        ProjectContext {
            crate_name: options.crate_name.clone(),
            crate_ident: options.crate_name.replace('-', "_"),
            dns_name: dns_label(&options.crate_name),
            info: Info {
                title: api.info.title.clone(),
                version: api.info.version.clone(),
            },
            doc_title: docs::clean(&api.info.title.replace(['\n', '\r'], " ")),
            runtime,
            server: namespaces.is_some(),
            mapping: match mapping {
                Mapping::Namespace => {
                    "each channel is a Socket.IO namespace and each message an event"
                }
                Mapping::Event => {
                    "every channel is an event on the namespace `/`, named by the channel address"
                }
            },
            mapping_reason,
            namespaces: namespaces
                .unwrap_or_default()
                .iter()
                .map(|ns| NamespaceContext {
                    path: ns.path.clone(),
                    snake: ns.snake.clone(),
                    pascal: ns.pascal.clone(),
                    events: [
                        (&ns.inbound, "client → server"),
                        (&ns.outbound, "server → client"),
                    ]
                    .into_iter()
                    .flat_map(|(events, direction)| {
                        events.iter().map(move |e| EventContext {
                            name: e.name.clone(),
                            direction,
                            payload: e.payload.map_or_else(|| "any".to_string(), type_name),
                            ack: e.ack.map_or_else(String::new, type_name),
                        })
                    })
                    .collect(),
                })
                .collect(),
            credentials: token_variables(api, namespaces.unwrap_or_default())
                .into_iter()
                .map(|(scheme, variable)| CredentialContext {
                    key: scheme.key.clone(),
                    scheme_type: scheme.scheme_type.clone(),
                    variable,
                    entries: entry_kind(scheme),
                    scoped: matches!(scheme.scheme_type.as_str(), "oauth2" | "openIdConnect"),
                })
                .collect(),
        }
    }
}

/// The security schemes the server's events and namespaces use, in document order, each with the variable
/// its credentials are read from by the default authenticator (`FASTSOCKET_AUTH_TOKENS_<KEY>`).
fn token_variables<'a>(
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

/// Renders the user files of the crate.
pub fn render(context: &ProjectContext) -> Result<Vec<OutputFile>, EmitError> {
    let env = environment(false)?;
    let yaml = environment(true)?;
    let value = Value::from(Serde(context));
    let mut files = Vec::new();
    for (path, template, when) in FILES {
        if *when == When::Server && !context.server {
            continue;
        }
        let failed = |e: minijinja::Error| EmitError::Internal {
            file: (*path).to_string(),
            reason: format!("template {template}: {e:#}"),
        };
        // Prometheus rules hold Go templates (`{{ $labels.instance }}`) and workflows GitHub expressions
        // (`${{ github.sha }}`): YAML templates use `[[ ]]` instead.
        let env = if template.ends_with(".yml.j2") {
            &yaml
        } else {
            &env
        };
        let contents = env
            .get_template(template)
            .and_then(|t| t.render(&value))
            .map_err(failed)?;
        files.push(OutputFile {
            path: (*path).to_string(),
            contents,
            owner: Owner::User,
        });
    }
    Ok(files)
}

/// The template engine with every template loaded: strict about undefined values, no auto-escaping (the files are
/// Rust, TOML, Markdown and YAML; TOML strings go through the `toml` filter). With `brackets`, the delimiters are
/// `[[ ]]`, `[% %]` and `[# #]`, so that `{{ }}` passes through (the YAML files, whose Prometheus templates and
/// GitHub expressions use it); their values are the crate name and the credential variables' names and schemes,
/// safe in YAML and PromQL as they are (a scheme's key, which may hold anything, is left out of them).
fn environment(brackets: bool) -> Result<Environment<'static>, EmitError> {
    let failed = |name: &str, e: minijinja::Error| EmitError::Internal {
        file: format!("templates/rust/{name}"),
        reason: format!("{e:#}"),
    };
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    let mut syntax = SyntaxConfig::builder();
    if brackets {
        syntax
            .variable_delimiters("[[", "]]")
            .block_delimiters("[%", "%]")
            .comment_delimiters("[#", "#]");
    }
    let syntax = syntax
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| failed("(syntax)", e))?;
    env.set_syntax(syntax);
    env.add_filter("toml", toml_string);
    for (name, source) in TEMPLATES
        .iter()
        .filter(|(name, _)| name.ends_with(".yml.j2") == brackets)
    {
        env.add_template(name, source)
            .map_err(|e| failed(name, e))?;
    }
    Ok(env)
}

/// `name` as a DNS-1123 label: lowercase ASCII letters and digits, each run of other characters one `-`, no `-` at
/// either end, at most 63 characters (`server` when nothing is left).
fn dns_label(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let label: String = words.join("-").chars().take(63).collect();
    match label.trim_end_matches('-') {
        "" => "server".to_owned(),
        label => label.to_owned(),
    }
}

/// A TOML basic string (JSON's string escapes are valid TOML).
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

#[cfg(test)]
mod tests {
    use super::dns_label;

    #[test]
    fn dns_labels() {
        assert_eq!(dns_label("fastsocket-chat"), "fastsocket-chat");
        assert_eq!(dns_label("My_API"), "my-api");
        assert_eq!(dns_label("_x_"), "x");
        assert_eq!(dns_label("a__b"), "a-b");
        assert_eq!(dns_label("__"), "server");
        let long = dns_label(&format!("{}-b", "a".repeat(62)));
        assert_eq!(long, "a".repeat(62));
    }
}
