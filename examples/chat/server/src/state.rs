//! The chat's memory: rooms (members, who is typing, history), every connected socket (for kicks and stats)
//! and bans. In-process only: a restart forgets everything, and several server processes would not share it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use fastsocket::server::SocketRef;

use crate::models::{ChatMessage, RoomId, SendMessageAck, User, UserId, UserRole};

/// Messages kept per room (older ones are dropped); also the number of retry keys remembered per room.
pub const HISTORY_LIMIT: usize = 500;
/// At most this many users are named in a `typing_indicator` (the schema's `maxItems`).
pub const TYPING_SHOWN: usize = 10;
/// At most this many members are listed in a `join_room` acknowledgement (the schema's `maxItems`).
pub const MEMBERS_SHOWN: usize = 100;

/// The handshake query parameter that names the user (`?username=ada_l`). The spec has no identity for chat
/// users, so this example takes one from the handshake; a missing or malformed name makes the socket a guest.
pub const USERNAME_QUERY: &str = "username";

/// Everything the handlers share.
#[derive(Debug, Default)]
pub struct State {
    rooms: HashMap<String, Room>,
    sockets: HashMap<String, Connected>,
    bans: HashMap<uuid::Uuid, Instant>,
    /// `(user, room)` pairs whose next room connection is not announced (`join_room` with `silent: true`).
    quiet: HashSet<(uuid::Uuid, String)>,
}

/// One room: who is in it, who is typing, what was said.
#[derive(Debug, Default)]
pub struct Room {
    /// By socket id: one user may have several sockets (tabs).
    members: BTreeMap<String, User>,
    typing: BTreeSet<String>,
    history: VecDeque<ChatMessage>,
    /// The acknowledgements of messages that carried a `clientMessageId`, for retries.
    acks: VecDeque<(uuid::Uuid, SendMessageAck)>,
}

/// A connected socket of any namespace.
#[derive(Debug)]
struct Connected {
    user: uuid::Uuid,
    socket: SocketRef,
}

impl State {
    /// Remembers a socket so that `kick_user` can find it.
    pub fn connect(&mut self, user: &User, socket: SocketRef) {
        self.sockets.insert(
            socket_key(&socket),
            Connected {
                user: user.id.0,
                socket,
            },
        );
    }

    /// Forgets a socket.
    pub fn disconnect(&mut self, socket: &SocketRef) {
        self.sockets.remove(&socket_key(socket));
    }

    /// The minutes left of a ban, rounded up; `None` when the user is not banned (an expired ban is removed).
    pub fn banned_for(&mut self, user: &UserId) -> Option<u64> {
        let until = *self.bans.get(&user.0)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            self.bans.remove(&user.0);
            return None;
        }
        Some(left.as_secs().div_ceil(60).max(1))
    }

    /// Forgets every socket of `user` in every namespace and returns them for the caller to disconnect once
    /// the state is unlocked (a disconnect runs the socket's disconnect handler, which locks the state too);
    /// bans the user for `ban_minutes` when that is not zero.
    pub fn kick(&mut self, user: &UserId, ban_minutes: u32) -> Vec<SocketRef> {
        if ban_minutes > 0 {
            let ban = Duration::from_secs(u64::from(ban_minutes) * 60);
            self.bans.insert(user.0, Instant::now() + ban);
        }
        let doomed: Vec<String> = self
            .sockets
            .iter()
            .filter(|(_, connected)| connected.user == user.0)
            .map(|(id, _)| id.clone())
            .collect();
        doomed
            .iter()
            .filter_map(|id| self.sockets.remove(id))
            .map(|connected| connected.socket)
            .collect()
    }

    /// How many sockets are connected, over all namespaces.
    pub fn socket_count(&self) -> usize {
        self.sockets.len()
    }

    /// How many rooms have at least one member.
    pub fn occupied_rooms(&self) -> usize {
        self.rooms
            .values()
            .filter(|r| !r.members.is_empty())
            .count()
    }

    /// Marks the next room connection of `user` to `room` as not to be announced.
    pub fn join_quietly(&mut self, user: &UserId, room: &str) {
        self.quiet.insert((user.0, room.to_owned()));
    }

    /// Whether the connection should stay unannounced (consumes the mark).
    pub fn take_quiet(&mut self, user: &UserId, room: &str) -> bool {
        self.quiet.remove(&(user.0, room.to_owned()))
    }

    /// The room, created on first use.
    pub fn room(&mut self, id: &str) -> &mut Room {
        self.rooms.entry(id.to_owned()).or_default()
    }

    /// The members of a room, one entry per user, at most [`MEMBERS_SHOWN`].
    pub fn members(&self, room: &str) -> Vec<User> {
        let Some(room) = self.rooms.get(room) else {
            return Vec::new();
        };
        let mut seen = HashSet::new();
        room.members
            .values()
            .filter(|user| seen.insert(user.id.0))
            .take(MEMBERS_SHOWN)
            .cloned()
            .collect()
    }
}

impl Room {
    /// Adds a member socket; the number of distinct users now in the room.
    pub fn enter(&mut self, socket_id: &str, user: User) -> usize {
        self.members.insert(socket_id.to_owned(), user);
        self.user_count()
    }

    /// Removes a member socket; whether the set of typing users changed (when the user has no other socket in
    /// the room, they stop typing).
    pub fn leave(&mut self, socket_id: &str) -> bool {
        let Some(user) = self.members.remove(socket_id) else {
            return false;
        };
        let still_here = self.members.values().any(|u| u.id == user.id);
        !still_here && self.typing.remove(&user.username)
    }

    fn user_count(&self) -> usize {
        self.members
            .values()
            .map(|u| u.id.0)
            .collect::<HashSet<_>>()
            .len()
    }

    /// Records that `username` started or stopped typing; whether anything changed.
    pub fn set_typing(&mut self, username: &str, is_typing: bool) -> bool {
        if is_typing {
            self.typing.insert(username.to_owned())
        } else {
            self.typing.remove(username)
        }
    }

    /// Who is typing, in name order, at most [`TYPING_SHOWN`].
    pub fn typing(&self) -> Vec<String> {
        self.typing.iter().take(TYPING_SHOWN).cloned().collect()
    }

    /// The acknowledgement already given for a retried `clientMessageId`.
    pub fn earlier_ack(&self, client_message_id: &uuid::Uuid) -> Option<SendMessageAck> {
        self.acks
            .iter()
            .find(|(id, _)| id == client_message_id)
            .map(|(_, ack)| ack.clone())
    }

    /// Stores a message (dropping the oldest beyond [`HISTORY_LIMIT`]) and the ack of its retry key.
    pub fn store(&mut self, message: ChatMessage, retry: Option<(uuid::Uuid, SendMessageAck)>) {
        if self.history.len() == HISTORY_LIMIT {
            self.history.pop_front();
        }
        self.history.push_back(message);
        if let Some(retry) = retry {
            if self.acks.len() == HISTORY_LIMIT {
                self.acks.pop_front();
            }
            self.acks.push_back(retry);
        }
    }

    /// Up to `limit` messages sent strictly before `before` (all when `None`), oldest first, and whether older
    /// ones remain.
    pub fn page(
        &self,
        before: Option<chrono::DateTime<chrono::FixedOffset>>,
        limit: usize,
    ) -> (Vec<ChatMessage>, bool) {
        let older: Vec<&ChatMessage> = self
            .history
            .iter()
            .filter(|m| before.is_none_or(|before| m.sent_at.0 < before))
            .collect();
        let start = older.len().saturating_sub(limit);
        (
            older[start..].iter().map(|m| (*m).clone()).collect(),
            start > 0,
        )
    }
}

/// A user named `username` when that is a valid user name (the `User.username` schema), else a guest named
/// after `fallback` (a socket id). The id is derived from the name, so one user keeps one id across
/// namespaces and reconnections, and an operator can kick them by it.
pub fn user_named(username: Option<&str>, fallback: &str) -> User {
    let username = match username {
        Some(name) if is_username(name) => name.to_owned(),
        _ => {
            let tail: String = fallback
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(8)
                .collect();
            format!("guest_{tail}")
        }
    };
    User {
        id: UserId(uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            username.as_bytes(),
        )),
        username,
        display_name: None,
        avatar_url: None,
        role: UserRole::Member,
        additional_properties: Default::default(),
    }
}

/// The key of a socket among all namespaces: socketioxide gives a client's sockets of different namespaces the
/// same id, so the id alone would let a room socket replace the lobby socket (and a kick miss one of them).
fn socket_key(socket: &SocketRef) -> String {
    format!("{} {}", socket.ns(), socket.id)
}

/// `^[A-Za-z0-9_]+$`, 3 to 24 characters.
fn is_username(name: &str) -> bool {
    (3..=24).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `id` satisfies the `RoomId` schema (the namespace parameter carries no schema of its own: AsyncAPI
/// 3.0 parameters cannot hold one).
pub fn is_room_id(id: &str) -> bool {
    fastsocket::check(&RoomId(id.to_owned())).is_ok()
}

/// The value of `name` in a URL query string (percent-decoding is left out: user names and keys are plain).
pub fn query_param<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

#[cfg(test)]
mod tests;
