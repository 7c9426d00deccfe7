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

/// The security of a namespace: alternatives (any one suffices), each a list of schemes that must all pass.
/// Empty means no authentication.
pub type Security = &'static [&'static [Scheme]];

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
#[derive(Debug, Clone)]
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

/// Who the client is, once authenticated. Handlers read it with [`Context::principal`](super::Context::principal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user, service or key the credentials stand for.
    pub subject: String,
    /// The key of the scheme that admitted the client.
    pub scheme: &'static str,
}

impl Principal {
    /// A principal.
    pub fn new(subject: impl Into<String>, scheme: &'static str) -> Self {
        Principal {
            subject: subject.into(),
            scheme,
        }
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

/// Decides whether credentials are good. Called once per scheme of an alternative, in order, at connect.
///
/// Implement it with an `async fn`:
///
/// ```
/// use fastsocket::server::{AuthError, Authenticator, Credentials, Principal, Scheme, Secret};
///
/// struct OneToken;
///
/// impl Authenticator for OneToken {
///     async fn authenticate(&self, scheme: &Scheme, credentials: &Credentials) -> Result<Principal, AuthError> {
///         match &credentials.secret {
///             Secret::Token(token) if token == "let-me-in" => Ok(Principal::new("guest", scheme.key)),
///             _ => Err(AuthError::new("invalid token")),
///         }
///     }
/// }
/// ```
pub trait Authenticator: Send + Sync + 'static {
    /// Checks `credentials` against `scheme`: who the client is, or why not.
    fn authenticate(
        &self,
        scheme: &Scheme,
        credentials: &Credentials,
    ) -> impl Future<Output = Result<Principal, AuthError>> + Send;
}

impl<A: Authenticator> Authenticator for Arc<A> {
    fn authenticate(
        &self,
        scheme: &Scheme,
        credentials: &Credentials,
    ) -> impl Future<Output = Result<Principal, AuthError>> + Send {
        (**self).authenticate(scheme, credentials)
    }
}

type AuthFuture<'a> = Pin<Box<dyn Future<Output = Result<Principal, AuthError>> + Send + 'a>>;

/// [`Authenticator`] made object safe, so that the app stores one `Arc<dyn DynAuthenticator>`.
pub(crate) trait DynAuthenticator: Send + Sync + 'static {
    fn authenticate_boxed<'a>(
        &'a self,
        scheme: &'a Scheme,
        credentials: &'a Credentials,
    ) -> AuthFuture<'a>;
}

impl<A: Authenticator> DynAuthenticator for A {
    fn authenticate_boxed<'a>(
        &'a self,
        scheme: &'a Scheme,
        credentials: &'a Credentials,
    ) -> AuthFuture<'a> {
        Box::pin(self.authenticate(scheme, credentials))
    }
}

/// The default authenticator: a fixed list of tokens and `user:password` pairs, from `FASTSOCKET_AUTH_TOKENS`
/// (comma-separated).
///
/// An entry with a `:` is a user name and password (for `http` basic and `userPassword`); any other entry is a
/// token (for bearer, API keys, OAuth2 and OpenID Connect access tokens). A token admits the client as
/// `token-N` (its 1-based position in the list), a user as its name. With no entries, every client of a secured
/// namespace is refused. Secrets are compared in constant time.
#[derive(Clone, Default)]
pub struct TokenList {
    tokens: Vec<String>,
    users: Vec<(String, String)>,
}

/// The environment variable [`TokenList::from_env`] reads.
pub const AUTH_TOKENS_ENV: &str = "FASTSOCKET_AUTH_TOKENS";

impl TokenList {
    /// The entries of `FASTSOCKET_AUTH_TOKENS` (comma-separated, blanks trimmed, empty entries skipped).
    pub fn from_env() -> Self {
        let entries = std::env::var(AUTH_TOKENS_ENV).unwrap_or_default();
        Self::new(entries.split(',').map(str::to_owned).collect())
    }

    /// A list of entries: `user:password` pairs and tokens.
    pub fn new(entries: Vec<String>) -> Self {
        let mut list = TokenList::default();
        for entry in entries {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            match entry.split_once(':') {
                Some((user, password)) => list.users.push((user.to_owned(), password.to_owned())),
                None => list.tokens.push(entry.to_owned()),
            }
        }
        list
    }

    /// Whether the list holds no entry (every client of a secured namespace is then refused).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.users.is_empty()
    }
}

impl fmt::Debug for TokenList {
    /// Counts only: never the secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenList")
            .field("tokens", &self.tokens.len())
            .field("users", &self.users.len())
            .finish()
    }
}

impl Authenticator for TokenList {
    async fn authenticate(
        &self,
        scheme: &Scheme,
        credentials: &Credentials,
    ) -> Result<Principal, AuthError> {
        if self.is_empty() {
            tracing::warn!(
                target: "fastsocket",
                scheme = scheme.key,
                "no credentials are configured ({AUTH_TOKENS_ENV} is empty): refusing the client"
            );
        }
        match &credentials.secret {
            Secret::Token(token) => {
                // Compare with every entry, so the time does not tell which one matched.
                let mut found = None;
                for (i, known) in self.tokens.iter().enumerate() {
                    if constant_time_eq(known.as_bytes(), token.as_bytes()) && found.is_none() {
                        found = Some(i);
                    }
                }
                found
                    .map(|i| Principal::new(format!("token-{}", i + 1), scheme.key))
                    .ok_or_else(|| AuthError::new("invalid token"))
            }
            Secret::UserPassword { username, password } => {
                let mut ok = false;
                for (user, known) in &self.users {
                    let user_ok = constant_time_eq(user.as_bytes(), username.as_bytes());
                    let password_ok = constant_time_eq(known.as_bytes(), password.as_bytes());
                    ok |= user_ok & password_ok;
                }
                if ok {
                    Ok(Principal::new(username.clone(), scheme.key))
                } else {
                    Err(AuthError::new("invalid user name or password"))
                }
            }
            Secret::None => Err(AuthError::new(format!(
                "scheme `{}` needs a custom authenticator",
                scheme.key
            ))),
        }
    }
}

/// Equality whose time depends on the lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
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
    fn auth_str(&self, field: &str) -> Option<String> {
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
    fn authorization(&self, scheme: &str) -> Option<String> {
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
    fn query_param(&self, name: &str) -> Option<String> {
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

    #[tokio::test]
    async fn token_list() {
        let list = TokenList::new(vec![
            " t1 ".into(),
            "".into(),
            "t2".into(),
            "ada:pw:x".into(),
        ]);
        assert!(!list.is_empty());
        let creds = |secret| Credentials {
            secret,
            auth: json!({}),
            headers: HeaderMap::new(),
            query: None,
        };
        let p = list
            .authenticate(&BEARER, &creds(Secret::Token("t2".into())))
            .await
            .unwrap();
        assert_eq!(p, Principal::new("token-2", "bearer"));
        assert!(
            list.authenticate(&BEARER, &creds(Secret::Token("t3".into())))
                .await
                .is_err()
        );
        let p = list
            .authenticate(
                &BASIC,
                &creds(Secret::UserPassword {
                    username: "ada".into(),
                    password: "pw:x".into(),
                }),
            )
            .await
            .unwrap();
        assert_eq!(p.subject, "ada");
        assert!(
            list.authenticate(
                &BASIC,
                &creds(Secret::UserPassword {
                    username: "ada".into(),
                    password: "pw".into(),
                }),
            )
            .await
            .is_err()
        );
        let empty = TokenList::new(vec![]);
        assert!(empty.is_empty());
        assert!(
            empty
                .authenticate(&BEARER, &creds(Secret::Token("".into())))
                .await
                .is_err()
        );
        assert_eq!(format!("{list:?}"), "TokenList { tokens: 2, users: 1 }");
        assert_eq!(format!("{:?}", Secret::Token("s".into())), "Token(***)");
    }
}
