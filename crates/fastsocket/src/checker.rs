//! The [`Checker`]: walks a value, tracking the JSON pointer, collecting violations.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};

use serde_json::{Map, Number, Value};

use crate::equal::{first_duplicate, json_equal};
use crate::format::{format_ok, number_format_ok};
use crate::number::{self, ShowBound, ShowNumber};
use crate::{JsonType, Pattern, Violation};

/// The most violations a [`Checker`] records with their messages; past it they are only counted, and
/// [`Checker::into_result`] ends the list with one more entry saying how many were left out. A 1 MiB array of
/// wrong items thus answers 101 details, not half a million.
pub const MAX_VIOLATIONS: usize = 100;

/// Walks a JSON value, tracking the JSON pointer of the current value, collecting violations.
///
/// Generated validation code [enters](Checker::enter) a property or an [item](Checker::enter_index), checks the
/// keywords that apply there with the methods below, and [leaves](Checker::leave) it again. Every method checks
/// one keyword and records a [`Violation`] at the current path when the value breaks it; none of them stops the
/// walk, so one pass finds everything wrong with a payload, up to [`MAX_VIOLATIONS`]: past that violations are
/// counted without building their messages.
///
/// The path is one `String` with a stack of lengths, so entering and leaving does not allocate once the buffer
/// has grown to the depth of the document; nothing else allocates while a value is valid (the parsers of a few
/// formats, such as `email`, aside). Inside [`branch`](Checker::branch) (for `anyOf`, `oneOf`, `not` and `if`)
/// violations are only counted: their messages are never formatted, and failing there allocates nothing.
#[derive(Debug, Default)]
pub struct Checker {
    /// The current JSON pointer.
    path: String,
    /// The length of `path` before each [`Checker::enter`].
    marks: Vec<usize>,
    violations: Vec<Violation>,
    /// Inside [`Checker::branch`]: count violations, skip their text.
    quiet: bool,
    /// Violations counted (not recorded) while quiet.
    muted: usize,
    /// Violations counted (not recorded) past [`MAX_VIOLATIONS`].
    omitted: usize,
    /// The schemas being checked on a value right now, by [`Checker::cycle_guard`] (schema number, address of the
    /// value).
    active: Vec<(u32, usize)>,
}

impl Checker {
    /// A checker at the root (`""`) with no violations.
    pub fn new() -> Self {
        Checker::default()
    }

    /// Forgets the violations and goes back to the root, keeping the buffers, so one checker can check many
    /// values without allocating again.
    pub fn clear(&mut self) {
        self.path.clear();
        self.marks.clear();
        self.violations.clear();
        self.quiet = false;
        self.muted = 0;
        self.omitted = 0;
        self.active.clear();
    }

    /// A checker at the root that reuses the path buffers this thread's last [`Checker::finish`] gave back.
    pub(crate) fn reuse() -> Self {
        let (path, marks) = SPARE.take().unwrap_or_default();
        Checker {
            path,
            marks,
            violations: Vec::new(),
            quiet: false,
            muted: 0,
            omitted: 0,
            active: Vec::new(),
        }
    }

    /// Like [`Checker::into_result`], and gives the path buffers back for [`Checker::reuse`].
    pub(crate) fn finish(mut self) -> Result<(), Vec<Violation>> {
        self.path.clear();
        self.marks.clear();
        SPARE.set(Some((
            std::mem::take(&mut self.path),
            std::mem::take(&mut self.marks),
        )));
        self.into_result()
    }

    /// The violations recorded so far, in the order found.
    ///
    /// Inside [`branch`](Checker::branch) violations are only counted, not recorded: use
    /// [`is_ok`](Checker::is_ok) or [`violation_count`](Checker::violation_count) there.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// How many violations were found so far (inside [`branch`](Checker::branch) too).
    pub fn violation_count(&self) -> usize {
        self.violations.len() + self.muted + self.omitted
    }

    /// Whether no violation has been found.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty() && self.muted == 0 && self.omitted == 0
    }

    /// Whether [`MAX_VIOLATIONS`] violations have been recorded: further ones are only counted. Generated code
    /// may skip costly checks then.
    pub fn is_full(&self) -> bool {
        self.violations.len() >= MAX_VIOLATIONS
    }

    /// `Ok` when no violation was recorded, else all of them (at most [`MAX_VIOLATIONS`], then one entry at the
    /// root saying how many more were found).
    pub fn into_result(self) -> Result<(), Vec<Violation>> {
        if self.is_ok() {
            return Ok(());
        }
        let mut violations = self.violations;
        violations.extend(std::iter::repeat_with(placeholder).take(self.muted));
        if self.omitted > 0 {
            violations.push(omitted_note(self.omitted));
        }
        Err(violations)
    }

    /// The current JSON pointer (`""` at the root).
    pub fn path(&self) -> String {
        self.path.clone()
    }

    /// The current JSON pointer, borrowed.
    pub fn path_str(&self) -> &str {
        &self.path
    }

    /// Whether this checker only counts violations (inside [`branch`](Checker::branch)): generated code may skip
    /// building costly messages then, since they are thrown away. A quiet checker does not allocate on failure.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Records a violation at the current path.
    pub fn fail(&mut self, message: impl Into<String>) {
        if self.quiet {
            self.muted += 1;
        } else if self.is_full() {
            self.omitted += 1;
        } else {
            let violation = Violation {
                path: self.path.clone(),
                message: message.into(),
            };
            self.violations.push(violation);
        }
    }

    /// Records a violation at the current path plus one token, unescaped (`fail_at("name", "is required")` at
    /// `/user` records `/user/name`).
    pub fn fail_at(&mut self, token: &str, message: impl Into<String>) {
        if self.quiet {
            self.muted += 1;
        } else if self.is_full() {
            self.omitted += 1;
        } else {
            let mut path = String::with_capacity(self.path.len() + token.len() + 1);
            path.push_str(&self.path);
            push_token(&mut path, token);
            self.violations.push(Violation {
                path,
                message: message.into(),
            });
        }
    }

    /// Records a violation whose message is built only when it is kept (not inside a branch).
    fn fail_with(&mut self, message: impl FnOnce() -> String) {
        if self.quiet {
            self.muted += 1;
        } else if self.is_full() {
            self.omitted += 1;
        } else {
            let message = message();
            self.fail(message);
        }
    }

    /// Moves into the property `token` (unescaped, as on the wire) of the current object.
    pub fn enter(&mut self, token: &str) {
        self.marks.push(self.path.len());
        push_token(&mut self.path, token);
    }

    /// Moves into the item `index` of the current array.
    pub fn enter_index(&mut self, index: usize) {
        self.marks.push(self.path.len());
        // Writing to a `String` cannot fail.
        let _ = write!(self.path, "/{index}");
    }

    /// Moves back out of the last [`enter`](Checker::enter) or [`enter_index`](Checker::enter_index); at the root
    /// it does nothing.
    pub fn leave(&mut self) {
        if let Some(length) = self.marks.pop() {
            self.path.truncate(length);
        }
    }

    /// Runs `f` on a scratch checker positioned at the same path and returns whether `f` found no violation;
    /// records nothing here. For `anyOf`, `oneOf`, `not` and `if`.
    ///
    /// Nothing is cloned: the path moves into the scratch checker and back. The scratch checker is quiet (see
    /// [`is_quiet`](Checker::is_quiet)), so messages found there are never formatted.
    pub fn branch(&mut self, f: impl FnOnce(&mut Checker)) -> bool {
        self.scratch(true, f).is_ok()
    }

    /// Like [`branch`](Checker::branch) but returns the violations found there, with their paths and messages,
    /// for the message of a failed `oneOf`. When this checker is itself quiet (a branch inside a branch), the
    /// messages would be thrown away: the violations are placeholders with empty paths and messages, as many as
    /// were found.
    pub fn branch_violations(&mut self, f: impl FnOnce(&mut Checker)) -> Vec<Violation> {
        let quiet = self.quiet;
        let scratch = self.scratch(quiet, f);
        let mut violations = scratch.violations;
        violations.extend(std::iter::repeat_with(placeholder).take(scratch.muted));
        if scratch.omitted > 0 {
            violations.push(omitted_note(scratch.omitted));
        }
        violations
    }

    /// Runs `f` on a checker that borrows this one's path; returns it (its path taken back).
    fn scratch(&mut self, quiet: bool, f: impl FnOnce(&mut Checker)) -> Checker {
        let length = self.path.len();
        let depth = self.marks.len();
        let active = self.active.len();
        let mut scratch = Checker {
            path: std::mem::take(&mut self.path),
            marks: std::mem::take(&mut self.marks),
            violations: Vec::new(),
            quiet,
            muted: 0,
            omitted: 0,
            active: std::mem::take(&mut self.active),
        };
        f(&mut scratch);
        // Back where we were, even if `f` left an `enter` unbalanced.
        self.path = std::mem::take(&mut scratch.path);
        self.path.truncate(length);
        self.marks = std::mem::take(&mut scratch.marks);
        self.marks.truncate(depth);
        self.active = std::mem::take(&mut scratch.active);
        self.active.truncate(active);
        scratch
    }

    /// Runs `check` (the keywords of the schema numbered `schema`) on `value`, unless that schema is already being
    /// checked on this very value further up: then it adds nothing, and the value counts as valid there.
    ///
    /// For schemas that reach themselves through `allOf`, `anyOf`, `oneOf`, `not` or `if`/`then`/`else` without
    /// descending into the value (`Worker: {oneOf: [Employer]}`, `Employer: {allOf: [Worker]}`): checking one
    /// would never end. JSON Schema leaves such schemas undefined; the `jsonschema` crate, too, answers "valid"
    /// where a reference comes back to a schema it is already checking on the same value. Generated code calls
    /// this only for such schemas, with a number unique among them.
    pub fn cycle_guard(&mut self, schema: u32, value: &Value, check: impl FnOnce(&mut Checker)) {
        let key = (schema, std::ptr::from_ref(value) as usize);
        if self.active.contains(&key) {
            return;
        }
        self.active.push(key);
        let depth = self.active.len();
        check(self);
        self.active.truncate(depth - 1);
    }

    /// `type`: whether `value` is of one of the `allowed` types, recording `must be a string, found number` (or,
    /// for several, `must be one of: string, null; found number`) when not. An empty `allowed` allows everything.
    ///
    /// [`JsonType::Integer`] takes numbers with a zero fractional part (`1.0` too); [`JsonType::Number`] takes
    /// integers.
    pub fn expect_types(&mut self, value: &Value, allowed: &[JsonType]) -> bool {
        if allowed.is_empty() || allowed.iter().any(|t| t.matches(value)) {
            return true;
        }
        self.fail_with(|| {
            let found = JsonType::of(value).name();
            match allowed {
                [only] => format!("must be {}, found {found}", with_article(*only)),
                _ => {
                    let names: Vec<&str> = allowed.iter().map(|t| t.name()).collect();
                    format!("must be one of: {}; found {found}", names.join(", "))
                }
            }
        });
        false
    }

    /// `const`: `value` must equal `expected` ([`json_equal`](crate::json_equal): `1` equals `1.0`).
    pub fn const_value(&mut self, value: &Value, expected: &Value) {
        if !json_equal(value, expected) {
            self.fail_with(|| format!("must be {}", ShowValue(expected)));
        }
    }

    /// `enum`: `value` must equal one of `allowed`.
    pub fn enum_values(&mut self, value: &Value, allowed: &[Value]) {
        if allowed.iter().any(|candidate| json_equal(value, candidate)) {
            return;
        }
        self.fail_with(|| {
            const SHOWN: usize = 10;
            let mut message = String::from("must be one of ");
            for (i, candidate) in allowed.iter().take(SHOWN).enumerate() {
                if i > 0 {
                    message.push_str(", ");
                }
                let _ = write!(message, "{}", ShowValue(candidate));
            }
            if allowed.len() > SHOWN {
                let _ = write!(message, ", … ({} values)", allowed.len());
            }
            message
        });
    }

    /// `minLength`: at least `min` characters (Unicode scalar values: `"é"` is one, an emoji is one).
    pub fn min_length(&mut self, s: &str, min: u64) {
        // A character takes one to four bytes: count only when the byte length does not settle it.
        let bytes = s.len() as u64;
        if bytes < min || (bytes < min.saturating_mul(4) && char_count(s) < min) {
            let found = char_count(s);
            self.fail_with(|| {
                format!(
                    "must be at least {min} {} long, found {found}",
                    plural(min, "character", "characters")
                )
            });
        }
    }

    /// `maxLength`: at most `max` characters.
    pub fn max_length(&mut self, s: &str, max: u64) {
        // A character is at least one byte: few enough bytes are few enough characters.
        if (s.len() as u64) > max && char_count(s) > max {
            let found = char_count(s);
            self.fail_with(|| {
                format!(
                    "must be at most {max} {} long, found {found}",
                    plural(max, "character", "characters")
                )
            });
        }
    }

    /// `pattern`: the ECMA-262 `pattern` must match somewhere in `s`. A pattern that does not compile matches
    /// nothing (see [`Pattern`]).
    pub fn pattern(&mut self, s: &str, pattern: &Pattern) {
        match pattern.try_match(s) {
            Ok(true) => {}
            Ok(false) => {
                self.fail_with(|| format!("must match the pattern `{}`", pattern.source()));
            }
            Err(reason) => self.fail_with(|| {
                format!(
                    "must match the pattern `{}`, which cannot be checked: {reason}",
                    pattern.source()
                )
            }),
        }
    }

    /// `format` on a string: `is not a valid date-time`. Formats [`format_ok`](crate::format_ok) does not know are
    /// annotations and never fail.
    pub fn format(&mut self, s: &str, format: &str) {
        if format_ok(format, s) == Some(false) {
            self.fail_with(|| format!("is not a valid {format}"));
        }
    }

    /// `format` on a number, for OpenAPI's `int32`, `int64`, `float` and `double` (see
    /// [`number_format_ok`](crate::number_format_ok), which JSON Schema validators do not assert).
    pub fn number_format(&mut self, n: &Number, format: &str) {
        if number_format_ok(format, n) == Some(false) {
            self.fail_with(|| format!("is not a valid {format}, found {}", ShowNumber(n)));
        }
    }

    /// `minimum`: `n >= bound`, compared exactly (an integer is not rounded to `f64`).
    pub fn minimum(&mut self, n: &Number, bound: f64) {
        self.bound(n, bound, ">=", |o| o != Ordering::Less);
    }

    /// `maximum`: `n <= bound`.
    pub fn maximum(&mut self, n: &Number, bound: f64) {
        self.bound(n, bound, "<=", |o| o != Ordering::Greater);
    }

    /// `exclusiveMinimum` (draft-06+, a number): `n > bound`.
    pub fn exclusive_minimum(&mut self, n: &Number, bound: f64) {
        self.bound(n, bound, ">", |o| o == Ordering::Greater);
    }

    /// `exclusiveMaximum` (draft-06+, a number): `n < bound`.
    pub fn exclusive_maximum(&mut self, n: &Number, bound: f64) {
        self.bound(n, bound, "<", |o| o == Ordering::Less);
    }

    /// [`minimum`](Checker::minimum) for an integer bound beyond ±2^53, which an `f64` would round
    /// (`minimum: -9223372036854775808`).
    pub fn minimum_integer(&mut self, n: &Number, bound: i128) {
        self.integer_bound(n, bound, ">=", |o| o != Ordering::Less);
    }

    /// [`maximum`](Checker::maximum) for an integer bound beyond ±2^53 (`maximum: 9223372036854775807`).
    pub fn maximum_integer(&mut self, n: &Number, bound: i128) {
        self.integer_bound(n, bound, "<=", |o| o != Ordering::Greater);
    }

    /// [`exclusive_minimum`](Checker::exclusive_minimum) for an integer bound beyond ±2^53.
    pub fn exclusive_minimum_integer(&mut self, n: &Number, bound: i128) {
        self.integer_bound(n, bound, ">", |o| o == Ordering::Greater);
    }

    /// [`exclusive_maximum`](Checker::exclusive_maximum) for an integer bound beyond ±2^53.
    pub fn exclusive_maximum_integer(&mut self, n: &Number, bound: i128) {
        self.integer_bound(n, bound, "<", |o| o == Ordering::Less);
    }

    fn integer_bound(
        &mut self,
        n: &Number,
        bound: i128,
        operator: &str,
        ok: impl Fn(Ordering) -> bool,
    ) {
        if !ok(number::compare_integer(n, bound)) {
            self.fail_with(|| format!("must be {operator} {bound}, found {}", ShowNumber(n)));
        }
    }

    fn bound(&mut self, n: &Number, bound: f64, operator: &str, ok: impl Fn(Ordering) -> bool) {
        // A NaN bound is no bound.
        let Some(order) = number::compare(n, bound) else {
            return;
        };
        if !ok(order) {
            self.fail_with(|| {
                format!(
                    "must be {operator} {}, found {}",
                    ShowBound(bound),
                    ShowNumber(n)
                )
            });
        }
    }

    /// `multipleOf`: `n / factor` must be an integer, reading both numbers as the decimals they are written as
    /// (so `0.3` is a multiple of `0.1`), exactly as the `jsonschema` crate decides it. A factor that is not a
    /// positive finite number constrains nothing.
    pub fn multiple_of(&mut self, n: &Number, factor: f64) {
        if !number::is_multiple_of(n, factor) {
            self.fail_with(|| format!("must be a multiple of {}", ShowBound(factor)));
        }
    }

    /// `minItems`.
    pub fn min_items(&mut self, items: &[Value], min: u64) {
        if (items.len() as u64) < min {
            self.fail_with(|| format!("must have at least {min} {}", plural(min, "item", "items")));
        }
    }

    /// `maxItems`.
    pub fn max_items(&mut self, items: &[Value], max: u64) {
        if (items.len() as u64) > max {
            self.fail_with(|| format!("must have at most {max} {}", plural(max, "item", "items")));
        }
    }

    /// `uniqueItems: true`: no two items equal ([`json_equal`](crate::json_equal): `1` equals `1.0`, objects by
    /// key set). Records the first equal pair: `items 0 and 2 are equal`.
    pub fn unique_items(&mut self, items: &[Value]) {
        if let Some((i, j)) = first_duplicate(items) {
            self.fail_with(|| format!("items {i} and {j} are equal"));
        }
    }

    /// `minProperties`.
    pub fn min_properties(&mut self, object: &Map<String, Value>, min: u64) {
        if (object.len() as u64) < min {
            self.fail_with(|| {
                format!(
                    "must have at least {min} {}",
                    plural(min, "property", "properties")
                )
            });
        }
    }

    /// `maxProperties`.
    pub fn max_properties(&mut self, object: &Map<String, Value>, max: u64) {
        if (object.len() as u64) > max {
            self.fail_with(|| {
                format!(
                    "must have at most {max} {}",
                    plural(max, "property", "properties")
                )
            });
        }
    }

    /// `required`: one violation per missing name, at the path of that property: `is required`.
    pub fn required(&mut self, object: &Map<String, Value>, names: &[&str]) {
        for name in names {
            if !object.contains_key(*name) {
                self.fail_at(name, "is required");
            }
        }
    }
}

thread_local! {
    /// Path buffers kept between calls of [`crate::validate`] on this thread.
    static SPARE: std::cell::Cell<Option<(String, Vec<usize>)>> = const { std::cell::Cell::new(None) };
}

/// The last entry of a list cut at [`MAX_VIOLATIONS`].
fn omitted_note(omitted: usize) -> Violation {
    Violation {
        path: String::new(),
        message: format!(
            "{omitted} more {} not listed (at most {MAX_VIOLATIONS} are)",
            plural(omitted as u64, "violation", "violations")
        ),
    }
}

fn placeholder() -> Violation {
    Violation {
        path: String::new(),
        message: String::new(),
    }
}

/// Appends `/token` to a JSON pointer, escaping `~` as `~0` and `/` as `~1`.
pub(crate) fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    if token.contains(['~', '/']) {
        for c in token.chars() {
            match c {
                '~' => pointer.push_str("~0"),
                '/' => pointer.push_str("~1"),
                c => pointer.push(c),
            }
        }
    } else {
        pointer.push_str(token);
    }
}

fn char_count(s: &str) -> u64 {
    s.chars().count() as u64
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

fn with_article(t: JsonType) -> &'static str {
    match t {
        JsonType::Null => "null",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Number => "a number",
        JsonType::String => "a string",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
    }
}

/// A JSON value for a message, cut short past 60 characters.
struct ShowValue<'a>(&'a Value);

impl fmt::Display for ShowValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LIMIT: usize = 60;
        let text = self.0.to_string();
        if text.chars().count() <= LIMIT {
            f.write_str(&text)
        } else {
            let cut: String = text.chars().take(LIMIT).collect();
            write!(f, "{cut}…")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `Worker: {required: [name], oneOf: [Boss, Staff]}`, `Boss: {required: [full], allOf: [Worker]}`,
    /// `Staff: {required: [since], allOf: [Worker]}`, as generated code checks them.
    fn worker(value: &Value, c: &mut Checker) {
        c.cycle_guard(0, value, |c| {
            if let Value::Object(object) = value {
                c.required(object, &["name"]);
            }
            let matched = [c.branch(|b| boss(value, b)), c.branch(|b| staff(value, b))];
            if matched.iter().filter(|m| **m).count() != 1 {
                c.fail("must match exactly one");
            }
        });
    }

    fn boss(value: &Value, c: &mut Checker) {
        c.cycle_guard(1, value, |c| {
            if let Value::Object(object) = value {
                c.required(object, &["full"]);
            }
            worker(value, c);
        });
    }

    fn staff(value: &Value, c: &mut Checker) {
        c.cycle_guard(2, value, |c| {
            if let Value::Object(object) = value {
                c.required(object, &["since"]);
            }
            worker(value, c);
        });
    }

    #[test]
    fn in_place_cycles_end_and_count_the_reentry_as_valid() {
        let check = |v: Value| {
            let mut c = Checker::new();
            worker(&v, &mut c);
            c.into_result()
        };
        assert!(check(json!({"name": "a", "full": true})).is_ok());
        assert!(check(json!({"name": "a", "since": "2024"})).is_ok());
        // Both alternatives match: `oneOf` refuses it.
        assert!(check(json!({"name": "a", "full": true, "since": "2024"})).is_err());
        assert!(check(json!({"full": true})).is_err());
        // The guard is per value: the same schema on another value is checked again.
        let mut c = Checker::new();
        let inner = json!({"name": "b"});
        c.cycle_guard(7, &inner, |c| {
            c.cycle_guard(7, &json!({}), |c| c.fail("checked"));
        });
        assert_eq!(c.violation_count(), 1);
    }

    fn num(v: Value) -> Number {
        match v {
            Value::Number(n) => n,
            _ => unreachable!(),
        }
    }

    fn messages(checker: &Checker) -> Vec<String> {
        checker.violations().iter().map(|v| v.to_string()).collect()
    }

    /// Runs `f` on a new checker and returns its violations as `path: message` lines.
    fn run(f: impl FnOnce(&mut Checker)) -> Vec<String> {
        let mut checker = Checker::new();
        f(&mut checker);
        messages(&checker)
    }

    #[test]
    fn clear_and_reuse() {
        let mut c = Checker::new();
        c.enter("a");
        c.fail("x");
        c.clear();
        assert!(c.is_ok());
        assert_eq!(c.path(), "");
        c.enter("b");
        c.fail("y");
        assert_eq!(c.finish().unwrap_err(), vec![Violation::new("/b", "y")]);
        let c = Checker::reuse();
        assert_eq!(c.path(), "");
        assert!(c.path.capacity() >= 2);
        assert_eq!(c.finish(), Ok(()));
    }

    #[test]
    fn new_checker_is_ok() {
        let checker = Checker::new();
        assert!(checker.is_ok());
        assert!(checker.violations().is_empty());
        assert_eq!(checker.path(), "");
        assert!(!checker.is_quiet());
        assert_eq!(checker.into_result(), Ok(()));
    }

    #[test]
    fn paths_enter_and_leave() {
        let mut c = Checker::new();
        c.enter("a");
        c.enter_index(3);
        assert_eq!(c.path(), "/a/3");
        c.enter("x/y~z");
        assert_eq!(c.path(), "/a/3/x~1y~0z");
        c.fail("bad");
        c.leave();
        c.leave();
        assert_eq!(c.path_str(), "/a");
        c.enter("");
        assert_eq!(c.path(), "/a/");
        c.leave();
        c.leave();
        c.leave(); // extra leave at the root is harmless
        assert_eq!(c.path(), "");
        c.fail("root");
        c.fail_at("n/m", "is required");
        assert!(!c.is_ok());
        assert_eq!(
            c.into_result().unwrap_err(),
            vec![
                Violation::new("/a/3/x~1y~0z", "bad"),
                Violation::new("", "root"),
                Violation::new("/n~1m", "is required"),
            ]
        );
    }

    #[test]
    fn branch_records_nothing() {
        let mut c = Checker::new();
        c.enter("a");
        let ok = c.branch(|c| {
            assert_eq!(c.path(), "/a");
            assert!(c.is_quiet());
            c.enter("deeper"); // left unbalanced on purpose
            c.fail("x");
            c.fail_at("y", "z");
            c.min_length("", 1);
            assert!(!c.is_ok());
            assert_eq!(c.violation_count(), 3);
            assert!(c.violations().is_empty());
        });
        assert!(!ok);
        assert!(c.is_ok());
        assert_eq!(c.path(), "/a");
        assert!(!c.is_quiet());
        assert!(c.branch(|c| c.min_length("abc", 1)));
        // A scratch checker starts clean even when this one is not.
        c.fail("outer");
        assert!(c.branch(|c| assert!(c.is_ok())));
        assert_eq!(c.violations().len(), 1);
        c.leave();
        assert_eq!(c.path(), "");
    }

    #[test]
    fn branch_violations_have_paths_and_messages() {
        let mut c = Checker::new();
        c.enter("a");
        let found = c.branch_violations(|c| {
            c.enter_index(0);
            c.min_length("", 1);
            c.leave();
            c.fail_at("b", "is required");
        });
        assert_eq!(
            found,
            vec![
                Violation::new("/a/0", "must be at least 1 character long, found 0"),
                Violation::new("/a/b", "is required"),
            ]
        );
        assert!(c.is_ok());
        // Nested in a quiet branch: placeholders, but the count is right.
        let mut count = 0;
        c.branch(|c| {
            count = c.branch_violations(|c| c.fail("x")).len();
        });
        assert_eq!(count, 1);
        assert!(c.branch_violations(|_| {}).is_empty());
    }

    #[test]
    fn nested_branches() {
        let mut c = Checker::new();
        // not(anyOf(string, integer)) on 1.5
        let value = json!(1.5);
        let any = c.branch(|c| {
            let string = c.branch(|c| {
                c.expect_types(&value, &[JsonType::String]);
            });
            let integer = c.branch(|c| {
                c.expect_types(&value, &[JsonType::Integer]);
            });
            if !(string || integer) {
                c.fail("matches none");
            }
        });
        assert!(!any);
        assert!(c.is_ok());
    }

    #[test]
    fn types() {
        assert!(run(|c| assert!(c.expect_types(&json!("x"), &[JsonType::String]))).is_empty());
        assert!(run(|c| assert!(c.expect_types(&json!(1.0), &[JsonType::Integer]))).is_empty());
        assert!(run(|c| assert!(c.expect_types(&json!(1), &[JsonType::Number]))).is_empty());
        assert!(run(|c| assert!(c.expect_types(&json!(1), &[]))).is_empty());
        assert!(
            run(|c| assert!(c.expect_types(&json!(null), &[JsonType::String, JsonType::Null])))
                .is_empty()
        );
        assert_eq!(
            run(|c| assert!(!c.expect_types(&json!(3), &[JsonType::String]))),
            ["/: must be a string, found number"]
        );
        assert_eq!(
            run(|c| assert!(!c.expect_types(&json!([]), &[JsonType::Object]))),
            ["/: must be an object, found array"]
        );
        assert_eq!(
            run(|c| assert!(!c.expect_types(&json!(1.5), &[JsonType::Integer]))),
            ["/: must be an integer, found number"]
        );
        assert_eq!(
            run(|c| assert!(!c.expect_types(&json!("x"), &[JsonType::Null]))),
            ["/: must be null, found string"]
        );
        assert_eq!(
            run(|c| assert!(!c.expect_types(&json!(true), &[JsonType::Array]))),
            ["/: must be an array, found boolean"]
        );
        assert_eq!(
            run(|c| assert!(!c.expect_types(&json!({}), &[JsonType::Boolean]))),
            ["/: must be a boolean, found object"]
        );
        assert_eq!(
            run(|c| assert!(!c.expect_types(&json!(null), &[JsonType::Number]))),
            ["/: must be a number, found null"]
        );
        assert_eq!(
            run(|c| assert!(!c.expect_types(&json!(2.5), &[JsonType::String, JsonType::Null]))),
            ["/: must be one of: string, null; found number"]
        );
    }

    #[test]
    fn const_and_enum() {
        assert!(run(|c| c.const_value(&json!(1.0), &json!(1))).is_empty());
        assert!(run(|c| c.const_value(&json!({"a": [1]}), &json!({"a": [1.0]}))).is_empty());
        assert_eq!(
            run(|c| c.const_value(&json!("b"), &json!("a"))),
            [r#"/: must be "a""#]
        );
        assert!(run(|c| c.enum_values(&json!(2.0), &[json!(1), json!(2)])).is_empty());
        assert_eq!(
            run(|c| c.enum_values(&json!("c"), &[json!("a"), json!("b")])),
            [r#"/: must be one of "a", "b""#]
        );
        assert_eq!(
            run(|c| c.enum_values(&json!(null), &[])),
            ["/: must be one of "]
        );
        let many: Vec<Value> = (0..12).map(|i| json!(i)).collect();
        assert_eq!(
            run(|c| c.enum_values(&json!(99), &many)),
            ["/: must be one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … (12 values)"]
        );
        let long = json!("x".repeat(100));
        let shown = run(|c| c.const_value(&json!(1), &long));
        assert!(shown[0].ends_with("xxx…"), "{shown:?}");
    }

    #[test]
    fn lengths() {
        assert!(run(|c| c.min_length("abc", 3)).is_empty());
        assert!(run(|c| c.min_length("ééé", 3)).is_empty());
        assert!(run(|c| c.min_length("", 0)).is_empty());
        assert_eq!(
            run(|c| c.min_length("ab", 3)),
            ["/: must be at least 3 characters long, found 2"]
        );
        // Two characters in four bytes.
        assert_eq!(
            run(|c| c.min_length("éé", 3)),
            ["/: must be at least 3 characters long, found 2"]
        );
        assert_eq!(
            run(|c| c.min_length("", 1)),
            ["/: must be at least 1 character long, found 0"]
        );
        assert!(run(|c| c.max_length("ab", 2)).is_empty());
        assert!(run(|c| c.max_length("😀😀", 2)).is_empty());
        assert_eq!(
            run(|c| c.max_length("😀😀😀", 2)),
            ["/: must be at most 2 characters long, found 3"]
        );
        assert_eq!(
            run(|c| c.max_length("ab", 1)),
            ["/: must be at most 1 character long, found 2"]
        );
    }

    #[test]
    fn patterns() {
        static P: Pattern = Pattern::new("^x");
        assert!(run(|c| c.pattern("xy", &P)).is_empty());
        assert_eq!(
            run(|c| c.pattern("yx", &P)),
            ["/: must match the pattern `^x`"]
        );
        let broken = Pattern::new("(");
        let found = run(|c| c.pattern("(", &broken));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("/: must match the pattern `(`, which cannot be checked: "),
            "{found:?}"
        );
    }

    #[test]
    fn formats() {
        assert!(run(|c| c.format("2020-01-01T00:00:00Z", "date-time")).is_empty());
        assert_eq!(
            run(|c| c.format("yesterday", "date-time")),
            ["/: is not a valid date-time"]
        );
        assert!(run(|c| c.format("anything", "first_name")).is_empty());
        assert!(run(|c| c.number_format(&num(json!(5)), "int32")).is_empty());
        assert!(run(|c| c.number_format(&num(json!(5)), "whatever")).is_empty());
        assert_eq!(
            run(|c| c.number_format(&num(json!(3_000_000_000_u64)), "int32")),
            ["/: is not a valid int32, found 3000000000"]
        );
    }

    #[test]
    fn bounds() {
        assert!(run(|c| c.minimum(&num(json!(0)), 0.0)).is_empty());
        assert_eq!(
            run(|c| c.minimum(&num(json!(-1)), 0.0)),
            ["/: must be >= 0, found -1"]
        );
        assert_eq!(
            run(|c| c.minimum(&num(json!(0.4)), 0.5)),
            ["/: must be >= 0.5, found 0.4"]
        );
        assert!(run(|c| c.maximum(&num(json!(10)), 10.0)).is_empty());
        assert_eq!(
            run(|c| c.maximum(&num(json!(10.5)), 10.0)),
            ["/: must be <= 10, found 10.5"]
        );
        assert!(run(|c| c.exclusive_minimum(&num(json!(1)), 0.0)).is_empty());
        assert_eq!(
            run(|c| c.exclusive_minimum(&num(json!(0)), 0.0)),
            ["/: must be > 0, found 0"]
        );
        assert!(run(|c| c.exclusive_maximum(&num(json!(-1)), 0.0)).is_empty());
        assert_eq!(
            run(|c| c.exclusive_maximum(&num(json!(0.0)), 0.0)),
            ["/: must be < 0, found 0.0"]
        );
        assert!(run(|c| c.minimum(&num(json!(1)), f64::NAN)).is_empty());
    }

    #[test]
    fn multiples() {
        assert!(run(|c| c.multiple_of(&num(json!(0.3)), 0.1)).is_empty());
        assert!(run(|c| c.multiple_of(&num(json!(1.5)), 0.5)).is_empty());
        assert_eq!(
            run(|c| c.multiple_of(&num(json!(1.2)), 0.5)),
            ["/: must be a multiple of 0.5"]
        );
        assert_eq!(
            run(|c| c.multiple_of(&num(json!(7)), 2.0)),
            ["/: must be a multiple of 2"]
        );
    }

    #[test]
    fn arrays() {
        let items = [json!(1), json!(2), json!(1.0)];
        assert!(run(|c| c.min_items(&items, 3)).is_empty());
        assert_eq!(
            run(|c| c.min_items(&items, 4)),
            ["/: must have at least 4 items"]
        );
        assert_eq!(
            run(|c| c.min_items(&[], 1)),
            ["/: must have at least 1 item"]
        );
        assert!(run(|c| c.max_items(&items, 3)).is_empty());
        assert_eq!(
            run(|c| c.max_items(&items, 1)),
            ["/: must have at most 1 item"]
        );
        assert_eq!(
            run(|c| c.max_items(&items, 2)),
            ["/: must have at most 2 items"]
        );
        assert_eq!(
            run(|c| c.unique_items(&items)),
            ["/: items 0 and 2 are equal"]
        );
        assert!(run(|c| c.unique_items(&items[..2])).is_empty());
    }

    #[test]
    fn objects() {
        let object = json!({"a": 1, "b": 2});
        let object = object.as_object().unwrap();
        assert!(run(|c| c.min_properties(object, 2)).is_empty());
        assert_eq!(
            run(|c| c.min_properties(object, 3)),
            ["/: must have at least 3 properties"]
        );
        assert!(run(|c| c.max_properties(object, 2)).is_empty());
        assert_eq!(
            run(|c| c.max_properties(object, 1)),
            ["/: must have at most 1 property"]
        );
        assert!(run(|c| c.required(object, &["a", "b"])).is_empty());
        assert_eq!(
            run(|c| {
                c.enter("o");
                c.required(object, &["a", "c", "d/e"]);
            }),
            ["/o/c: is required", "/o/d~1e: is required"]
        );
    }

    #[test]
    fn violations_are_capped_and_the_rest_counted() {
        let mut c = Checker::new();
        for i in 0..250 {
            c.enter_index(i);
            c.fail_with(|| unreachable_after_cap(i));
            c.leave();
        }
        assert!(c.is_full());
        assert_eq!(c.violation_count(), 250);
        let found = c.into_result().unwrap_err();
        assert_eq!(found.len(), MAX_VIOLATIONS + 1);
        assert_eq!(found[99].path, "/99");
        assert_eq!(found[100].path, "");
        assert_eq!(
            found[100].message,
            "150 more violations not listed (at most 100 are)"
        );
        // Past the cap `fail_at` and `fail` count too.
        let mut c = Checker::new();
        for _ in 0..MAX_VIOLATIONS {
            c.fail("x");
        }
        c.fail_at("a", "y");
        c.fail("z");
        let found = c.into_result().unwrap_err();
        assert_eq!(found.len(), MAX_VIOLATIONS + 1);
        assert_eq!(
            found[100].message,
            "2 more violations not listed (at most 100 are)"
        );
    }

    /// A message builder that must not run past the cap.
    fn unreachable_after_cap(i: usize) -> String {
        assert!(i < MAX_VIOLATIONS, "message {i} built past the cap");
        format!("bad {i}")
    }

    #[test]
    fn all_violations_are_collected() {
        let found = run(|c| {
            c.min_length("ab", 3);
            c.pattern("ab", &Pattern::new("^z"));
            c.format("ab", "email");
        });
        assert_eq!(found.len(), 3);
    }
}
