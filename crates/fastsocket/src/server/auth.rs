//! Security: the schemes of the contract as data, credentials read from the handshake, and authenticators.
//!
//! A namespace's [`Security`] is checked once, when a client joins the namespace (in socketioxide connect
//! middleware, before the client is told it is connected). A refused client gets a `connect_error` whose message
//! starts with `unauthorized:` and says what was missing or wrong.
//!
//! Where credentials are read from, by [`SchemeKind`]:
//!
//! | scheme | read from (first found wins) |
//! | --- | --- |
//! | `http` bearer, `oauth2`, `openIdConnect` | `auth.token`, then the `Authorization: Bearer …` header |
//! | `http` basic, `userPassword` | `auth.username` + `auth.password`, then `Authorization: Basic …` |
//! | `httpApiKey` (`name`, `in`) | `auth[name]`, then the query parameter, header or cookie `name` |
//! | `apiKey` | `auth.token` |
//! | anything else | nothing: the [`Authenticator`] reads [`Credentials::auth`] and the headers itself |
//!
//! `auth` is the Socket.IO handshake payload (`io(url, {auth: {token}})` in socket.io-client); headers and query
//! come from the HTTP request that opened the connection (browsers cannot set headers on a WebSocket: use `auth`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use serde_json::Value;

/// Where an `httpApiKey` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyLocation {
    /// A query parameter of the handshake URL.
    Query,
    /// A header of the handshake request.
    Header,
    /// A cookie of the handshake request.
    Cookie,
}

impl KeyLocation {
    fn describe(self) -> &'static str {
        match self {
            KeyLocation::Query => "query parameter",
            KeyLocation::Header => "header",
            KeyLocation::Cookie => "cookie",
        }
    }
}

/// The kind of a security scheme, as the AsyncAPI document declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemeKind {
    /// `type: http, scheme: bearer`.
    HttpBearer,
    /// `type: http, scheme: basic`.
    HttpBasic,
    /// `type: httpApiKey`: a key under `name`, sent `in` the query, a header or a cookie.
    HttpApiKey {
        /// The parameter, header or cookie name (also the `auth` field the key may be sent in).
        name: &'static str,
        /// Where the key is sent.
        location: KeyLocation,
    },
    /// `type: apiKey`: read from `auth.token`.
    ApiKey,
    /// `type: userPassword`.
    UserPassword,
    /// `type: oauth2`: the access token, read as a bearer token.
    OAuth2,
    /// `type: openIdConnect`: the ID or access token, read as a bearer token.
    OpenIdConnect,
    /// Any other type (`X509`, `symmetricEncryption`, `http` with another scheme, …): nothing is read for it;
    /// the authenticator decides from the raw handshake.
    Other,
}

/// One security scheme of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scheme {
    /// Its key under `components.securitySchemes`.
    pub key: &'static str,
    /// What it is.
    pub kind: SchemeKind,
}

/// A scheme as one requirement uses it: the scheme, and the OAuth2/OpenID Connect scopes the requirement needs
/// (empty for other schemes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SchemeUse {
    /// The scheme.
    pub scheme: Scheme,
    /// The scopes the principal must hold.
    pub scopes: &'static [&'static str],
}

/// One alternative of a [`Security`]: schemes that must all pass (AND).
pub type Requirement = &'static [SchemeUse];

/// The security of a namespace or of one event: alternatives (any one suffices, OR), each a list of schemes
/// that must all pass (AND), with their scopes. Empty, or holding an empty alternative, means no credentials
/// are needed.
pub type Security = &'static [Requirement];

/// The secret a scheme asks for, as found in the handshake.
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    /// A bearer token or an API key.
    Token(String),
    /// A user name and password.
    UserPassword {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// Nothing is read for this scheme ([`SchemeKind::Other`]).
    None,
}

impl fmt::Debug for Secret {
    /// Never shows the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Token(_) => f.write_str("Token(***)"),
            Secret::UserPassword { username, .. } => {
                write!(
                    f,
                    "UserPassword {{ username: {username:?}, password: *** }}"
                )
            }
            Secret::None => f.write_str("None"),
        }
    }
}

/// What an [`Authenticator`] gets for one scheme: the secret the scheme asks for, and the raw handshake.
///
/// Its `Debug` shows no secret: the `auth` payload's field names, the header names and the query's length only.
#[derive(Clone)]
pub struct Credentials {
    /// The secret found for the scheme.
    pub secret: Secret,
    /// The Socket.IO `auth` payload (`{}` when the client sent none).
    pub auth: Value,
    /// The headers of the HTTP request that opened the connection.
    pub headers: HeaderMap,
    /// The query string of that request, undecoded (it holds Engine.IO's own `EIO`, `transport`, `sid` too).
    pub query: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth_fields: Vec<&str> = match &self.auth {
            Value::Object(map) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        let header_names: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("Credentials")
            .field("secret", &self.secret)
            .field("auth_fields", &auth_fields)
            .field("headers", &header_names)
            .field("query_bytes", &self.query.as_ref().map(String::len))
            .finish()
    }
}

/// Who the client is, once authenticated. Handlers read it with [`Context::principal`](super::Context::principal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user, service or key the credentials stand for.
    pub subject: String,
    /// The key of the scheme that admitted the client.
    pub scheme: &'static str,
    /// The scopes the credentials grant (OAuth2/OpenID Connect); an event whose requirement names a scope the
    /// principal lacks is answered with `forbidden`.
    pub scopes: Vec<String>,
}

impl Principal {
    /// A principal without scopes.
    pub fn new(subject: impl Into<String>, scheme: &'static str) -> Self {
        Principal {
            subject: subject.into(),
            scheme,
            scopes: Vec::new(),
        }
    }

    /// The same principal, granted `scopes`.
    #[must_use]
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Whether the principal holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Why credentials were refused. Its message is sent to the client after `unauthorized: `: say what is wrong,
/// never what the right secret would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    message: String,
}

impl AuthError {
    /// A refusal with a message for the client.
    pub fn new(message: impl Into<String>) -> Self {
        AuthError {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AuthError {}

/// Decides whether credentials are good, and which scopes they grant.
///
/// Called at connect, once per scheme of the namespace for which the client sent credentials. `scopes` are the
/// scopes the namespace's operations ask of that scheme (so that, say, a token introspection can ask for them);
/// return the scopes the credentials actually grant in [`Principal::scopes`]: each event then checks its own
/// requirement against them (a missing scope is answered with `forbidden`).
///
/// Implement it with an `async fn`:
///
/// ```
/// use fastsocket::server::{AuthError, Authenticator, Credentials, Principal, Scheme, Secret};
///
/// struct OneToken;
///
/// impl Authenticator for OneToken {
///     async fn authenticate(
///         &self,
///         scheme: &Scheme,
///         _scopes: &[&'static str],
///         credentials: &Credentials,
///     ) -> Result<Principal, AuthError> {
///         match &credentials.secret {
///             Secret::Token(token) if token == "let-me-in" => {
///                 Ok(Principal::new("guest", scheme.key).with_scopes(["desk:read"]))
///             }
///             _ => Err(AuthError::new("invalid token")),
///         }
///     }
/// }
/// ```
pub trait Authenticator: Send + Sync + 'static {
    /// Checks `credentials` against `scheme`: who the client is and what it may do, or why not.
    fn authenticate(
        &self,
        scheme: &Scheme,
        scopes: &[&'static str],
        credentials: &Credentials,
    ) -> impl Future<Output = Result<Principal, AuthError>> + Send;

    /// Called once at startup with every scheme the registered namespaces use, to warn about a configuration
    /// that refuses everyone (the default does nothing; [`TokenList`] warns about schemes without credentials).
    fn check_schemes(&self, schemes: &[Scheme]) {
        let _ = schemes;
    }
}

impl<A: Authenticator> Authenticator for Arc<A> {
    fn authenticate(
        &self,
        scheme: &Scheme,
        scopes: &[&'static str],
        credentials: &Credentials,
    ) -> impl Future<Output = Result<Principal, AuthError>> + Send {
        (**self).authenticate(scheme, scopes, credentials)
    }

    fn check_schemes(&self, schemes: &[Scheme]) {
        (**self).check_schemes(schemes);
    }
}

type AuthFuture<'a> = Pin<Box<dyn Future<Output = Result<Principal, AuthError>> + Send + 'a>>;

/// [`Authenticator`] made object safe, so that the app stores one `Arc<dyn DynAuthenticator>`.
pub(crate) trait DynAuthenticator: Send + Sync + 'static {
    fn authenticate_boxed<'a>(
        &'a self,
        scheme: &'a Scheme,
        scopes: &'a [&'static str],
        credentials: &'a Credentials,
    ) -> AuthFuture<'a>;

    fn check_schemes_dyn(&self, schemes: &[Scheme]);
}

impl<A: Authenticator> DynAuthenticator for A {
    fn authenticate_boxed<'a>(
        &'a self,
        scheme: &'a Scheme,
        scopes: &'a [&'static str],
        credentials: &'a Credentials,
    ) -> AuthFuture<'a> {
        Box::pin(self.authenticate(scheme, scopes, credentials))
    }

    fn check_schemes_dyn(&self, schemes: &[Scheme]) {
        self.check_schemes(schemes);
    }
}

/// The environment variable [`TokenList::from_env`] reads for every scheme without a list of its own.
pub const AUTH_TOKENS_ENV: &str = crate::env_names::AUTH_TOKENS_ENV;

/// One entry of a token list: the secret (a token, or `user:password`) and the scopes it grants.
#[derive(Clone)]
struct Entry {
    secret: String,
    scopes: Vec<String>,
}

/// The default authenticator: fixed lists of credentials from the environment.
///
/// - `FASTSOCKET_AUTH_TOKENS_<SCHEME>` (the scheme's key in upper snake case, see
///   [`auth_tokens_env`](crate::env_names::auth_tokens_env): `deskKey` → `FASTSOCKET_AUTH_TOKENS_DESK_KEY`) holds
///   the credentials of one scheme; `FASTSOCKET_AUTH_TOKENS` those of every scheme without a variable of its own.
/// - A list is comma-separated. An entry is a secret, optionally followed by the scopes it grants, separated by
///   blanks: `tok-1 desk:read desk:write`.
/// - For `http` basic and `userPassword` schemes the secret is `user:password` (split at the first `:`); for
///   every other scheme it is a token, compared whole (a `:` in it is just a character).
/// - A token admits the client as `token-N` (its 1-based position in its list), a user as its name. An empty
///   list refuses every client of its schemes ([`check_schemes`](Authenticator::check_schemes) warns once at
///   startup). Secrets are compared in constant time.
#[derive(Clone, Default)]
pub struct TokenList {
    shared: Vec<Entry>,
    /// Lists of their own, by variable name (`FASTSOCKET_AUTH_TOKENS_DESK_KEY`).
    per_scheme: Vec<(String, Vec<Entry>)>,
}

impl TokenList {
    /// The lists of `FASTSOCKET_AUTH_TOKENS` and of every `FASTSOCKET_AUTH_TOKENS_<SCHEME>` set.
    pub fn from_env() -> Self {
        let mut list = Self::new(
            std::env::var(AUTH_TOKENS_ENV)
                .unwrap_or_default()
                .split(',')
                .map(str::to_owned)
                .collect(),
        );
        let prefix = format!("{AUTH_TOKENS_ENV}_");
        let mut own: Vec<(String, String)> = std::env::vars()
            .filter(|(key, _)| key.starts_with(&prefix) && key.len() > prefix.len())
            .collect();
        // The environment's order is unspecified; a sorted list keeps `Debug` and logs stable.
        own.sort();
        for (key, value) in own {
            list.per_scheme.push((key, parse(value.split(','))));
        }
        list
    }

    /// One list for every scheme: entries as described on [`TokenList`].
    pub fn new(entries: Vec<String>) -> Self {
        TokenList {
            shared: parse(entries.iter().map(String::as_str)),
            per_scheme: Vec::new(),
        }
    }

    /// The same, with a list of its own for the scheme `key` (read from `FASTSOCKET_AUTH_TOKENS_<KEY>` by
    /// [`from_env`](Self::from_env)).
    #[must_use]
    pub fn with_scheme(mut self, key: &str, entries: Vec<String>) -> Self {
        let var = crate::env_names::auth_tokens_env(key);
        let entries = parse(entries.iter().map(String::as_str));
        self.per_scheme.retain(|(k, _)| *k != var);
        self.per_scheme.push((var, entries));
        self
    }

    /// Whether no list holds an entry (every client of a secured namespace is then refused).
    pub fn is_empty(&self) -> bool {
        self.shared.is_empty() && self.per_scheme.iter().all(|(_, e)| e.is_empty())
    }

    /// The list for `scheme` and the variable it comes from.
    fn list_for(&self, scheme: &Scheme) -> (&[Entry], String) {
        let var = crate::env_names::auth_tokens_env(scheme.key);
        match self.per_scheme.iter().find(|(k, _)| *k == var) {
            Some((_, entries)) => (entries, var),
            None => (&self.shared, AUTH_TOKENS_ENV.to_owned()),
        }
    }
}

fn parse<'a>(entries: impl Iterator<Item = &'a str>) -> Vec<Entry> {
    entries
        .filter_map(|entry| {
            let mut words = entry.split_whitespace();
            let secret = words.next()?.to_owned();
            Some(Entry {
                secret,
                scopes: words.map(str::to_owned).collect(),
            })
        })
        .collect()
}

impl fmt::Debug for TokenList {
    /// Counts and variable names only: never the secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("TokenList");
        s.field("shared", &self.shared.len());
        for (var, entries) in &self.per_scheme {
            s.field(var, &entries.len());
        }
        s.finish()
    }
}

impl Authenticator for TokenList {
    async fn authenticate(
        &self,
        scheme: &Scheme,
        _scopes: &[&'static str],
        credentials: &Credentials,
    ) -> Result<Principal, AuthError> {
        let (entries, var) = self.list_for(scheme);
        let own = var != AUTH_TOKENS_ENV;
        match &credentials.secret {
            Secret::Token(token) => {
                // Compare with every entry, so the time does not tell which one matched.
                let mut found = None;
                for (i, entry) in entries.iter().enumerate() {
                    if constant_time_eq(entry.secret.as_bytes(), token.as_bytes())
                        && found.is_none()
                    {
                        found = Some(i);
                    }
                }
                found
                    .map(|i| {
                        let subject = if own {
                            format!("{}/token-{}", scheme.key, i + 1)
                        } else {
                            format!("token-{}", i + 1)
                        };
                        Principal::new(subject, scheme.key).with_scopes(entries[i].scopes.clone())
                    })
                    .ok_or_else(|| AuthError::new("invalid token"))
            }
            Secret::UserPassword { username, password } => {
                let mut found = None;
                for (i, entry) in entries.iter().enumerate() {
                    let (user, known) = entry.secret.split_once(':').unwrap_or(("", ""));
                    let user_ok = constant_time_eq(user.as_bytes(), username.as_bytes());
                    let password_ok = constant_time_eq(known.as_bytes(), password.as_bytes());
                    if user_ok & password_ok & !user.is_empty() && found.is_none() {
                        found = Some(i);
                    }
                }
                found
                    .map(|i| {
                        Principal::new(username.clone(), scheme.key)
                            .with_scopes(entries[i].scopes.clone())
                    })
                    .ok_or_else(|| AuthError::new("invalid user name or password"))
            }
            Secret::None => Err(AuthError::new(format!(
                "scheme `{}` needs a custom authenticator",
                scheme.key
            ))),
        }
    }

    fn check_schemes(&self, schemes: &[Scheme]) {
        let mut warned: Vec<String> = Vec::new();
        for scheme in schemes {
            let (entries, var) = self.list_for(scheme);
            if entries.is_empty() && !warned.contains(&var) {
                let keys: Vec<&str> = schemes
                    .iter()
                    .filter(|s| self.list_for(s).1 == var)
                    .map(|s| s.key)
                    .collect();
                tracing::warn!(
                    target: "fastsocket",
                    schemes = keys.join(", "),
                    "{var} is empty: every client that needs these schemes is refused"
                );
                warned.push(var);
            }
        }
    }
}

/// Equality whose time depends on the lengths only.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The raw handshake a client connected with.
pub(crate) struct Handshake<'a> {
    pub(crate) auth: &'a Value,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) query: Option<&'a str>,
}

impl Handshake<'_> {
    /// The credentials for `scheme`, or what is missing (a message for the client).
    pub(crate) fn credentials(&self, scheme: &Scheme) -> Result<Credentials, AuthError> {
        let secret = self.secret(scheme)?;
        Ok(Credentials {
            secret,
            auth: self.auth.clone(),
            headers: self.headers.clone(),
            query: self.query.map(str::to_owned),
        })
    }

    fn secret(&self, scheme: &Scheme) -> Result<Secret, AuthError> {
        match scheme.kind {
            SchemeKind::HttpBearer | SchemeKind::OAuth2 | SchemeKind::OpenIdConnect => self
                .auth_str("token")
                .or_else(|| self.authorization("Bearer"))
                .map(Secret::Token)
                .ok_or_else(|| {
                    AuthError::new("missing bearer token (auth.token or Authorization header)")
                }),
            SchemeKind::HttpBasic | SchemeKind::UserPassword => {
                if let (Some(username), Some(password)) =
                    (self.auth_str("username"), self.auth_str("password"))
                {
                    return Ok(Secret::UserPassword { username, password });
                }
                self.basic().ok_or_else(|| {
                    AuthError::new(
                        "missing user name and password (auth.username and auth.password, or \
                         Authorization: Basic header)",
                    )
                })
            }
            SchemeKind::HttpApiKey { name, location } => self
                .auth_str(name)
                .or_else(|| match location {
                    KeyLocation::Query => self.query_param(name),
                    KeyLocation::Header => self.header(name),
                    KeyLocation::Cookie => self.cookie(name),
                })
                .map(Secret::Token)
                .ok_or_else(|| {
                    AuthError::new(format!(
                        "missing API key (auth.{name} or {} `{name}`)",
                        location.describe()
                    ))
                }),
            SchemeKind::ApiKey => self
                .auth_str("token")
                .map(Secret::Token)
                .ok_or_else(|| AuthError::new("missing API key (auth.token)")),
            SchemeKind::Other => Ok(Secret::None),
        }
    }

    /// A non-empty string field of the `auth` payload.
    pub(crate) fn auth_str(&self, field: &str) -> Option<String> {
        match self.auth.get(field) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        let value = self.headers.get(name)?.to_str().ok()?.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// The credentials of `Authorization: <scheme> <credentials>` (the scheme is case-insensitive).
    pub(crate) fn authorization(&self, scheme: &str) -> Option<String> {
        let value = self
            .headers
            .get(header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .trim();
        let (name, rest) = value.split_once(' ')?;
        let rest = rest.trim();
        (name.eq_ignore_ascii_case(scheme) && !rest.is_empty()).then(|| rest.to_owned())
    }

    fn basic(&self) -> Option<Secret> {
        let encoded = self.authorization("Basic")?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (username, password) = decoded.split_once(':')?;
        Some(Secret::UserPassword {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }

    /// A query parameter, percent-decoded (`+` is a space).
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        self.query?.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(key) == name)
                .then(|| decode_component(value))
                .filter(|v| !v.is_empty())
        })
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                (key == name && !value.is_empty()).then(|| value.to_owned())
            })
    }
}

/// What the authenticator said at connect about each scheme the namespace uses.
enum Outcome {
    /// The credentials passed.
    Admitted(Principal),
    /// The credentials were sent and refused.
    Refused(AuthError),
    /// No credentials were sent for the scheme (the message says what to send).
    Missing(AuthError),
}

/// The authentication of one socket: every scheme of its namespace, checked once at connect. Both the
/// admission ([`admit`](Self::admit)) and every event's authorization ([`authorize`](Self::authorize)) are
/// read from it, so an event costs no authenticator call.
#[derive(Default)]
pub(crate) struct Verdicts {
    by_scheme: Vec<(&'static str, Outcome)>,
}

/// Why an event is refused: no credentials of an acceptable scheme, or a missing scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Denied {
    /// Answered with `unauthorized`.
    Unauthorized(String),
    /// Answered with `forbidden`.
    Forbidden(String),
}

impl Verdicts {
    /// Checks the credentials of every scheme `security` names for which the handshake holds some (one
    /// authenticator call each, with the union of the scopes asked of that scheme).
    pub(crate) async fn gather(
        security: Security,
        handshake: &Handshake<'_>,
        authenticator: &dyn DynAuthenticator,
    ) -> Verdicts {
        let mut verdicts = Verdicts::default();
        let uses = security.iter().flat_map(|r| r.iter());
        for first in uses.clone() {
            let scheme = first.scheme;
            if verdicts.by_scheme.iter().any(|(k, _)| *k == scheme.key) {
                continue;
            }
            let mut scopes: Vec<&'static str> = Vec::new();
            for u in uses.clone().filter(|u| u.scheme.key == scheme.key) {
                for scope in u.scopes {
                    if !scopes.contains(scope) {
                        scopes.push(scope);
                    }
                }
            }
            let outcome = match handshake.credentials(&scheme) {
                Err(missing) => Outcome::Missing(missing),
                Ok(credentials) => match authenticator
                    .authenticate_boxed(&scheme, &scopes, &credentials)
                    .await
                {
                    Ok(principal) => Outcome::Admitted(principal),
                    Err(error) => Outcome::Refused(error),
                },
            };
            verdicts.by_scheme.push((scheme.key, outcome));
        }
        verdicts
    }

    fn principal(&self, key: &str) -> Option<&Principal> {
        self.by_scheme.iter().find_map(|(k, o)| match o {
            Outcome::Admitted(p) if *k == key => Some(p),
            _ => None,
        })
    }

    /// Whether a client may join a namespace of `security` (schemes only: scopes are checked per event, where a
    /// missing one is answered with `forbidden`), and its principal: the first scheme's of the alternative that
    /// admitted it, or, when the namespace admits anyone, the first scheme that passed.
    ///
    /// On refusal the client reads why: credentials it sent that were refused (`invalid token`) come first;
    /// else every alternative's missing credentials, so that a client of any of them learns what to send.
    pub(crate) fn admit(&self, security: Security) -> Result<Option<Principal>, AuthError> {
        if security.is_empty() || security.iter().any(|r| r.is_empty()) {
            let first = self.by_scheme.iter().find_map(|(_, o)| match o {
                Outcome::Admitted(p) => Some(p.clone()),
                _ => None,
            });
            return Ok(first);
        }
        for requirement in security {
            if requirement
                .iter()
                .all(|u| self.principal(u.scheme.key).is_some())
            {
                return Ok(self.principal(requirement[0].scheme.key).cloned());
            }
        }
        let outcome = |key: &str| {
            self.by_scheme
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, o)| o)
        };
        let mut missing: Vec<&str> = Vec::new();
        for u in security.iter().flat_map(|r| r.iter()) {
            match outcome(u.scheme.key) {
                Some(Outcome::Refused(error)) => return Err(error.clone()),
                Some(Outcome::Missing(error)) if !missing.contains(&error.message()) => {
                    missing.push(error.message());
                }
                _ => {}
            }
        }
        Err(if missing.is_empty() {
            AuthError::new("no security alternative applies")
        } else {
            AuthError::new(missing.join(", or "))
        })
    }

    /// Whether an event of `security` may run: some alternative whose every scheme passed at connect and whose
    /// scopes the principals hold.
    pub(crate) fn authorize(&self, security: Security) -> Result<(), Denied> {
        if security.is_empty() {
            return Ok(());
        }
        let mut lacking: Option<String> = None;
        for requirement in security {
            let principals: Option<Vec<&Principal>> = requirement
                .iter()
                .map(|u| self.principal(u.scheme.key))
                .collect();
            let Some(principals) = principals else {
                continue;
            };
            let missing = requirement
                .iter()
                .zip(principals)
                .find_map(|(u, p)| u.scopes.iter().find(|s| !p.has_scope(s)).map(|s| (u, s)));
            match missing {
                None => return Ok(()),
                Some((u, scope)) => {
                    lacking.get_or_insert_with(|| {
                        format!("missing scope `{scope}` of scheme `{}`", u.scheme.key)
                    });
                }
            }
        }
        if let Some(message) = lacking {
            return Err(Denied::Forbidden(message));
        }
        let alternatives: Vec<String> = security
            .iter()
            .map(|r| {
                r.iter()
                    .map(|u| format!("`{}`", u.scheme.key))
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .collect();
        Err(Denied::Unauthorized(format!(
            "this event needs credentials of {}",
            alternatives.join(", or ")
        )))
    }
}

fn decode_component(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_encoding::percent_decode_str(&s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    const BEARER: Scheme = Scheme {
        key: "bearer",
        kind: SchemeKind::HttpBearer,
    };
    const BASIC: Scheme = Scheme {
        key: "basic",
        kind: SchemeKind::HttpBasic,
    };

    fn handshake<'a>(
        auth: &'a Value,
        headers: &'a HeaderMap,
        query: Option<&'a str>,
    ) -> Handshake<'a> {
        Handshake {
            auth,
            headers,
            query,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn bearer_from_auth_then_header() {
        let none = HeaderMap::new();
        let auth = json!({"token": "a"});
        assert_eq!(
            handshake(&auth, &none, None).secret(&BEARER).unwrap(),
            Secret::Token("a".into())
        );
        let h = headers(&[("authorization", "bearer  b ")]);
        assert_eq!(
            handshake(&json!({}), &h, None).secret(&BEARER).unwrap(),
            Secret::Token("b".into())
        );
        let error = handshake(&json!({"token": 1}), &none, None)
            .secret(&BEARER)
            .unwrap_err();
        assert_eq!(
            error.message(),
            "missing bearer token (auth.token or Authorization header)"
        );
        let h = headers(&[("authorization", "Basic abc")]);
        assert!(handshake(&json!({}), &h, None).secret(&BEARER).is_err());
    }

    #[test]
    fn basic_from_auth_then_header() {
        let none = HeaderMap::new();
        let auth = json!({"username": "ada", "password": "pw"});
        assert_eq!(
            handshake(&auth, &none, None).secret(&BASIC).unwrap(),
            Secret::UserPassword {
                username: "ada".into(),
                password: "pw".into()
            }
        );
        // "ada:p:w" in base64: the password may hold colons.
        let h = headers(&[("authorization", "Basic YWRhOnA6dw==")]);
        assert_eq!(
            handshake(&json!({}), &h, None).secret(&BASIC).unwrap(),
            Secret::UserPassword {
                username: "ada".into(),
                password: "p:w".into()
            }
        );
        let h = headers(&[("authorization", "Basic !!!")]);
        assert!(handshake(&json!({}), &h, None).secret(&BASIC).is_err());
    }

    #[test]
    fn api_keys_by_location() {
        let scheme = |location| Scheme {
            key: "k",
            kind: SchemeKind::HttpApiKey {
                name: "api_key",
                location,
            },
        };
        let none = HeaderMap::new();
        let q = Some("EIO=4&transport=polling&api_key=a%2Fb+c");
        assert_eq!(
            handshake(&json!({}), &none, q)
                .secret(&scheme(KeyLocation::Query))
                .unwrap(),
            Secret::Token("a/b c".into())
        );
        let h = headers(&[("api_key", "h")]);
        assert_eq!(
            handshake(&json!({}), &h, None)
                .secret(&scheme(KeyLocation::Header))
                .unwrap(),
            Secret::Token("h".into())
        );
        let h = headers(&[("cookie", "x=1; api_key=c")]);
        assert_eq!(
            handshake(&json!({}), &h, None)
                .secret(&scheme(KeyLocation::Cookie))
                .unwrap(),
            Secret::Token("c".into())
        );
        assert_eq!(
            handshake(&json!({"api_key": "p"}), &none, None)
                .secret(&scheme(KeyLocation::Query))
                .unwrap(),
            Secret::Token("p".into())
        );
        assert_eq!(
            handshake(&json!({}), &none, Some("api_key="))
                .secret(&scheme(KeyLocation::Query))
                .unwrap_err()
                .message(),
            "missing API key (auth.api_key or query parameter `api_key`)"
        );
    }

    fn creds(secret: Secret) -> Credentials {
        Credentials {
            secret,
            auth: json!({}),
            headers: HeaderMap::new(),
            query: None,
        }
    }

    fn token(s: &str) -> Secret {
        Secret::Token(s.into())
    }

    fn user(u: &str, p: &str) -> Secret {
        Secret::UserPassword {
            username: u.into(),
            password: p.into(),
        }
    }

    #[tokio::test]
    async fn token_list() {
        let list = TokenList::new(vec![
            " t1 ".into(),
            "".into(),
            "t2 desk:read  desk:write".into(),
            "ada:pw:x".into(),
        ]);
        assert!(!list.is_empty());
        let p = list
            .authenticate(&BEARER, &[], &creds(token("t2")))
            .await
            .unwrap();
        assert_eq!(
            p,
            Principal::new("token-2", "bearer").with_scopes(["desk:read", "desk:write"])
        );
        assert!(p.has_scope("desk:write") && !p.has_scope("desk"));
        assert!(
            list.authenticate(&BEARER, &[], &creds(token("t3")))
                .await
                .is_err()
        );
        // An entry with a `:` is a token for a token scheme ...
        let p = list
            .authenticate(&BEARER, &[], &creds(token("ada:pw:x")))
            .await
            .unwrap();
        assert_eq!(p.subject, "token-3");
        // ... and a user name and password for basic.
        let p = list
            .authenticate(&BASIC, &[], &creds(user("ada", "pw:x")))
            .await
            .unwrap();
        assert_eq!(p.subject, "ada");
        for (u, pw) in [("ada", "pw"), ("t1", ""), ("", "")] {
            assert!(
                list.authenticate(&BASIC, &[], &creds(user(u, pw)))
                    .await
                    .is_err(),
                "{u}:{pw}"
            );
        }
        let empty = TokenList::new(vec![]);
        assert!(empty.is_empty());
        assert!(
            empty
                .authenticate(&BEARER, &[], &creds(token("")))
                .await
                .is_err()
        );
        assert_eq!(format!("{list:?}"), "TokenList { shared: 3 }");
        assert_eq!(format!("{:?}", Secret::Token("s".into())), "Token(***)");
    }

    #[tokio::test]
    async fn a_scheme_with_its_own_list_ignores_the_shared_one() {
        let list = TokenList::new(vec!["shared".into()])
            .with_scheme("basic", vec!["ada:pw".into()])
            .with_scheme("bearer", vec![]);
        assert!(
            list.authenticate(&BEARER, &[], &creds(token("shared")))
                .await
                .is_err()
        );
        let other = Scheme {
            key: "deskKey",
            kind: SchemeKind::ApiKey,
        };
        assert!(
            list.authenticate(&other, &[], &creds(token("shared")))
                .await
                .is_ok()
        );
        let p = list
            .authenticate(&BASIC, &[], &creds(user("ada", "pw")))
            .await
            .unwrap();
        assert_eq!(p.subject, "ada");
        let p = TokenList::new(vec![])
            .with_scheme("deskKey", vec!["k1".into()])
            .authenticate(&other, &[], &creds(token("k1")))
            .await
            .unwrap();
        assert_eq!(p.subject, "deskKey/token-1");
        assert_eq!(
            format!("{list:?}"),
            "TokenList { shared: 1, FASTSOCKET_AUTH_TOKENS_BASIC: 1, FASTSOCKET_AUTH_TOKENS_BEARER: 0 }"
        );
    }

    #[test]
    fn credentials_debug_shows_no_secret() {
        let c = Credentials {
            secret: token("s3cr3t"),
            auth: json!({"token": "s3cr3t"}),
            headers: headers(&[("authorization", "Bearer s3cr3t")]),
            query: Some("api_key=s3cr3t".into()),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(
            shown.contains("\"token\"") && shown.contains("authorization"),
            "{shown}"
        );
    }

    const OAUTH: Scheme = Scheme {
        key: "oauth",
        kind: SchemeKind::OAuth2,
    };
    const KEY: Scheme = Scheme {
        key: "key",
        kind: SchemeKind::HttpApiKey {
            name: "x-key",
            location: KeyLocation::Header,
        },
    };
    const fn used(scheme: Scheme, scopes: &'static [&'static str]) -> SchemeUse {
        SchemeUse { scheme, scopes }
    }
    /// bearer alone, or the key AND basic together.
    const BEARER_OR_KEY_AND_BASIC: Security =
        &[&[used(BEARER, &[])], &[used(KEY, &[]), used(BASIC, &[])]];
    const WRITE: Security = &[&[used(OAUTH, &["desk:write"])]];
    const READ: Security = &[&[used(OAUTH, &["desk:read"])]];
    /// Everything a namespace of the events above accepts, and anyone.
    const CONNECT: Security = &[
        &[used(BEARER, &[])],
        &[used(KEY, &[]), used(BASIC, &[])],
        &[used(OAUTH, &["desk:write"])],
        &[used(OAUTH, &["desk:read"])],
        &[],
    ];

    /// Records the scopes each call was given.
    struct Recording {
        list: TokenList,
        calls: std::sync::Mutex<Vec<(&'static str, Vec<&'static str>)>>,
    }

    impl Authenticator for Recording {
        async fn authenticate(
            &self,
            scheme: &Scheme,
            scopes: &[&'static str],
            credentials: &Credentials,
        ) -> Result<Principal, AuthError> {
            self.calls
                .lock()
                .unwrap()
                .push((scheme.key, scopes.to_vec()));
            self.list.authenticate(scheme, scopes, credentials).await
        }
    }

    async fn verdicts(security: Security, auth: Value, h: &HeaderMap) -> (Verdicts, Recording) {
        let recording = Recording {
            list: TokenList::new(vec!["bt".into(), "ada:pw".into(), "kk".into()]).with_scheme(
                "oauth",
                vec![
                    "reader desk:read".into(),
                    "writer desk:write desk:read".into(),
                ],
            ),
            calls: std::sync::Mutex::new(Vec::new()),
        };
        let handshake = handshake(&auth, h, None);
        let v = Verdicts::gather(security, &handshake, &recording).await;
        (v, recording)
    }

    #[tokio::test]
    async fn each_credential_reaches_exactly_its_requirements() {
        let none = HeaderMap::new();
        // No credentials: admitted (the namespace has an open event), nothing else.
        let (v, rec) = verdicts(CONNECT, json!({}), &none).await;
        assert!(rec.calls.lock().unwrap().is_empty());
        assert_eq!(v.admit(CONNECT), Ok(None));
        assert_eq!(v.authorize(&[]), Ok(()));
        let Err(Denied::Unauthorized(message)) = v.authorize(BEARER_OR_KEY_AND_BASIC) else {
            panic!()
        };
        assert_eq!(
            message,
            "this event needs credentials of `bearer`, or `key` and `basic`"
        );
        assert!(matches!(v.authorize(WRITE), Err(Denied::Unauthorized(_))));

        // The bearer token: the bearer event only (the oauth list is the scheme's own and lacks it).
        let (v, rec) = verdicts(CONNECT, json!({"token": "bt"}), &none).await;
        assert_eq!(v.admit(CONNECT).unwrap().unwrap().scheme, "bearer");
        assert_eq!(v.authorize(BEARER_OR_KEY_AND_BASIC), Ok(()));
        assert!(matches!(v.authorize(WRITE), Err(Denied::Unauthorized(_))));
        // The authenticator saw every scheme with credentials, with the scopes asked of it.
        assert_eq!(
            *rec.calls.lock().unwrap(),
            [
                ("bearer", vec![]),
                ("oauth", vec!["desk:write", "desk:read"])
            ]
        );

        // The key alone is not enough: AND within a requirement.
        let h = headers(&[("x-key", "kk")]);
        let (v, _) = verdicts(BEARER_OR_KEY_AND_BASIC, json!({}), &h).await;
        assert!(v.admit(BEARER_OR_KEY_AND_BASIC).is_err());
        assert!(matches!(
            v.authorize(BEARER_OR_KEY_AND_BASIC),
            Err(Denied::Unauthorized(_))
        ));
        let (v, _) = verdicts(
            BEARER_OR_KEY_AND_BASIC,
            json!({"username": "ada", "password": "pw"}),
            &h,
        )
        .await;
        assert_eq!(
            v.admit(BEARER_OR_KEY_AND_BASIC).unwrap().unwrap().scheme,
            "key"
        );
        assert_eq!(v.authorize(BEARER_OR_KEY_AND_BASIC), Ok(()));

        // Scopes: the reader reads, and is forbidden to write.
        let (v, _) = verdicts(CONNECT, json!({"token": "reader"}), &none).await;
        assert_eq!(v.authorize(READ), Ok(()));
        assert_eq!(
            v.authorize(WRITE),
            Err(Denied::Forbidden(
                "missing scope `desk:write` of scheme `oauth`".into()
            ))
        );
        assert!(matches!(
            v.authorize(BEARER_OR_KEY_AND_BASIC),
            Err(Denied::Unauthorized(_))
        ));
        let (v, _) = verdicts(CONNECT, json!({"token": "writer"}), &none).await;
        assert_eq!(v.authorize(READ), Ok(()));
        assert_eq!(v.authorize(WRITE), Ok(()));
    }

    #[tokio::test]
    async fn refusals_name_the_refused_credentials_first() {
        let none = HeaderMap::new();
        let (v, _) = verdicts(BEARER_OR_KEY_AND_BASIC, json!({"token": "nope"}), &none).await;
        assert_eq!(
            v.admit(BEARER_OR_KEY_AND_BASIC).unwrap_err().message(),
            "invalid token"
        );
        let (v, _) = verdicts(BEARER_OR_KEY_AND_BASIC, json!({}), &none).await;
        assert_eq!(
            v.admit(BEARER_OR_KEY_AND_BASIC).unwrap_err().message(),
            "missing bearer token (auth.token or Authorization header), or missing API key (auth.x-key or \
             header `x-key`), or missing user name and password (auth.username and auth.password, or \
             Authorization: Basic header)"
        );
        // A refused token of an open namespace is no refusal of the connection.
        let (v, _) = verdicts(CONNECT, json!({"token": "nope"}), &none).await;
        assert_eq!(v.admit(CONNECT), Ok(None));
    }
}
