//! Objects both AsyncAPI lines share: info, servers, security, tags, bindings, extensions.

use fastsocket_ir::naming::type_name;
use fastsocket_ir::{
    Contact, ExternalDocs, Info, JsonMap, License, Names, SecurityRequirement, SecurityScheme,
    SecurityUse, Server, ServerVariable, Tag,
};

use super::{At, Lowerer};
use crate::check::SpecVersion;
use crate::diag::{Code, Severity};
use crate::node::Node;
use crate::pointer;

impl<'a> Lowerer<'a> {
    pub fn info(&mut self, root: At<'a>) -> Info {
        let Some(info) = root.get("info") else {
            return Info::default();
        };
        Info {
            title: info.str_field("title").unwrap_or_default(),
            version: info.str_field("version").unwrap_or_default(),
            description: info.str_field("description"),
            terms_of_service: info.str_field("termsOfService"),
            contact: info.get("contact").map(|c| Contact {
                name: c.str_field("name"),
                url: c.str_field("url"),
                email: c.str_field("email"),
            }),
            license: info.get("license").map(|l| License {
                name: l.str_field("name").unwrap_or_default(),
                url: l.str_field("url"),
            }),
            extensions: self.extensions(info),
        }
    }

    pub fn servers(&mut self, root: At<'a>) -> Vec<Server> {
        let Some(servers) = root.get("servers") else {
            return Vec::new();
        };
        let mut names = fastsocket_ir::naming::NameScope::new();
        let mut out = Vec::new();
        for (key, at) in servers.entries() {
            let Some(at) = self.deref(at) else { continue };
            let protocol = at.str_field("protocol").unwrap_or_default();
            let (url, host, pathname) = match self.version {
                SpecVersion::V2 { .. } => {
                    let url = at.str_field("url").unwrap_or_default();
                    let (host, pathname) = split_url(&url);
                    (url, host, pathname)
                }
                SpecVersion::V3 { .. } => {
                    let host = at.str_field("host").unwrap_or_default();
                    let pathname = at.str_field("pathname");
                    let url = format!("{protocol}://{host}{}", pathname.as_deref().unwrap_or(""));
                    (url, host, pathname)
                }
            };
            let variables = at
                .get("variables")
                .map(|v| v.entries())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(name, var)| {
                    let var = self.deref(var)?;
                    Some(ServerVariable {
                        name: name.to_string(),
                        enum_values: strings(var.node.get("enum")),
                        default: var.str_field("default"),
                        description: var.str_field("description"),
                        examples: strings(var.node.get("examples")),
                    })
                })
                .collect();
            let security = self.security(at.get("security"), key);
            out.push(Server {
                key: key.to_string(),
                names: Names::of(&names.claim(&type_name(key))),
                url,
                host,
                pathname,
                protocol,
                protocol_version: at.str_field("protocolVersion"),
                title: at.str_field("title"),
                summary: at.str_field("summary"),
                description: at.str_field("description"),
                variables,
                security,
                tags: self.tags(at.get("tags")),
                bindings: self.bindings(at.get("bindings")),
                extensions: self.extensions(at.clone()),
                location: self.location(at),
            });
        }
        out
    }

    /// `components.securitySchemes`, in document order.
    pub fn security_schemes_from_components(&mut self, root: At<'a>) {
        let Some(schemes) = root
            .get("components")
            .and_then(|c| c.get("securitySchemes"))
        else {
            return;
        };
        for (key, at) in schemes.entries() {
            self.security_scheme(at, key);
        }
    }

    /// The key of the security scheme at `at`, lowered on first sight.
    fn security_scheme(&mut self, at: At<'a>, hint: &str) -> Option<String> {
        let at = self.deref(at)?;
        let id = (at.file, at.pointer.clone());
        if let Some(key) = self.security_ids.get(&id) {
            return Some(key.clone());
        }
        let tokens = pointer::parse_fragment(&at.pointer).unwrap_or_default();
        let raw_key = match tokens.as_slice() {
            [.., c, s, k] if c == "components" && s == "securitySchemes" => k.clone(),
            _ => hint.to_string(),
        };
        let pascal = self.security_names.claim(&type_name(&raw_key));
        let key = if pascal == type_name(&raw_key) {
            raw_key
        } else {
            pascal.clone()
        };
        self.security_ids.insert(id, key.clone());
        let scheme = SecurityScheme {
            key: key.clone(),
            names: Names::of(&pascal),
            scheme_type: at.str_field("type").unwrap_or_default(),
            description: at.str_field("description"),
            name: at.str_field("name"),
            location: at.str_field("in"),
            scheme: at.str_field("scheme"),
            bearer_format: at.str_field("bearerFormat"),
            flows: at.node.get("flows").map(Node::to_json),
            open_id_connect_url: at.str_field("openIdConnectUrl"),
            scopes: strings(at.node.get("scopes")),
            extensions: self.extensions(at.clone()),
            location_in_document: self.location(at),
        };
        self.security_schemes.push(scheme);
        Some(key)
    }

    /// A `security` list: 2.x maps of scheme key → scopes, 3.0 lists of (referenced) Security Scheme Objects.
    pub fn security(&mut self, at: Option<At<'a>>, owner: &str) -> Vec<SecurityRequirement> {
        let Some(at) = at else { return Vec::new() };
        let mut out = Vec::new();
        for (i, item) in at.items().into_iter().enumerate() {
            match self.version {
                SpecVersion::V2 { .. } => {
                    let mut schemes = Vec::new();
                    for (key, scopes) in item.entries() {
                        if !self.security_schemes.iter().any(|s| s.key == key) {
                            // The official 2.0.0 examples do this, and parsers accept them: warn, don't refuse.
                            self.report(
                                Severity::Warning,
                                Code::UnknownSecurityScheme,
                                scopes.clone(),
                                format!("security scheme `{key}` is not defined under `components.securitySchemes`; the requirement is ignored"),
                                crate::diag::did_you_mean(key, self.security_schemes.iter().map(|s| s.key.as_str())),
                            );
                            continue;
                        }
                        schemes.push(SecurityUse {
                            scheme: key.to_string(),
                            scopes: strings(Some(scopes.node)),
                        });
                    }
                    out.push(SecurityRequirement { schemes });
                }
                SpecVersion::V3 { .. } => {
                    let scopes = self
                        .deref(item.clone())
                        .map(|s| strings(s.node.get("scopes")))
                        .unwrap_or_default();
                    if let Some(key) = self.security_scheme(item, &format!("{owner}Security{i}")) {
                        out.push(SecurityRequirement {
                            schemes: vec![SecurityUse {
                                scheme: key,
                                scopes,
                            }],
                        });
                    }
                }
            }
        }
        out
    }

    pub fn tags(&mut self, at: Option<At<'a>>) -> Vec<Tag> {
        let Some(at) = at else { return Vec::new() };
        let mut out = Vec::new();
        for item in at.items() {
            let Some(tag) = self.deref(item) else {
                continue;
            };
            let Some(name) = tag.str_field("name") else {
                continue;
            };
            out.push(Tag {
                name,
                description: tag.str_field("description"),
                external_docs: self.external_docs(tag.get("externalDocs")),
            });
        }
        out
    }

    pub fn external_docs(&mut self, at: Option<At<'a>>) -> Option<ExternalDocs> {
        let at = self.deref(at?)?;
        Some(ExternalDocs {
            url: at.str_field("url")?,
            description: at.str_field("description"),
        })
    }

    /// A `bindings` object (possibly a `$ref`) as JSON by protocol.
    pub fn bindings(&mut self, at: Option<At<'a>>) -> JsonMap {
        let Some(at) = at.and_then(|a| self.deref(a)) else {
            return JsonMap::new();
        };
        at.entries()
            .into_iter()
            .map(|(protocol, binding)| {
                let binding = self.deref(binding.clone()).unwrap_or(binding);
                (protocol.to_string(), binding.node.to_json())
            })
            .collect()
    }

    /// The `x-*` fields of an object.
    pub fn extensions(&mut self, at: At<'a>) -> JsonMap {
        at.node
            .as_map()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|(k, _)| k.text.starts_with("x-"))
                    .map(|(k, v)| (k.text.clone(), v.to_json()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A list of strings (non-strings skipped).
pub(crate) fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| match &i.kind {
                    crate::node::Kind::Str(s) => Some(s.clone()),
                    crate::node::Kind::Number(n) => Some(n.to_string()),
                    crate::node::Kind::Bool(b) => Some(b.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Splits a 2.x server URL (which may lack a scheme: `api.example.com:8080/ws`) into host and path.
fn split_url(url: &str) -> (String, Option<String>) {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    match without_scheme.find('/') {
        Some(i) => (
            without_scheme[..i].to_string(),
            Some(without_scheme[i..].to_string()),
        ),
        None => (without_scheme.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn server_urls_split_into_host_and_path() {
        assert_eq!(
            split_url("wss://chat.example.com/socket.io"),
            ("chat.example.com".into(), Some("/socket.io".into()))
        );
        assert_eq!(
            split_url("localhost:{port}"),
            ("localhost:{port}".into(), None)
        );
    }
}
