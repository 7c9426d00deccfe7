//! Helpers for generated tests.

use serde_json::{Map, Value};

use crate::format::{is_valid_datetime, is_valid_uuid};
use crate::number;

/// Whether two JSON documents say the same thing, for round-trip tests of spec examples (example → typed value →
/// JSON).
///
/// - numbers by value (`1` and `1.0`), and also when they are equal once rounded to `f32` (a field typed `f32`
///   turns `0.1` into `0.10000000149011612`);
/// - strings that are both RFC 3339 date-times when they denote the same instant with the same offset
///   (`2020-01-01T10:00:00.50+01:00` and `2020-01-01T10:00:00.5+01:00`; `Z`, `+00:00` and `-00:00` are one
///   offset);
/// - strings that are both hyphenated UUIDs case-insensitively;
/// - arrays item by item, objects by key set (in any order) and values;
/// - everything else exactly.
///
/// ```
/// use fastsocket::testing::json_equivalent;
/// use serde_json::json;
///
/// assert!(json_equivalent(&json!({"at": "2020-01-01T00:00:00Z", "n": 1}), &json!({"n": 1.0, "at": "2020-01-01T00:00:00+00:00"})));
/// assert!(!json_equivalent(&json!({"n": 1}), &json!({"n": 2})));
/// ```
pub fn json_equivalent(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Number(x), Value::Number(y)) => {
            number::equal(x, y)
                || match (x.as_f64(), y.as_f64()) {
                    #[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
                    (Some(x), Some(y)) => (x as f32) == (y as f32),
                    _ => false,
                }
        }
        (Value::String(a), Value::String(b)) => a == b || strings_equivalent(a, b),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| json_equivalent(a, b))
        }
        (Value::Object(a), Value::Object(b)) => objects_equivalent(a, b),
        _ => false,
    }
}

fn objects_equivalent(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.len() == b.len()
        && a.iter().all(|(key, value)| {
            b.get(key)
                .is_some_and(|other| json_equivalent(value, other))
        })
}

fn strings_equivalent(a: &str, b: &str) -> bool {
    if is_valid_uuid(a) && is_valid_uuid(b) {
        return a.eq_ignore_ascii_case(b);
    }
    match (DateTime::parse(a), DateTime::parse(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// An RFC 3339 date-time reduced to what it means: the instant and the offset it was written in.
#[derive(Debug, PartialEq, Eq)]
struct DateTime<'a> {
    /// Seconds since 1970-01-01T00:00:00Z.
    seconds: i64,
    /// The fractional digits of the second, without trailing zeros.
    fraction: &'a str,
    /// The offset, in minutes east of UTC.
    offset_minutes: i32,
}

impl<'a> DateTime<'a> {
    fn parse(s: &'a str) -> Option<DateTime<'a>> {
        if !is_valid_datetime(s) {
            return None;
        }
        // Validated: `YYYY-MM-DD[Tt]HH:MM:SS[.frac](Z|z|±HH:MM)`, all ASCII.
        let digits = |range: std::ops::Range<usize>| s.get(range)?.parse::<i64>().ok();
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
        let rest = &s[19..];
        let (fraction, zone) = match rest.strip_prefix('.') {
            Some(after) => {
                let end = after
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(after.len());
                (after[..end].trim_end_matches('0'), &after[end..])
            }
            None => ("", rest),
        };
        let offset_minutes = match zone.as_bytes().first()? {
            b'Z' | b'z' => 0,
            sign => {
                let hours: i32 = zone.get(1..3)?.parse().ok()?;
                let minutes: i32 = zone.get(4..6)?.parse().ok()?;
                let magnitude = hours * 60 + minutes;
                if *sign == b'-' { -magnitude } else { magnitude }
            }
        };
        let days = days_from_civil(year, month, day);
        let seconds =
            days * 86_400 + hour * 3_600 + minute * 60 + second - i64::from(offset_minutes) * 60;
        Some(DateTime {
            seconds,
            fraction,
            offset_minutes,
        })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers() {
        assert!(json_equivalent(&json!(1), &json!(1.0)));
        assert!(json_equivalent(&json!(0.1), &json!(0.10000000149011612)));
        assert!(json_equivalent(&json!(0.1), &json!(0.1)));
        assert!(!json_equivalent(&json!(0.1), &json!(0.2)));
        assert!(!json_equivalent(&json!(1), &json!(2)));
        assert!(!json_equivalent(&json!(1), &json!("1")));
    }

    #[test]
    fn date_times() {
        let eq = |a: &str, b: &str| json_equivalent(&json!(a), &json!(b));
        assert!(eq("2020-01-01T00:00:00Z", "2020-01-01T00:00:00+00:00"));
        assert!(eq("2020-01-01T00:00:00Z", "2020-01-01t00:00:00.000z"));
        assert!(eq("2020-01-01T00:00:00-00:00", "2020-01-01T00:00:00Z"));
        assert!(eq(
            "2020-01-01T10:00:00.50+01:00",
            "2020-01-01T10:00:00.5+01:00"
        ));
        assert!(!eq(
            "2020-01-01T10:00:00.5+01:00",
            "2020-01-01T10:00:00.6+01:00"
        ));
        // The same instant in another offset is a different document.
        assert!(!eq("2020-01-01T10:00:00+01:00", "2020-01-01T09:00:00Z"));
        assert!(!eq("2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z"));
        assert!(!eq("2020-01-01", "2020-01-01T00:00:00Z"));
        assert!(!eq("not a date", "2020-01-01T00:00:00Z"));
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(
            DateTime::parse("1970-01-02T00:00:01+00:01")
                .unwrap()
                .seconds,
            86_401 - 60
        );
    }

    #[test]
    fn uuids() {
        assert!(json_equivalent(
            &json!("0F9E8D7C-6B5A-4493-8271-605F4E3D2C1B"),
            &json!("0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b")
        ));
        assert!(!json_equivalent(
            &json!("0f9e8d7c-6b5a-4493-8271-605f4e3d2c1c"),
            &json!("0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b")
        ));
        assert!(!json_equivalent(&json!("ABC"), &json!("abc")));
    }

    #[test]
    fn containers() {
        assert!(json_equivalent(
            &json!({"a": [1, {"b": null}], "c": true}),
            &json!({"c": true, "a": [1.0, {"b": null}]})
        ));
        assert!(!json_equivalent(
            &json!({"a": 1}),
            &json!({"a": 1, "b": null})
        ));
        assert!(!json_equivalent(&json!([1, 2]), &json!([2, 1])));
        assert!(!json_equivalent(&json!([1]), &json!([1, 1])));
        assert!(json_equivalent(&json!(null), &json!(null)));
        assert!(!json_equivalent(&json!(true), &json!(false)));
    }
}
