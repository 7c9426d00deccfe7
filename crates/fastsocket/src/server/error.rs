//! The errors answered to clients, and what handlers return on failure.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Violation;

/// What went wrong, as the client reads it (`"validation_failed"`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The payload breaks its schema (`details` holds every violation, at JSON pointers of the payload as sent),
    /// or a handler refused it with [`HandlerError::invalid`].
    ValidationFailed,
    /// The message is larger than the configured maximum (`FASTSOCKET_MAX_MESSAGE_BYTES`).
    PayloadTooLarge,
    /// The event is declared in the contract, but the server does not implement its handler yet.
    NotImplemented,
    /// The namespace declares no such inbound event.
    UnknownEvent,
    /// The event needs credentials the client did not connect with (the operation's security), or a handler
    /// refused the client ([`HandlerError::unauthorized`]).
    Unauthorized,
    /// The socket sends events faster than `FASTSOCKET_EVENTS_PER_SECOND` allows, or has more than
    /// `FASTSOCKET_MAX_IN_FLIGHT` being handled: the event was not handled; send it again later.
    RateLimited,
    /// The client's credentials passed but lack a scope the event's operation requires.
    Forbidden,
    /// The server failed (a handler error, a panic); the message stays generic, the cause is in the server log.
    Internal,
}

impl ErrorCode {
    /// The wire name: `validation_failed`, `payload_too_large`, `not_implemented`, `unknown_event`,
    /// `unauthorized`, `forbidden`, `rate_limited`, `internal`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotImplemented => "not_implemented",
            ErrorCode::UnknownEvent => "unknown_event",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Internal => "internal",
        }
    }

    /// Whether the client caused the error (logged as a warning) rather than the server (logged as an error).
    pub const fn is_client_error(self) -> bool {
        !matches!(self, ErrorCode::Internal)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The one shape of every error answered to a client:
/// `{"error": {"code": C, "message": M, "details": [{"path": P, "message": M}]}}`.
///
/// It is the argument of the acknowledgement when the client asked for one, else the payload of an
/// [`exception`](super::EXCEPTION_EVENT) event sent to that socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The body of an [`ErrorEnvelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
    /// Every violated constraint (empty unless `code` is `validation_failed`).
    #[serde(default)]
    pub details: Vec<Violation>,
}

/// What a handler returns on failure.
///
/// Any `std::error::Error + Send + Sync + 'static` converts into an [`ErrorCode::Internal`] error with `?` (the
/// client reads `internal error`, the cause goes to the server log), so `HandlerError` does not implement
/// `std::error::Error` itself.
pub struct HandlerError {
    code: ErrorCode,
    message: String,
    details: Vec<Violation>,
    cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl HandlerError {
    /// An error with any code and message (shown to the client as is).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        HandlerError {
            code,
            message: message.into(),
            details: Vec::new(),
            cause: None,
        }
    }

    /// `not_implemented`: what the default handler methods of generated code return.
    pub fn not_implemented(event: &str) -> Self {
        Self::new(
            ErrorCode::NotImplemented,
            format!("`{event}` is not implemented"),
        )
    }

    /// `internal`, with a message shown to the client: keep it generic.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// `unauthorized`: the client may not do this.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// `validation_failed` for business rules checked in a handler (the schema checks run before handlers).
    pub fn invalid(details: Vec<Violation>) -> Self {
        let message = summary("the request is invalid", &details);
        HandlerError {
            details,
            ..Self::new(ErrorCode::ValidationFailed, message)
        }
    }

    /// `internal error` for the client, with `error` kept as the cause for the server log.
    pub fn from_error<E: std::error::Error + Send + Sync + 'static>(error: E) -> Self {
        Self::internal("internal error").with_cause(error)
    }

    /// Keeps `cause` for the server log (never sent to the client).
    pub fn with_cause<E: std::error::Error + Send + Sync + 'static>(mut self, cause: E) -> Self {
        self.cause = Some(Box::new(cause));
        self
    }

    /// The same error with these violations (a retried event's answer, told again).
    pub(crate) fn with_details(mut self, details: Vec<Violation>) -> Self {
        self.details = details;
        self
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message shown to the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The violations (for `validation_failed`).
    pub fn details(&self) -> &[Violation] {
        &self.details
    }

    /// The cause kept for the log, if any.
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.cause.as_deref()
    }

    /// The payload sent to the client.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorBody {
                code: self.code,
                message: self.message.clone(),
                details: self.details.clone(),
            },
        }
    }

    /// A payload that breaks the schema of `event`.
    pub(crate) fn invalid_payload(event: &str, details: Vec<Violation>) -> Self {
        let message = summary(&format!("invalid payload for `{event}`"), &details);
        HandlerError {
            details,
            ..Self::new(ErrorCode::ValidationFailed, message)
        }
    }
}

/// `what: first violation` (`(and N more)` when there are several).
fn summary(what: &str, details: &[Violation]) -> String {
    match details {
        [] => what.to_owned(),
        [one] => format!("{what}: {one}"),
        [first, rest @ ..] => format!("{what}: {first} (and {} more)", rest.len()),
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(error: E) -> Self {
        HandlerError::from_error(error)
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerError")
            .field("code", &self.code)
            .field("message", &self.message)
            .field("details", &self.details)
            .field("cause", &self.cause.as_ref().map(|c| c.to_string()))
            .finish()
    }
}

impl fmt::Display for HandlerError {
    /// `code: message`, then `(cause: …)` when there is a cause.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause})")?;
        }
        Ok(())
    }
}

/// Why [`Emitter::emit`](super::Emitter::emit) did not send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmitError {
    /// The payload breaks its schema: nothing was sent.
    Invalid(Vec<Violation>),
    /// The transport refused (the socket is closed, its buffer is full, the namespace is gone…).
    Socket(String),
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::Invalid(violations) => {
                f.write_str("the payload breaks its schema")?;
                for (i, v) in violations.iter().enumerate() {
                    f.write_str(if i == 0 { ": " } else { "; " })?;
                    write!(f, "{v}")?;
                }
                Ok(())
            }
            EmitError::Socket(message) => write!(f, "cannot send: {message}"),
        }
    }
}

impl std::error::Error for EmitError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_shape() {
        let error = HandlerError::invalid(vec![Violation::new("/text", "is too short")]);
        let json = serde_json::to_value(error.envelope()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {
                "code": "validation_failed",
                "message": "the request is invalid: /text: is too short",
                "details": [{"path": "/text", "message": "is too short"}]
            }})
        );
        let back: ErrorEnvelope = serde_json::from_value(json).unwrap();
        assert_eq!(back, error.envelope());
    }

    #[test]
    fn codes_are_snake_case() {
        for code in [
            ErrorCode::ValidationFailed,
            ErrorCode::PayloadTooLarge,
            ErrorCode::NotImplemented,
            ErrorCode::UnknownEvent,
            ErrorCode::Unauthorized,
            ErrorCode::RateLimited,
            ErrorCode::Forbidden,
            ErrorCode::Internal,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_owned())
            );
        }
    }

    #[test]
    fn question_mark_turns_errors_into_internal() {
        fn fails() -> Result<(), HandlerError> {
            let _n: u8 = "300".parse()?;
            Ok(())
        }
        let error = fails().unwrap_err();
        assert_eq!(error.code(), ErrorCode::Internal);
        assert_eq!(error.message(), "internal error");
        assert!(error.cause().is_some());
        assert!(error.to_string().contains("cause"));
        assert_eq!(error.envelope().error.message, "internal error");
    }

    #[test]
    fn constructors() {
        assert_eq!(
            HandlerError::not_implemented("echo").message(),
            "`echo` is not implemented"
        );
        assert_eq!(
            HandlerError::unauthorized("no").code(),
            ErrorCode::Unauthorized
        );
        let many = HandlerError::invalid_payload(
            "echo",
            vec![Violation::new("/a", "x"), Violation::new("/b", "y")],
        );
        assert_eq!(
            many.message(),
            "invalid payload for `echo`: /a: x (and 1 more)"
        );
        assert_eq!(
            EmitError::Invalid(vec![Violation::new("/a", "x"), Violation::new("", "y")])
                .to_string(),
            "the payload breaks its schema: /a: x; /: y"
        );
    }
}
