//! Escaping for each place text from a document lands in: a description may hold `*/`, backticks, `${`,
//! `</script>` or `{{`, and none of them may change the meaning of the generated code.
//!
//! The rule that keeps the Vue files safe: text from the document never appears in a `<template>` or in an
//! attribute; it is a string literal in `<script setup>` (written by [`js_string`]) and is rendered with `{{ }}`
//! from there, which Vue escapes as text.

use serde_json::Value;

/// A JavaScript/TypeScript string literal for any text, safe inside `<script>` of an HTML or Vue file: JSON's
/// escaping, plus `/` as `\/`, `<`, `>`, `&` and the line separators U+2028/U+2029 as `\u` escapes (so `</script>` and `<!--`
/// cannot end or change the script block). Backticks and `${` are inert in a double-quoted literal.
pub fn js_string(text: &str) -> String {
    js_value(&Value::String(text.to_string()))
}

/// Any JSON value as a JavaScript expression, with the same escaping as [`js_string`].
///
/// A `"__proto__"` key is written as the computed key `["__proto__"]`: in an object literal the plain key sets
/// the object's prototype instead of making a property (a schema with a property named `__proto__` would lose
/// it, and hand its value to every lookup on that object).
pub fn js_value(value: &Value) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    // In compact JSON an unescaped `"` after `{` or `,` opens a key: inside strings every `"` is escaped.
    let json = if json.contains("\"__proto__\":") {
        json.replace("{\"__proto__\":", "{[\"__proto__\"]:")
            .replace(",\"__proto__\":", ",[\"__proto__\"]:")
    } else {
        json
    };
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            // `\/` keeps `*/` out of every literal, so a literal may also sit inside a comment.
            '/' => out.push_str("\\/"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A JSDoc block for `text` (empty when `text` is blank), each line prefixed with `indent`. `*/` inside the text
/// would close the comment early, so it is written `*\/`; `</` is written `<\/` so a block can also sit in a
/// `<script>` element.
pub fn doc_comment(text: &str, indent: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let mut out = format!("{indent}/**\n");
    for line in text.replace("*/", "*\\/").replace("</", "<\\/").lines() {
        let line = line.trim_end();
        if line.is_empty() {
            out.push_str(&format!("{indent} *\n"));
        } else {
            out.push_str(&format!("{indent} * {line}\n"));
        }
    }
    out.push_str(&format!("{indent} */\n"));
    out
}

/// Text quoted in a comment (`` `text` ``), safe in a line comment, a block comment and a `<script>`: line breaks
/// become spaces, `*/` and `</` are written `*\/` and `<\/`.
pub fn comment_text(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => ' ',
            c => c,
        })
        .collect();
    format!("`{}`", flat.replace("*/", "*\\/").replace("</", "<\\/"))
}

/// A property key in a type literal: the name itself when it is an identifier, else a string literal.
pub fn property_key(name: &str) -> String {
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        name.to_string()
    } else {
        js_string(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_cannot_close_a_script_or_a_literal() {
        let hostile = "a\"b`c${d}</script><!-- {{ e }} \u{2028}\\";
        let literal = js_string(hostile);
        assert!(!literal.contains("</script"));
        assert!(!literal.contains("<!--"));
        assert!(!literal.contains('\u{2028}'));
        assert!(!js_string("a */ b").contains("*/"));
        // Still the same string once parsed.
        let parsed: String = serde_json::from_str(&literal).unwrap();
        assert_eq!(parsed, hostile);
    }

    #[test]
    fn a_proto_key_stays_a_property() {
        let value = serde_json::json!({"__proto__": {"type": "string"}, "a": {"__proto__": 1}, "s": "{\"__proto__\":"});
        assert_eq!(
            js_value(&value),
            r#"{["__proto__"]:{"type":"string"},"a":{["__proto__"]:1},"s":"{\"__proto__\":"}"#
        );
    }

    #[test]
    fn doc_comments_cannot_be_closed_early() {
        let doc = doc_comment("Ends here */ not really\n\nsecond", "  ");
        assert_eq!(
            doc,
            "  /**\n   * Ends here *\\/ not really\n   *\n   * second\n   */\n"
        );
        assert_eq!(doc.matches("*/").count(), 1);
        assert_eq!(doc_comment("  ", ""), "");
    }

    #[test]
    fn comment_text_stays_on_one_line_and_inside_the_comment() {
        assert_eq!(comment_text("/rooms/{id}"), "`/rooms/{id}`");
        assert_eq!(
            comment_text("a */ b\nc </script>"),
            "`a *\\/ b c <\\/script>`"
        );
    }

    #[test]
    fn property_keys_are_quoted_only_when_needed() {
        assert_eq!(property_key("userId"), "userId");
        assert_eq!(property_key("$ref"), "$ref");
        assert_eq!(property_key("user-id"), "\"user-id\"");
        assert_eq!(property_key("2fa"), "\"2fa\"");
        assert_eq!(property_key(""), "\"\"");
    }
}
