//! Secrets stay out of logs: names that look like they hold one (`password`, `token`, `apiKey`, …).
//!
//! Records never carry payloads, handshake `auth` objects, headers or query strings; what is left to guard is
//! the text around a name: a validation message at `/password` may quote the value, a `tracing` field called
//! `token` holds one.

/// What a secret's value is replaced with.
pub const REDACTED: &str = "(redacted)";

/// Fragments of names that hold secrets, compared without case, `_` or `-`.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "authorization",
    "auth",
    "credential",
    "cookie",
    "session",
    "privatekey",
    "signature",
    "pin",
];

/// Whether a name (a field, a JSON pointer token) looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    if folded == "pin" {
        return true;
    }
    SECRET_WORDS
        .iter()
        .filter(|word| **word != "pin")
        .any(|word| folded.contains(word))
}

/// Whether any token of a JSON pointer looks like it holds a secret.
pub fn is_secret_path(pointer: &str) -> bool {
    pointer.split('/').any(is_secret_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_names() {
        for name in [
            "password",
            "newPassword",
            "api_key",
            "X-Api-Key",
            "accessToken",
            "auth",
            "pin",
            "client_secret",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["text", "name", "pinned", "spinner", "room", "count"] {
            assert!(!is_secret_name(name), "{name}");
        }
        assert!(is_secret_path("/user/password"));
        assert!(!is_secret_path("/user/name"));
    }
}
