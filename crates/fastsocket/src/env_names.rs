//! Names of environment variables that both the runtime and the generator (which lists them in the generated
//! README and `.env.example`) must spell the same way.

/// The credentials of every security scheme without a list of its own (comma-separated).
pub const AUTH_TOKENS_ENV: &str = "FASTSOCKET_AUTH_TOKENS";

/// The variable holding the credentials of the scheme `key`: `FASTSOCKET_AUTH_TOKENS_` and the key in upper
/// snake case (`deskKey` → `FASTSOCKET_AUTH_TOKENS_DESK_KEY`, `adminAPIKey` → `…_ADMIN_API_KEY`,
/// `desk-oauth` → `…_DESK_OAUTH`). Characters other than ASCII letters and digits separate words.
pub fn auth_tokens_env(key: &str) -> String {
    format!("{AUTH_TOKENS_ENV}_{}", upper_snake(key))
}

fn upper_snake(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 && !out.is_empty() && !out.ends_with('_') {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            // `deskKey`: a word starts at a capital after a lower-case letter or digit; `APIKey`: the last
            // capital of a run starts a word when a lower-case letter follows.
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_uppercase());
    }
    let trimmed = out.trim_end_matches('_');
    if trimmed.is_empty() {
        "SCHEME".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::auth_tokens_env;

    #[test]
    fn scheme_keys_in_upper_snake_case() {
        for (key, var) in [
            ("deskKey", "DESK_KEY"),
            ("adminAPIKey", "ADMIN_API_KEY"),
            ("desk-oauth", "DESK_OAUTH"),
            ("bearer", "BEARER"),
            ("oauth2Scheme", "OAUTH2_SCHEME"),
            ("__weird..key__", "WEIRD_KEY"),
            ("ümlaut", "MLAUT"),
            ("---", "SCHEME"),
        ] {
            assert_eq!(
                auth_tokens_env(key),
                format!("FASTSOCKET_AUTH_TOKENS_{var}"),
                "{key}"
            );
        }
    }
}
