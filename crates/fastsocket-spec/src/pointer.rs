//! JSON pointers (RFC 6901) as they appear in `$ref` fragments (RFC 3986 percent-encoding on top).

/// Escapes one reference token: `~` → `~0`, `/` → `~1`.
pub fn escape(token: &str) -> String {
    if !token.contains(['~', '/']) {
        return token.to_string();
    }
    token.replace('~', "~0").replace('/', "~1")
}

/// `base` extended by one token.
pub fn push(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    out.push_str(&escape(token));
    out
}

/// `base` extended by an array index.
pub fn push_index(base: &str, index: usize) -> String {
    format!("{base}/{index}")
}

/// Splits a `$ref` fragment (the part after `#`) into unescaped tokens.
///
/// Percent-decoding comes first (the fragment is a URI part), then `~1` and `~0` in that order (RFC 6901 §4).
pub fn parse_fragment(fragment: &str) -> Result<Vec<String>, String> {
    let decoded = percent_encoding::percent_decode_str(fragment)
        .decode_utf8()
        .map_err(|_| {
            format!("the fragment `{fragment}` is not valid UTF-8 once percent-decoded")
        })?;
    if decoded.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = decoded.strip_prefix('/') else {
        return Err(format!(
            "the fragment `#{fragment}` is not a JSON pointer (it must start with `/`)"
        ));
    };
    rest.split('/').map(unescape).collect()
}

fn unescape(token: &str) -> Result<String, String> {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => {
                    return Err(format!(
                        "`~` must be followed by `0` or `1` in the JSON pointer token `{token}`"
                    ));
                }
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Joins tokens back into a pointer string.
pub fn join(tokens: &[String]) -> String {
    tokens.iter().fold(String::new(), |acc, t| push(&acc, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_are_decoded_then_unescaped() {
        assert_eq!(
            parse_fragment("/a~1b/c~0d/e%20f").unwrap(),
            vec!["a/b", "c~d", "e f"]
        );
        assert_eq!(parse_fragment("/a~01").unwrap(), vec!["a~1"]);
        assert_eq!(parse_fragment("").unwrap(), Vec::<String>::new());
        assert!(parse_fragment("/a~2").is_err());
        assert!(parse_fragment("components").is_err());
    }

    #[test]
    fn escape_round_trips() {
        for token in ["plain", "a/b", "~", "~1", "x~/y"] {
            let pointer = push("", token);
            assert_eq!(parse_fragment(&pointer).unwrap(), vec![token.to_string()]);
        }
    }
}
