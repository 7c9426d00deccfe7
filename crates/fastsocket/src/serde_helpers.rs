//! Helpers for serde attributes in generated types.

use serde::{Deserialize, Deserializer};

/// For optional nullable fields: absent → `None`, `null` → `Some(None)`, a value → `Some(Some(v))`.
///
/// Use with `default` so that an absent field reaches `None`:
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Patch {
///     #[serde(default, deserialize_with = "::fastsocket::serde_helpers::double_option")]
///     nickname: Option<Option<String>>,
/// }
///
/// let absent: Patch = serde_json::from_str("{}").unwrap();
/// assert_eq!(absent.nickname, None);
/// let null: Patch = serde_json::from_str(r#"{"nickname": null}"#).unwrap();
/// assert_eq!(null.nickname, Some(None));
/// let set: Patch = serde_json::from_str(r#"{"nickname": "ada"}"#).unwrap();
/// assert_eq!(set.nickname, Some(Some("ada".to_string())));
/// ```
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// For optional fields that accept any JSON: absent → `None`, present (even `null`) → `Some(value)`, so an explicit
/// `null` survives a round trip.
///
/// Use with `default` and `skip_serializing_if = "Option::is_none"`.
pub fn keep_null<'de, D>(d: D) -> Result<Option<serde_json::Value>, D::Error>
where
    D: Deserializer<'de>,
{
    serde_json::Value::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct S {
        #[serde(default, deserialize_with = "super::double_option")]
        n: Option<Option<u8>>,
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct AnyField {
        #[serde(default, deserialize_with = "super::keep_null")]
        v: Option<serde_json::Value>,
    }

    #[test]
    fn explicit_null_is_kept() {
        let v = |j| serde_json::from_value::<AnyField>(j).unwrap().v;
        assert_eq!(v(json!({})), None);
        assert_eq!(v(json!({"v": null})), Some(serde_json::Value::Null));
        assert_eq!(v(json!({"v": [1]})), Some(json!([1])));
    }

    #[test]
    fn three_states() {
        let s = |v| serde_json::from_value::<S>(v).unwrap().n;
        assert_eq!(s(json!({})), None);
        assert_eq!(s(json!({"n": null})), Some(None));
        assert_eq!(s(json!({"n": 4})), Some(Some(4)));
        assert!(serde_json::from_value::<S>(json!({"n": "x"})).is_err());
    }
}
