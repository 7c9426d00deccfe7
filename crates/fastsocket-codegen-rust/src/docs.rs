//! Spec prose → rustdoc that neither breaks the build nor turns into doctests.
//!
//! Descriptions are Markdown written for people reading a spec. Rustdoc reads the same Markdown but compiles fenced
//! and indented code as doctests and resolves `[links]`, so a description could make `cargo test` fail. Fences are
//! marked `text`, indented blocks are un-indented, and brackets that are not Markdown links are escaped.

use proc_macro2::TokenStream;
use quote::quote;

/// `#[doc = "..."]` attributes for the given paragraphs (title, description, …), empty when there is nothing to say.
pub fn doc_attrs<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> TokenStream {
    let text: Vec<String> = parts
        .into_iter()
        .flatten()
        .map(clean)
        .filter(|p| !p.is_empty())
        .collect();
    if text.is_empty() {
        return quote!();
    }
    let joined = text.join("\n\n");
    let lines = joined.lines().map(|line| {
        let line = format!(" {line}");
        let line = line.trim_end().to_string();
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}

/// Cleans one paragraph of spec prose for rustdoc.
pub fn clean(text: &str) -> String {
    let mut out = Vec::new();
    let mut in_fence = false;
    for raw in text.trim().lines() {
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            // Every fence becomes `text`: a doctest from a spec's prose would be compiled and fail.
            out.push(if in_fence {
                "```".to_string()
            } else {
                "```text".to_string()
            });
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push(raw.to_string());
            continue;
        }
        // Four leading spaces start an (untyped, hence Rust) code block in Markdown.
        let line = if raw.starts_with("    ") || raw.starts_with('\t') {
            trimmed
        } else {
            raw
        };
        out.push(escape_brackets(line));
    }
    if in_fence {
        out.push("```".to_string());
    }
    out.join("\n")
}

/// Escapes `[`/`]` (intra-doc links) and `<`/`>` (HTML) outside inline code.
fn escape_brackets(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_code = false;
    for c in line.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '[' | ']' if !in_code => {
                out.push('\\');
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_never_becomes_a_doctest() {
        assert_eq!(
            clean("a\n```\nlet x = 1;\n```"),
            "a\n```text\nlet x = 1;\n```"
        );
        assert_eq!(clean("```json\n{}"), "```text\n{}\n```");
        assert_eq!(clean("text\n    indented code"), "text\nindented code");
    }

    #[test]
    fn links_and_html_are_escaped_outside_code() {
        assert_eq!(
            clean("see [Foo] and <b> but `[x] <y>`"),
            "see \\[Foo\\] and &lt;b&gt; but `[x] <y>`"
        );
        assert_eq!(
            clean("*/ ${x} {{y}} </script>"),
            "*/ ${x} {{y}} &lt;/script&gt;"
        );
    }

    #[test]
    fn empty_parts_give_no_attributes() {
        assert!(doc_attrs([None, Some("  ")]).is_empty());
        assert_eq!(
            doc_attrs([Some("Title"), Some("Body")])
                .to_string()
                .matches("doc")
                .count(),
            3
        );
    }
}
