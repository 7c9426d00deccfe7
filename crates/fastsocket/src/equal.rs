//! JSON Schema equality (for `const`, `enum` and `uniqueItems`).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::{Map, Value};

use crate::number;

/// JSON Schema equality: numbers compare by value (`1 == 1.0`), arrays elementwise, objects by key set and
/// values (key order does not matter), everything else as written.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => number::equal(a, b),
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(a), Value::Object(b)) => objects_equal(a, b),
        _ => false,
    }
}

fn objects_equal(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(key, value)| b.get(key).is_some_and(|other| json_equal(value, other)))
}

/// Arrays up to this size are compared pair by pair; longer ones are hashed first.
const PAIRWISE_LIMIT: usize = 15;

/// The first pair of equal items `(i, j)`, `i < j`, with the smallest `j` (then the smallest `i`).
pub(crate) fn first_duplicate(items: &[Value]) -> Option<(usize, usize)> {
    if items.len() <= PAIRWISE_LIMIT {
        for j in 1..items.len() {
            if let Some(i) = (0..j).find(|&i| json_equal(&items[i], &items[j])) {
                return Some((i, j));
            }
        }
        return None;
    }
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::with_capacity(items.len());
    for (j, item) in items.iter().enumerate() {
        let bucket = seen.entry(hash_of(item)).or_default();
        if let Some(&i) = bucket.iter().find(|&&i| json_equal(&items[i], item)) {
            return Some((i, j));
        }
        bucket.push(j);
    }
    None
}

/// A hash that agrees with [`json_equal`]: equal values hash alike.
fn hash_of(value: &Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    hash_into(value, &mut hasher);
    hasher.finish()
}

fn hash_into(value: &Value, state: &mut DefaultHasher) {
    match value {
        Value::Null => state.write_u8(0),
        Value::Bool(b) => {
            state.write_u8(1);
            b.hash(state);
        }
        Value::Number(n) => {
            state.write_u8(2);
            // Equal numbers are equal as `f64` too (the integer side rounds to the float it equals).
            let f = n.as_f64().unwrap_or(f64::NAN);
            let bits = if f == 0.0 { 0 } else { f.to_bits() };
            state.write_u64(bits);
        }
        Value::String(s) => {
            state.write_u8(3);
            s.hash(state);
        }
        Value::Array(items) => {
            state.write_u8(4);
            state.write_usize(items.len());
            for item in items {
                hash_into(item, state);
            }
        }
        Value::Object(object) => {
            state.write_u8(5);
            // Key order must not matter: combine the entries' hashes commutatively.
            let mut combined = 0_u64;
            for (key, value) in object {
                let mut entry = DefaultHasher::new();
                key.hash(&mut entry);
                hash_into(value, &mut entry);
                combined = combined.wrapping_add(entry.finish());
            }
            state.write_u64(combined);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equality() {
        assert!(json_equal(&json!(1), &json!(1.0)));
        assert!(json_equal(&json!([1, "a"]), &json!([1.0, "a"])));
        assert!(!json_equal(&json!([1, "a"]), &json!(["a", 1])));
        assert!(json_equal(
            &json!({"a": 1, "b": [true]}),
            &json!({"b": [true], "a": 1.0})
        ));
        assert!(!json_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_equal(&json!({"a": 1}), &json!({"b": 1})));
        assert!(!json_equal(&json!(0), &json!(false)));
        assert!(!json_equal(&json!(null), &json!(false)));
        assert!(!json_equal(&json!(""), &json!(null)));
        assert!(json_equal(&json!("é"), &json!("é")));
        assert!(!json_equal(&json!([]), &json!({})));
    }

    #[test]
    fn duplicates_short() {
        assert_eq!(first_duplicate(&[]), None);
        assert_eq!(first_duplicate(&[json!(1)]), None);
        assert_eq!(
            first_duplicate(&[json!(1), json!(2), json!(1.0)]),
            Some((0, 2))
        );
        assert_eq!(
            first_duplicate(&[json!(1), json!(2), json!(2), json!(1)]),
            Some((1, 2))
        );
        assert_eq!(
            first_duplicate(&[json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1})]),
            Some((0, 1))
        );
        assert_eq!(first_duplicate(&[json!([1]), json!([true])]), None);
    }

    #[test]
    fn duplicates_long() {
        let mut items: Vec<Value> = (0..100).map(|i| json!(i)).collect();
        assert_eq!(first_duplicate(&items), None);
        items.push(json!(42.0));
        assert_eq!(first_duplicate(&items), Some((42, 100)));
        let objects: Vec<Value> = (0..20)
            .map(|i| json!({"a": i, "b": [i]}))
            .chain([json!({"b": [3.0], "a": 3})])
            .collect();
        assert_eq!(first_duplicate(&objects), Some((3, 20)));
        let zeros: Vec<Value> = (0..20)
            .map(|i| json!(format!("{i}")))
            .chain([json!(-0.0), json!(0)])
            .collect();
        assert_eq!(first_duplicate(&zeros), Some((20, 21)));
    }
}
