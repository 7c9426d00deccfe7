//! The answers of a delivery session's inbound events, by idempotency key: a retry of an event the server
//! already handled gets the first answer again instead of running the handler a second time.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;
use tokio::sync::watch;

use crate::server::error::HandlerError;

/// How many answers a session keeps (the oldest goes first).
pub(crate) const ACKS_PER_SESSION: usize = 256;

/// Longer keys are not remembered (the event is handled as one without a key): a key is an id, not data.
pub(crate) const MAX_KEY_LEN: usize = 128;

/// What a handler answered, kept for retries.
pub(crate) type Answer = Result<Value, Retold>;

/// A [`HandlerError`] as the client saw it (its cause stays with the first answer's log line).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Retold {
    code: crate::server::ErrorCode,
    message: String,
    details: Vec<crate::Violation>,
}

impl Retold {
    pub(crate) fn of(error: &HandlerError) -> Self {
        Retold {
            code: error.code(),
            message: error.message().to_owned(),
            details: error.details().to_vec(),
        }
    }

    pub(crate) fn error(&self) -> HandlerError {
        HandlerError::new(self.code, self.message.clone()).with_details(self.details.clone())
    }
}

/// An answer as stored in Redis (with the Redis adapter).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Stored {
    Ok(Value),
    Err(Retold),
}

impl Stored {
    pub(crate) fn of(result: &Result<Value, HandlerError>) -> Self {
        match result {
            Ok(value) => Stored::Ok(value.clone()),
            Err(error) => Stored::Err(Retold::of(error)),
        }
    }

    /// The stored answer read back (`internal` when it cannot be read).
    pub(crate) fn read(bytes: &[u8]) -> Result<Value, HandlerError> {
        match serde_json::from_slice(bytes) {
            Ok(Stored::Ok(value)) => Ok(value),
            Ok(Stored::Err(retold)) => Err(retold.error()),
            Err(_) => Err(HandlerError::internal("internal error")),
        }
    }
}

/// What to do with an event that carries a key.
pub(crate) enum Begin {
    /// The first time: run the handler, then [`watch::Sender::send`] its answer.
    Run(watch::Sender<Option<Answer>>),
    /// Seen before: the answer, once the first run has one.
    Repeat(watch::Receiver<Option<Answer>>),
}

/// The answers by key, oldest first.
#[derive(Default)]
pub(crate) struct Acks {
    slots: HashMap<String, watch::Receiver<Option<Answer>>>,
    order: VecDeque<String>,
}

impl Acks {
    pub(crate) fn begin(&mut self, key: &str) -> Begin {
        if let Some(slot) = self.slots.get(key) {
            return Begin::Repeat(slot.clone());
        }
        if self.order.len() >= ACKS_PER_SESSION
            && let Some(oldest) = self.order.pop_front()
        {
            self.slots.remove(&oldest);
        }
        let (sender, receiver) = watch::channel(None);
        self.slots.insert(key.to_owned(), receiver);
        self.order.push_back(key.to_owned());
        Begin::Run(sender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_repeat_gets_the_first_answer() {
        let mut acks = Acks::default();
        let Begin::Run(first) = acks.begin("k") else {
            panic!("first time runs");
        };
        let Begin::Repeat(mut repeat) = acks.begin("k") else {
            panic!("second time repeats");
        };
        first.send_replace(Some(Ok(Value::from(42))));
        let answer = repeat.wait_for(Option::is_some).await.unwrap().clone();
        assert_eq!(answer.unwrap().unwrap(), Value::from(42));
    }

    #[test]
    fn the_oldest_key_is_forgotten() {
        let mut acks = Acks::default();
        for i in 0..=ACKS_PER_SESSION {
            assert!(matches!(acks.begin(&i.to_string()), Begin::Run(_)));
        }
        assert!(matches!(acks.begin("0"), Begin::Run(_)), "forgotten");
        assert!(matches!(
            acks.begin(&ACKS_PER_SESSION.to_string()),
            Begin::Repeat(_)
        ));
    }

    #[test]
    fn stored_answers_read_back() {
        let ok = serde_json::to_vec(&Stored::of(&Ok(Value::from("yes")))).unwrap();
        assert_eq!(Stored::read(&ok).unwrap(), Value::from("yes"));
        let error = HandlerError::invalid(vec![crate::Violation::new("/a", "too long")]);
        let err = serde_json::to_vec(&Stored::of(&Err(error))).unwrap();
        assert_eq!(Stored::read(&err).unwrap_err().details().len(), 1);
        assert_eq!(
            Stored::read(b"nonsense").unwrap_err().code(),
            crate::server::ErrorCode::Internal
        );
    }

    #[test]
    fn errors_are_retold_with_their_details() {
        let error = HandlerError::invalid(vec![crate::Violation::new("/a", "too long")]);
        let again = Retold::of(&error).error();
        assert_eq!(again.code(), error.code());
        assert_eq!(again.message(), error.message());
        assert_eq!(again.details().len(), 1);
    }
}
