//! The one place where names for generated code are made from names in documents.
//!
//! Every emitter reads names from the IR and never derives its own, so the Rust server and the TypeScript client
//! agree (`OrderPlacedPayload` on both sides) and a collision is resolved once, deterministically.

use std::collections::{BTreeSet, HashMap};

use heck::{ToLowerCamelCase, ToSnakeCase, ToUpperCamelCase};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Words Rust reserves (strict and reserved keywords of edition 2024).
pub const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Words TypeScript reserves as identifiers (reserved and strict-mode words).
pub const TS_RESERVED: &[&str] = &[
    "any",
    "arguments",
    "as",
    "await",
    "boolean",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "declare",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "never",
    "new",
    "null",
    "number",
    "object",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "string",
    "super",
    "switch",
    "symbol",
    "this",
    "throw",
    "true",
    "try",
    "type",
    "typeof",
    "undefined",
    "unknown",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// Type names that generated code uses itself (or that would shadow a prelude or global type), so a schema
/// never takes them.
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "Self", "Option", "Result", "Box", "Vec", "String", "Value", "Map", "Error", "Some", "None",
    "Ok", "Err", "Record", "Array", "Object", "Promise", "Date", "Number", "Boolean", "Symbol",
    "Function", "Partial",
];

/// The spellings of one name that emitters need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Names {
    /// `PascalCase`, for types (Rust and TypeScript).
    pub pascal: String,
    /// `snake_case`, for Rust functions, modules and fields; never a Rust keyword.
    pub snake: String,
    /// `camelCase`, for TypeScript functions and variables; never a reserved word.
    pub camel: String,
}

impl Names {
    /// All spellings of `raw`, each made a valid identifier.
    pub fn of(raw: &str) -> Self {
        let pascal = type_name(raw);
        Names {
            snake: rust_field_name(raw),
            camel: ts_identifier(raw),
            pascal,
        }
    }
}

/// Keeps ASCII letters, digits and `_`, splitting words where anything else stood so heck sees the boundaries.
fn ascii_words(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// The words of `raw` in PascalCase, ASCII only, with nothing added: may be empty or start with a digit. For
/// appending to a name that is already valid (`Ticker` + `24hVolume` → `Ticker24hVolume`).
pub fn pascal_words(raw: &str) -> String {
    ascii_words(raw).to_upper_camel_case()
}

/// A PascalCase type name: `user/signedup` → `UserSignedup`, `2fa` → `T2fa`, `Self` → `SelfType`, `` → `Type`.
pub fn type_name(raw: &str) -> String {
    let mut name = ascii_words(raw).to_upper_camel_case();
    if name.is_empty() {
        return "Type".to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'T');
    }
    if RESERVED_TYPE_NAMES.contains(&name.as_str()) {
        name.push_str("Type");
    }
    name
}

/// A snake_case Rust field or function name: `orderId` → `order_id`, `type` → `type_`, `24hVolume` →
/// `_24h_volume`, `` → `field`.
pub fn rust_field_name(raw: &str) -> String {
    let mut name = ascii_words(raw).to_snake_case();
    if name.is_empty() {
        return "field".to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if RUST_KEYWORDS.contains(&name.as_str()) || name == "_" {
        name.push('_');
    }
    name
}

/// A camelCase TypeScript identifier: `send_message` → `sendMessage`, `delete` → `delete_`.
pub fn ts_identifier(raw: &str) -> String {
    let mut name = ascii_words(raw).to_lower_camel_case();
    if name.is_empty() {
        return "value".to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if TS_RESERVED.contains(&name.as_str()) || RUST_KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// Hands out names unique within one scope, in the order asked: the first `Order` keeps its name, the next
/// becomes `Order2`. Callers ask in document order, so the outcome is the same on every run.
#[derive(Debug, Default, Clone)]
pub struct NameScope {
    taken: BTreeSet<String>,
    /// For each base that collided, the suffix `claim` found free last time: names are never released, so every
    /// smaller suffix is still taken and the next search starts there (without it, the n-th claim of one base
    /// tried n candidates: quadratic in a document with hundreds of same-named channels).
    next_suffix: HashMap<String, u32>,
}

impl NameScope {
    /// An empty scope.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks a name as used without claiming a variant of it.
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_string());
    }

    /// Whether a name is taken.
    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// `base` if free, else `base2`, `base3`, … (`base_2` when `base` ends in a digit, so `V1` gives `V1_2`, or is
    /// snake case; `self_2` when it ends in `_`).
    pub fn claim(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_string()) {
            return base.to_string();
        }
        // `self_` (a keyword made safe) gives `self_2`, not `self__2`: a doubled underscore is not snake case.
        let sep = if base.ends_with('_') {
            ""
        } else if base.ends_with(|c: char| c.is_ascii_digit())
            || base.contains('_')
            || base.starts_with(|c: char| c.is_ascii_lowercase())
        {
            "_"
        } else {
            ""
        };
        let first = self.next_suffix.get(base).copied().unwrap_or(2);
        let (n, name) = (first..)
            .map(|n| (n, format!("{base}{sep}{n}")))
            .find(|(_, candidate)| self.taken.insert(candidate.clone()))
            .expect("an unused suffix always exists");
        self.next_suffix.insert(base.to_string(), n + 1);
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nasty_inputs_become_valid_names() {
        let cases: &[(&str, &str, &str, &str)] = &[
            ("orderId", "OrderId", "order_id", "orderId"),
            ("order_id", "OrderId", "order_id", "orderId"),
            ("type", "Type", "type_", "type_"),
            ("self", "SelfType", "self_", "self_"),
            ("Self", "SelfType", "self_", "self_"),
            ("match", "Match", "match_", "match_"),
            ("24hVolume", "T24hVolume", "_24h_volume", "_24hVolume"),
            (
                "user/signedup",
                "UserSignedup",
                "user_signedup",
                "userSignedup",
            ),
            (
                "smartylighting.streetlights.1.0.event.{streetlightId}.lighting.measured",
                "SmartylightingStreetlights10EventStreetlightIdLightingMeasured",
                "smartylighting_streetlights_1_0_event_streetlight_id_lighting_measured",
                "smartylightingStreetlights10EventStreetlightIdLightingMeasured",
            ),
            ("content-type", "ContentType", "content_type", "contentType"),
            ("a b.c", "ABC", "a_b_c", "aBC"),
            ("", "Type", "field", "value"),
            ("🚀", "Type", "field", "value"),
            ("Ünïcode", "NCode", "n_code", "nCode"),
            ("delete", "Delete", "delete", "delete_"),
            ("Option", "OptionType", "option", "option"),
            ("_", "Type", "field", "value"),
            ("__proto__", "Proto", "proto", "proto"),
        ];
        for (raw, pascal, snake, camel) in cases {
            let names = Names::of(raw);
            assert_eq!(
                (
                    names.pascal.as_str(),
                    names.snake.as_str(),
                    names.camel.as_str()
                ),
                (*pascal, *snake, *camel),
                "for {raw:?}"
            );
        }
    }

    #[test]
    fn scopes_resolve_collisions_in_order() {
        let mut scope = NameScope::new();
        assert_eq!(scope.claim("Order"), "Order");
        assert_eq!(scope.claim("Order"), "Order2");
        assert_eq!(scope.claim("Order"), "Order3");
        assert_eq!(scope.claim("V1"), "V1");
        assert_eq!(scope.claim("V1"), "V1_2");
        assert_eq!(scope.claim("order_id"), "order_id");
        assert_eq!(scope.claim("order_id"), "order_id_2");
        assert_eq!(scope.claim("self_"), "self_");
        assert_eq!(
            scope.claim("self_"),
            "self_2",
            "a doubled underscore is not snake case"
        );
        scope.reserve("Order4");
        assert_eq!(scope.claim("Order"), "Order5");
    }

    /// The remembered suffix gives what trying every suffix from 2 gives, whatever other bases and reservations
    /// took in between (names are never released, so every smaller suffix stays taken).
    #[test]
    fn remembered_suffixes_match_a_search_from_two() {
        fn naive_claim(taken: &mut BTreeSet<String>, base: &str) -> String {
            if taken.insert(base.to_string()) {
                return base.to_string();
            }
            let sep = if base.ends_with(|c: char| c.is_ascii_digit()) {
                "_"
            } else {
                ""
            };
            (2u32..)
                .map(|n| format!("{base}{sep}{n}"))
                .find(|c| taken.insert(c.clone()))
                .unwrap()
        }
        let mut scope = NameScope::new();
        let mut naive = BTreeSet::new();
        for i in 0..300u32 {
            let base = ["Order", "Item", "Order2"][(i % 3) as usize];
            if i % 7 == 0 {
                let reserved = format!("Order{}", i / 2 + 3);
                scope.reserve(&reserved);
                naive.insert(reserved);
            }
            assert_eq!(
                scope.claim(base),
                naive_claim(&mut naive, base),
                "claim {i} of {base}"
            );
        }
    }
}
