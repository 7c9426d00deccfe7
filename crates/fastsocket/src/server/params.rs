//! Typed namespace parameters: `/rooms/{roomId}` becomes a struct.

use std::collections::HashMap;

use serde_json::Value;

use crate::{Validate, Violation};

/// The parameters of a namespace address, typed and checked.
///
/// Generated code implements it for one struct per parameterised channel: it reads each parameter from
/// `params` (keyed by the name between braces), checks it against the parameter's schema, and refuses the
/// connection with every violation (paths like `/roomId`) when one is wrong. Static namespaces use `()`.
///
/// ```
/// use std::collections::HashMap;
/// use fastsocket::Violation;
/// use fastsocket::server::NamespaceParams;
///
/// #[derive(Clone)]
/// struct RoomParams { room_id: String }
///
/// impl NamespaceParams for RoomParams {
///     fn from_params(params: &HashMap<String, String>) -> Result<Self, Vec<Violation>> {
///         let room_id = params.get("roomId").cloned().unwrap_or_default();
///         if room_id.is_empty() {
///             return Err(vec![Violation::new("/roomId", "is required")]);
///         }
///         Ok(RoomParams { room_id })
///     }
/// }
/// ```
pub trait NamespaceParams: Sized + Send + Sync + Clone + 'static {
    /// Reads and checks the parameters (`{"roomId": "lobby"}` for `/rooms/lobby` on `/rooms/{roomId}`).
    fn from_params(params: &HashMap<String, String>) -> Result<Self, Vec<Violation>>;
}

impl NamespaceParams for () {
    fn from_params(_: &HashMap<String, String>) -> Result<Self, Vec<Violation>> {
        Ok(())
    }
}

/// Reads the parameter `name` as a `T`, checked against `T`'s schema: the path segment as a JSON string, or,
/// when the schema refuses the string and the segment is a JSON number, boolean or `null`, as that value
/// (`/items/{id}` with an integer `id`). Violations are reported at `/name` (a missing parameter: `is
/// required`). Generated [`NamespaceParams`] implementations call it once per parameter and gather the errors.
pub fn decode_param<T: serde::de::DeserializeOwned + Validate>(
    params: &HashMap<String, String>,
    name: &str,
) -> Result<T, Vec<Violation>> {
    let mut prefix = String::new();
    crate::checker::push_token(&mut prefix, name);
    let Some(text) = params.get(name) else {
        return Err(vec![Violation::new(prefix, "is required")]);
    };
    match crate::decode::<T>(&Value::String(text.clone())) {
        Ok(value) => Ok(value),
        Err(violations) => {
            if let Ok(scalar @ (Value::Number(_) | Value::Bool(_) | Value::Null)) =
                serde_json::from_str::<Value>(text)
                && let Ok(value) = crate::decode::<T>(&scalar)
            {
                return Ok(value);
            }
            Err(violations
                .into_iter()
                .map(|v| Violation::new(format!("{prefix}{}", v.path), v.message))
                .collect())
        }
    }
}

/// Whether a namespace pattern has parameters (`{name}` or `{*rest}`).
pub(crate) fn is_dynamic(pattern: &str) -> bool {
    pattern.contains('{')
}

/// The parameters of `path` on `pattern` (socketioxide's matchit syntax: `{name}` is one segment, or part of
/// one between literal text; `{*name}` is the rest of the path), or `None` when it does not match.
pub(crate) fn match_path(pattern: &str, path: &str) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    let mut segments = path.split('/');
    for (i, pat) in pattern.split('/').enumerate() {
        if let Some(name) = pat.strip_prefix("{*").and_then(|p| p.strip_suffix('}')) {
            let rest: Vec<&str> = segments.collect();
            let rest = rest.join("/");
            if rest.is_empty() {
                return None;
            }
            params.insert(name.to_owned(), rest);
            return Some(params);
        }
        let seg = segments.next()?;
        if i == 0 && !pat.is_empty() && seg.is_empty() {
            return None;
        }
        match_segment(pat, seg, &mut params)?;
    }
    segments.next().is_none().then_some(params)
}

/// One segment: literal text with at most one `{name}` in it.
fn match_segment(pat: &str, seg: &str, params: &mut HashMap<String, String>) -> Option<()> {
    let Some(open) = pat.find('{') else {
        return (pat == seg).then_some(());
    };
    let close = open + pat[open..].find('}')?;
    let (prefix, name, suffix) = (&pat[..open], &pat[open + 1..close], &pat[close + 1..]);
    let value = seg.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if value.is_empty() {
        return None;
    }
    params.insert(name.to_owned(), value.to_owned());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        match_path(pattern, path).map(|p| {
            let mut v: Vec<_> = p.into_iter().collect();
            v.sort();
            v
        })
    }

    fn kv(pairs: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn matches() {
        assert_eq!(
            m("/rooms/{roomId}", "/rooms/lobby"),
            kv(&[("roomId", "lobby")])
        );
        assert_eq!(m("/a/{x}/b/{y}", "/a/1/b/2"), kv(&[("x", "1"), ("y", "2")]));
        assert_eq!(m("/room-{id}.v1", "/room-7.v1"), kv(&[("id", "7")]));
        assert_eq!(m("/files/{*rest}", "/files/a/b"), kv(&[("rest", "a/b")]));
        assert_eq!(m("/static", "/static"), kv(&[]));
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(transparent)]
    struct Id(u32);

    impl Validate for Id {
        fn validate_json(value: &Value, checker: &mut crate::Checker) {
            if checker.expect_types(value, &[crate::JsonType::Integer])
                && let Value::Number(n) = value
            {
                checker.minimum(n, 0.0);
            }
        }
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(transparent)]
    struct Name(String);

    impl Validate for Name {
        fn validate_json(value: &Value, checker: &mut crate::Checker) {
            checker.expect_types(value, &[crate::JsonType::String]);
        }
    }

    #[test]
    fn decode_params() {
        let params: HashMap<String, String> = [("id", "42"), ("name", "x"), ("a/b", "7.5")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(decode_param::<Id>(&params, "id"), Ok(Id(42)));
        assert_eq!(
            decode_param::<Name>(&params, "id"),
            Ok(Name("42".to_owned()))
        );
        assert_eq!(
            decode_param::<Id>(&params, "missing"),
            Err(vec![Violation::new("/missing", "is required")])
        );
        let errors = decode_param::<Id>(&params, "name").unwrap_err();
        assert_eq!(errors[0].path, "/name");
        assert_eq!(errors[0].message, "must be an integer, found string");
        let errors = decode_param::<Id>(&params, "a/b").unwrap_err();
        assert_eq!(errors[0].path, "/a~1b");
    }

    #[test]
    fn refuses() {
        assert_eq!(m("/rooms/{roomId}", "/rooms/"), None);
        assert_eq!(m("/rooms/{roomId}", "/rooms/a/b"), None);
        assert_eq!(m("/rooms/{roomId}", "/other/a"), None);
        assert_eq!(m("/files/{*rest}", "/files/"), None);
        assert_eq!(m("/room-{id}", "/room-"), None);
        assert!(is_dynamic("/rooms/{roomId}"));
        assert!(!is_dynamic("/admin"));
    }
}
