//! Number semantics as the `jsonschema` crate has them: exact comparisons between integers and float bounds,
//! integer detection, and `multipleOf` read in the decimal the numbers are written as.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};

use serde_json::Number;

/// 2^53: past it, not every integer is an `f64`.
const MAX_SAFE_INTEGER: u64 = 1 << 53;

/// Whether `n` is an integer in the draft-06+ sense: no fractional part (`1.0` is one).
pub(crate) fn is_integer(n: &Number) -> bool {
    if n.is_u64() || n.is_i64() {
        return true;
    }
    n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// The exact order of `n` against `bound` (`None` when `bound` is NaN). Integers are not rounded to `f64` first,
/// so `9007199254740993 > 9007199254740992.0` holds.
pub(crate) fn compare(n: &Number, bound: f64) -> Option<Ordering> {
    if bound.is_nan() {
        return None;
    }
    if let Some(v) = n.as_u64() {
        Some(compare_u64(v, bound))
    } else if let Some(v) = n.as_i64() {
        Some(compare_i64(v, bound))
    } else {
        n.as_f64()?.partial_cmp(&bound)
    }
}

/// The exact order of `n` against an integer `bound`, for bounds an `f64` cannot hold (beyond ±2^53:
/// `maximum: 9223372036854775807`), which `jsonschema` also compares exactly.
pub(crate) fn compare_integer(n: &Number, bound: i128) -> Ordering {
    if let Some(v) = n.as_u64() {
        return i128::from(v).cmp(&bound);
    }
    if let Some(v) = n.as_i64() {
        return i128::from(v).cmp(&bound);
    }
    // A finite float (serde_json has no others); past ±2^126 it is past every bound written as an i128 here.
    let f = n.as_f64().unwrap_or(0.0);
    if f >= 8.5e37 {
        return Ordering::Greater;
    }
    if f <= -8.5e37 {
        return Ordering::Less;
    }
    let whole = f.trunc();
    // |whole| < 2^127, so the cast is exact.
    #[allow(clippy::cast_possible_truncation)]
    let whole_int = whole as i128;
    match whole_int.cmp(&bound) {
        Ordering::Equal if f > whole => Ordering::Greater,
        Ordering::Equal if f < whole => Ordering::Less,
        other => other,
    }
}

/// `v` against a non-NaN `bound`, exactly.
fn compare_u64(v: u64, bound: f64) -> Ordering {
    if bound < 0.0 {
        return Ordering::Greater;
    }
    // 2^64, exactly.
    if bound >= 18_446_744_073_709_551_616.0 {
        return Ordering::Less;
    }
    let whole = bound.trunc();
    // In range and whole, so the cast is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole_int = whole as u64;
    match v.cmp(&whole_int) {
        Ordering::Equal if bound > whole => Ordering::Less,
        other => other,
    }
}

/// `v` against a non-NaN `bound`, exactly.
fn compare_i64(v: i64, bound: f64) -> Ordering {
    // -2^63 and 2^63, exactly.
    if bound < -9_223_372_036_854_775_808.0 {
        return Ordering::Greater;
    }
    if bound >= 9_223_372_036_854_775_808.0 {
        return Ordering::Less;
    }
    let whole = bound.trunc();
    #[allow(clippy::cast_possible_truncation)]
    let whole_int = whole as i64;
    match v.cmp(&whole_int) {
        Ordering::Equal if bound > whole => Ordering::Less,
        Ordering::Equal if bound < whole => Ordering::Greater,
        other => other,
    }
}

/// Whether two JSON numbers are equal by value (`1 == 1.0`), exactly.
pub(crate) fn equal(a: &Number, b: &Number) -> bool {
    if let Some(x) = a.as_u64() {
        if let Some(y) = b.as_u64() {
            return x == y;
        }
        if b.is_i64() {
            // A negative i64 (non-negative ones are u64 too).
            return false;
        }
        return b
            .as_f64()
            .is_some_and(|y| compare_u64(x, y) == Ordering::Equal);
    }
    if let Some(x) = a.as_i64() {
        if let Some(y) = b.as_i64() {
            return x == y;
        }
        if b.is_u64() {
            return false;
        }
        return b
            .as_f64()
            .is_some_and(|y| compare_i64(x, y) == Ordering::Equal);
    }
    match a.as_f64() {
        Some(_) if b.is_u64() || b.is_i64() => equal(b, a),
        Some(x) => b.as_f64() == Some(x),
        None => false,
    }
}

/// `n` for a message: as JSON writes it.
pub(crate) struct ShowNumber<'a>(pub(crate) &'a Number);

impl fmt::Display for ShowNumber<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}

/// A bound for a message: `3` rather than `3.0`, `0.5` as `0.5`.
pub(crate) struct ShowBound(pub(crate) f64);

impl fmt::Display for ShowBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 1e16 {
            // Whole and small: print without the `.0`.
            #[allow(clippy::cast_possible_truncation)]
            let whole = v as i64;
            write!(f, "{whole}")
        } else {
            write!(f, "{v}")
        }
    }
}

/// Whether `n` is a multiple of `factor`, as `jsonschema` 0.61 decides it (without arbitrary precision).
///
/// A whole `factor` divides integers exactly; a fractional one reads both numbers in the shortest decimal they
/// print as, so `0.3` is a multiple of `0.1`. A factor that is not a positive finite number constrains nothing.
pub(crate) fn is_multiple_of(n: &Number, factor: f64) -> bool {
    if !(factor.is_finite() && factor > 0.0) {
        return true;
    }
    if factor.fract() == 0.0 {
        is_multiple_of_integer(n, factor)
    } else {
        is_multiple_of_float(n, factor)
    }
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn is_multiple_of_integer(n: &Number, factor: f64) -> bool {
    // `factor` is positive, finite and whole here.
    if factor <= MAX_SAFE_INTEGER as f64 {
        if let Some(v) = n.as_u64() {
            return v % (factor as u64) == 0;
        }
        if let Some(v) = n.as_i64() {
            return v % (factor as i64) == 0;
        }
        if n.as_f64()
            .is_none_or(|v| v.abs() >= MAX_SAFE_INTEGER as f64)
        {
            let mut text = StackText::new();
            // Writing a number into 64 bytes cannot fail.
            let _ = write!(text, "{n}");
            if let Some(answer) = decimal_is_multiple_of(text.as_str(), factor as u64) {
                return answer;
            }
        }
    }
    match n.as_f64() {
        Some(v) => v.fract() == 0.0 && v % factor == 0.0,
        None => false,
    }
}

/// Whether the plain decimal integer in `text` divides by `divisor` (`None` for an exponent form).
fn decimal_is_multiple_of(text: &str, divisor: u64) -> Option<bool> {
    if text.contains(['e', 'E']) {
        return None;
    }
    let text = text.strip_prefix('-').unwrap_or(text);
    let (digits, fraction) = match text.split_once('.') {
        Some((digits, fraction)) => (digits, Some(fraction)),
        None => (text, None),
    };
    if fraction.is_some_and(|fraction| !fraction.bytes().all(|b| b == b'0')) {
        return Some(false);
    }
    let mut remainder = 0_u64;
    for byte in digits.bytes() {
        remainder = (remainder * 10 + u64::from(byte.checked_sub(b'0')?)) % divisor;
    }
    Some(remainder == 0)
}

fn is_multiple_of_float(n: &Number, factor: f64) -> bool {
    let Some(v) = n.as_f64() else {
        return false;
    };
    if v == 0.0 {
        return true;
    }
    if v.abs() < factor {
        return false;
    }
    if let Some(answer) = divides_exactly(v, factor) {
        return answer;
    }
    if let Some(answer) = fraction_divides(v, factor) {
        return answer;
    }
    decimal_divides(v, factor)
}

/// A finite `f64` as the decimal it prints as (serde_json's shortest form): `mantissa / 10^decimals`.
fn decimal_parts(value: f64) -> Option<(i128, i32)> {
    let number = Number::from_f64(value)?;
    let mut text = StackText::new();
    write!(text, "{number}").ok()?;
    let mut mantissa: i128 = 0;
    let mut decimals = 0;
    let mut exponent = 0;
    let mut negative = false;
    let mut fractional = false;
    let mut bytes = text.as_str().bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'-' => negative = true,
            b'.' => fractional = true,
            b'e' | b'E' => {
                exponent = parse_exponent(&mut bytes)?;
                break;
            }
            _ => {
                mantissa = mantissa
                    .checked_mul(10)?
                    .checked_add(i128::from(byte.checked_sub(b'0')?))?;
                decimals += i32::from(fractional);
            }
        }
    }
    Some((
        if negative { -mantissa } else { mantissa },
        decimals - exponent,
    ))
}

fn parse_exponent(bytes: &mut impl Iterator<Item = u8>) -> Option<i32> {
    let mut exponent = 0_i32;
    let mut negative = false;
    for byte in bytes {
        match byte {
            b'+' => {}
            b'-' => negative = true,
            _ => {
                exponent = exponent
                    .checked_mul(10)?
                    .checked_add(i32::from(byte.checked_sub(b'0')?))?;
            }
        }
    }
    Some(if negative { -exponent } else { exponent })
}

/// `value / multiple` is an integer in the decimal reading; `None` past `i128`.
fn divides_exactly(value: f64, multiple: f64) -> Option<bool> {
    let (value_mantissa, value_decimals) = decimal_parts(value)?;
    let (multiple_mantissa, multiple_decimals) = decimal_parts(multiple)?;
    if multiple_mantissa == 0 {
        return None;
    }
    let shared = value_decimals.min(multiple_decimals);
    let scale = |mantissa: i128, decimals: i32| {
        let places = u32::try_from(decimals - shared).ok()?;
        mantissa.checked_mul(10_i128.checked_pow(places)?)
    };
    Some(scale(value_mantissa, multiple_decimals)? % scale(multiple_mantissa, value_decimals)? == 0)
}

/// The rational the `fraction` crate (which `jsonschema` falls back on) builds from an `f64`: `(numerator,
/// denominator)`, both whole `f64`s read exactly, the sign dropped. `None` where it would go through text.
fn fraction_from_f64(value: f64) -> Option<(f64, f64)> {
    let mut p: i32 = 0;
    let mut scaled = value;
    loop {
        if (scaled.floor() - scaled).abs() < f64::EPSILON {
            break;
        }
        p += 1;
        scaled = value * 10f64.powi(p);
        if scaled.is_infinite() {
            return None;
        }
    }
    // `from_f64` into a big integer truncates toward zero.
    Some((scaled.abs().trunc(), 10f64.powi(p)))
}

/// Whether `value / multiple` has denominator one in the `fraction` crate's reading. `None` when the numbers
/// get too large for this shortcut.
fn fraction_divides(value: f64, multiple: f64) -> Option<bool> {
    let (a, value_denominator) = fraction_from_f64(value)?;
    let (b, multiple_denominator) = fraction_from_f64(multiple)?;
    if b == 0.0 {
        // Division by zero: NaN or an infinity, which has no denominator, and `jsonschema` accepts that.
        return Some(true);
    }
    // value / multiple = (a * multiple_denominator) / (b * value_denominator).
    let modulus = whole_to_u128(b)?.checked_mul(whole_to_u128(value_denominator)?)?;
    if modulus > u128::from(u64::MAX) {
        return None;
    }
    let left = mul_mod(
        whole_mod(a, modulus),
        whole_mod(multiple_denominator, modulus),
        modulus,
    );
    Some(left == 0)
}

/// A whole, non-negative `f64` below 2^128 as an integer.
fn whole_to_u128(v: f64) -> Option<u128> {
    // 2^128, exactly.
    if !(0.0..340_282_366_920_938_463_463_374_607_431_768_211_456.0).contains(&v)
        || v.fract() != 0.0
    {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(v as u128)
}

/// A whole, non-negative, finite `f64` modulo `modulus` (below 2^64), exactly.
fn whole_mod(v: f64, modulus: u128) -> u128 {
    let bits = v.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = u128::from(bits & ((1 << 52) - 1));
    if exponent == 0 {
        // Zero or subnormal; a whole one is zero.
        return fraction % modulus;
    }
    let mantissa = fraction | (1 << 52);
    let shift = exponent - 1075;
    if shift <= 0 {
        return (mantissa >> (-shift)) % modulus;
    }
    let mut result = mantissa % modulus;
    let two = 2 % modulus;
    for _ in 0..shift {
        result = mul_mod(result, two, modulus);
    }
    result
}

fn mul_mod(a: u128, b: u128, modulus: u128) -> u128 {
    // Both below 2^64, so the product fits.
    (a % modulus) * (b % modulus) % modulus
}

/// The exact decimal answer, for the few inputs neither shortcut takes.
fn decimal_divides(value: f64, multiple: f64) -> bool {
    let (Some((vm, vd)), Some((mm, md))) = (decimal_parts(value), decimal_parts(multiple)) else {
        return false;
    };
    let (vm, mm) = (vm.unsigned_abs(), mm.unsigned_abs());
    if mm == 0 {
        return true;
    }
    let shared = vd.min(md);
    // value / multiple = vm * 10^(md - shared) / (mm * 10^(vd - shared)); one exponent is zero.
    let (value_places, multiple_places) = ((md - shared) as u32, (vd - shared) as u32);
    if multiple_places > 0 {
        // The divisor is mm * 10^k with k > 0: it overflowed, so it exceeds vm (non-zero here).
        return match 10_u128
            .checked_pow(multiple_places)
            .and_then(|p| p.checked_mul(mm))
        {
            Some(divisor) => vm % divisor == 0,
            None => vm == 0,
        };
    }
    let mut result = vm % mm;
    let ten = 10 % mm;
    for _ in 0..value_places {
        result = result * ten % mm;
    }
    result == 0
}

/// A small string on the stack, for printing a number without allocating.
pub(crate) struct StackText {
    bytes: [u8; 64],
    len: usize,
}

impl StackText {
    pub(crate) const fn new() -> Self {
        StackText {
            bytes: [0; 64],
            len: 0,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only whole `&str`s are written in.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(v: serde_json::Value) -> Number {
        match v {
            serde_json::Value::Number(n) => n,
            _ => unreachable!(),
        }
    }

    #[test]
    fn integers() {
        assert!(is_integer(&num(json!(1))));
        assert!(is_integer(&num(json!(-1))));
        assert!(is_integer(&num(json!(1.0))));
        assert!(is_integer(&num(json!(1e300))));
        assert!(!is_integer(&num(json!(1.5))));
    }

    #[test]
    fn compare_with_integer_bounds_beyond_f64() {
        let max = i128::from(i64::MAX);
        assert_eq!(compare_integer(&num(json!(i64::MAX)), max), Ordering::Equal);
        assert_eq!(
            compare_integer(&num(json!(9223372036854775808u64)), max),
            Ordering::Greater
        );
        // 2^63 as a float is above i64::MAX, and 9.2e18 below it.
        assert_eq!(
            compare_integer(&num(json!(9223372036854775808.0)), max),
            Ordering::Greater
        );
        assert_eq!(compare_integer(&num(json!(9.2e18)), max), Ordering::Less);
        let odd = 9_007_199_254_740_993;
        assert_eq!(
            compare_integer(&num(json!(9007199254740992u64)), odd),
            Ordering::Less
        );
        assert_eq!(
            compare_integer(&num(json!(9007199254740993u64)), odd),
            Ordering::Equal
        );
        assert_eq!(
            compare_integer(&num(json!(-1.5)), -(1 << 60)),
            Ordering::Greater
        );
        assert_eq!(compare_integer(&num(json!(1e300)), max), Ordering::Greater);
        assert_eq!(compare_integer(&num(json!(-1e300)), -max), Ordering::Less);
    }

    #[test]
    fn compare_exactly() {
        assert_eq!(compare(&num(json!(3)), 3.0), Some(Ordering::Equal));
        assert_eq!(compare(&num(json!(3)), 3.5), Some(Ordering::Less));
        assert_eq!(compare(&num(json!(4)), 3.5), Some(Ordering::Greater));
        assert_eq!(compare(&num(json!(-3)), -3.5), Some(Ordering::Greater));
        assert_eq!(compare(&num(json!(-4)), -3.5), Some(Ordering::Less));
        assert_eq!(compare(&num(json!(-4)), -4.0), Some(Ordering::Equal));
        assert_eq!(
            compare(
                &num(json!(9_007_199_254_740_993_u64)),
                9_007_199_254_740_992.0
            ),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare(&num(json!(u64::MAX)), 1.8446744073709552e19),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(&num(json!(i64::MIN)), i64::MIN as f64),
            Some(Ordering::Equal)
        );
        assert_eq!(compare(&num(json!(0)), -0.0), Some(Ordering::Equal));
        assert_eq!(compare(&num(json!(1.5)), 1.5), Some(Ordering::Equal));
        assert_eq!(compare(&num(json!(1)), f64::NAN), None);
        assert_eq!(compare(&num(json!(1)), f64::INFINITY), Some(Ordering::Less));
        assert_eq!(
            compare(&num(json!(-1)), f64::NEG_INFINITY),
            Some(Ordering::Greater)
        );
    }

    #[test]
    fn equality() {
        assert!(equal(&num(json!(1)), &num(json!(1.0))));
        assert!(equal(&num(json!(1.0)), &num(json!(1))));
        assert!(equal(&num(json!(-1)), &num(json!(-1.0))));
        assert!(!equal(&num(json!(-1)), &num(json!(1))));
        assert!(!equal(&num(json!(1)), &num(json!(1.5))));
        assert!(equal(&num(json!(0.5)), &num(json!(0.5))));
        assert!(!equal(
            &num(json!(9_007_199_254_740_993_u64)),
            &num(json!(9_007_199_254_740_992.0))
        ));
    }

    #[test]
    fn multiples() {
        let m = |v: serde_json::Value, f: f64| is_multiple_of(&num(v), f);
        assert!(m(json!(0.3), 0.1));
        assert!(m(json!(0.0075), 0.0001));
        assert!(!m(json!(0.00751), 0.0001));
        assert!(m(json!(4), 2.0));
        assert!(m(json!(4.0), 2.0));
        assert!(!m(json!(5), 2.0));
        assert!(!m(json!(4.5), 2.0));
        assert!(m(json!(-4), 2.0));
        assert!(m(json!(0), 0.3));
        assert!(!m(json!(0.1), 0.3));
        assert!(m(json!(1.5), 0.5));
        assert!(!m(json!(1.6), 0.5));
        assert!(m(json!(19.99), 0.01));
        assert!(m(json!(1), -1.0));
        assert!(m(json!(1), 0.0));
    }

    #[test]
    fn decimal_fallbacks() {
        assert_eq!(decimal_is_multiple_of("12.0", 4), Some(true));
        assert_eq!(decimal_is_multiple_of("12.5", 4), Some(false));
        assert_eq!(decimal_is_multiple_of("1e20", 4), None);
        assert!(decimal_divides(1e30, 0.5));
        assert!(!decimal_divides(1.5, 1e-30 * 7.0));
        assert_eq!(fraction_from_f64(0.5), Some((5.0, 10.0)));
        assert_eq!(fraction_from_f64(3.0), Some((3.0, 1.0)));
        assert_eq!(whole_mod(1e20, 7), (100_000_000_000_000_000_000_u128 % 7));
        assert_eq!(whole_mod(3.0, 2), 1);
    }

    #[test]
    fn shows() {
        assert_eq!(ShowBound(3.0).to_string(), "3");
        assert_eq!(ShowBound(-3.0).to_string(), "-3");
        assert_eq!(ShowBound(0.5).to_string(), "0.5");
        assert_eq!(ShowBound(1e20).to_string(), "100000000000000000000");
        assert_eq!(ShowNumber(&num(json!(1.0))).to_string(), "1.0");
    }
}
