//! The chat's handlers. This file is yours: regeneration never touches it.
//!
//! - `/` (lobby): `join_room` answers the room's namespace and members (`denied` while the user is banned);
//!   `leave_room` forgets the membership (the client closes its room socket itself). The `password` of
//!   `join_room` is not checked: every room of this example is public.
//! - `/rooms/{roomId}`: on connect the user is announced with `user_joined` to the whole room (itself
//!   included, so a client knows it is in once it sees its own name); `send_message` stores the message,
//!   broadcasts `message` to the room and acknowledges its id (a retried `clientMessageId` gets the first
//!   answer again); `typing` sends `typing_indicator` to the others; `history` acknowledges a page.
//! - `/admin` (bearer token or `?api_key=`): a `server_stats` sample on connect and every 10 s; `kick_user`
//!   disconnects every socket of the user and bans them for `banMinutes`; every 5 s, `room_activity`: the
//!   messages per room over the last minute, computed from the typed stream of `send_message` (see
//!   [`activity`](crate::activity), started by `on_start`).
//!
//! Users are named by the handshake query `?username=` (see [`USERNAME_QUERY`]); without one, a socket is a
//! guest.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use fastsocket::Violation;
use fastsocket::server::HandlerError;

use crate::generated::server::{Streams, admin, lobby, room};
use crate::models::{
    ChatMessage, HistoryPagePayload, HistoryRequestPayload, JoinRoomAckPayload,
    JoinRoomAckPayloadStatus, JoinRoomPayload, KickUserAck, KickUserPayload, LeaveRoomPayload,
    RoomId, SendMessageAck, SendMessagePayload, ServerStatsPayload, Timestamp,
    TypingIndicatorPayload, TypingPayload, User, UserJoinedPayload,
};
use crate::state::{State, USERNAME_QUERY, is_room_id, query_param, user_named};

/// How often an operator gets a `server_stats` sample.
const STATS_EVERY: Duration = Duration::from_secs(10);

/// How often the operators get `room_activity` (one of the window's buckets: the window spans
/// [`activity::BUCKETS`](crate::activity::BUCKETS) of them, a minute).
pub const ACTIVITY_EVERY: Duration = Duration::from_secs(5);

/// The server's state, shared by every handler.
#[derive(Debug, Clone)]
pub struct Handlers {
    state: Arc<Mutex<State>>,
    activity_every: Duration,
}

impl Default for Handlers {
    fn default() -> Self {
        Handlers {
            state: Arc::default(),
            activity_every: ACTIVITY_EVERY,
        }
    }
}

impl Handlers {
    /// The same handlers, with `room_activity` every `period` instead of [`ACTIVITY_EVERY`] (the window spans
    /// [`activity::BUCKETS`](crate::activity::BUCKETS) periods).
    pub fn with_activity_every(self, period: Duration) -> Self {
        Handlers {
            activity_every: period,
            ..self
        }
    }

    /// The state, locked. Never held across an `.await`: emits happen after it is released.
    fn state(&self) -> MutexGuard<'_, State> {
        // A handler that panicked while holding the lock left the state consistent enough to go on: every
        // change above is a single insert or remove.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The user behind a socket, from its handshake query.
fn user_of<E, P>(ctx: &fastsocket::server::Context<E, P>) -> User {
    let parts = ctx.socket().req_parts();
    user_named(
        query_param(parts.uri.query(), USERNAME_QUERY),
        &ctx.socket_id(),
    )
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    // `chrono` comes without its clock feature: the time is read from the standard library.
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).fixed_offset()
}

impl lobby::LobbyHandlers for Handlers {
    async fn on_connect(&self, ctx: lobby::LobbyContext) {
        let user = user_of(&ctx);
        self.state().connect(&user, ctx.socket().clone());
    }

    async fn on_disconnect(&self, ctx: lobby::LobbyContext) {
        self.state().disconnect(ctx.socket());
    }

    async fn join_room(
        &self,
        ctx: lobby::LobbyContext,
        payload: JoinRoomPayload,
    ) -> Result<JoinRoomAckPayload, HandlerError> {
        let user = user_of(&ctx);
        let room = payload.room_id.0;
        let mut state = self.state();
        if let Some(minutes) = state.banned_for(&user.id) {
            return Ok(JoinRoomAckPayload {
                status: JoinRoomAckPayloadStatus::Denied,
                namespace: None,
                members: None,
                error: Some(Some(format!("banned for {minutes} more minute(s)"))),
                additional_properties: Default::default(),
            });
        }
        let status = if ctx.rooms().contains(&room) {
            JoinRoomAckPayloadStatus::AlreadyMember
        } else {
            ctx.join(room.clone());
            JoinRoomAckPayloadStatus::Joined
        };
        if payload.silent {
            state.join_quietly(&user.id, &room);
        }
        Ok(JoinRoomAckPayload {
            status,
            namespace: Some(format!("/rooms/{room}")),
            members: Some(state.members(&room)),
            error: Some(None),
            additional_properties: Default::default(),
        })
    }

    async fn leave_room(
        &self,
        ctx: lobby::LobbyContext,
        payload: LeaveRoomPayload,
    ) -> Result<(), HandlerError> {
        let room = payload.room_id.0;
        if !ctx.rooms().contains(&room) {
            return Err(HandlerError::invalid(vec![Violation::new(
                "/roomId",
                format!("not a member of `{room}`"),
            )]));
        }
        ctx.leave(room);
        Ok(())
    }
}

impl room::RoomHandlers for Handlers {
    async fn on_connect(&self, ctx: room::RoomContext) {
        let room = ctx.params().room_id.clone();
        let user = user_of(&ctx);
        let announce = {
            let mut state = self.state();
            // Connect middleware cannot see these two, so the socket is let in and closed at once.
            if !is_room_id(&room) || state.banned_for(&user.id).is_some() {
                drop(state);
                ctx.disconnect();
                return;
            }
            state.connect(&user, ctx.socket().clone());
            let quiet = state.take_quiet(&user.id, &room);
            let count = state.room(&room).enter(&ctx.socket_id(), user.clone());
            (!quiet).then_some(count)
        };
        let Some(count) = announce else { return };
        let joined = UserJoinedPayload {
            user,
            joined_at: Timestamp(now()),
            member_count: i32::try_from(count).unwrap_or(i32::MAX),
            additional_properties: Default::default(),
        };
        if let Err(error) = ctx.namespace().user_joined(&joined).await {
            tracing::warn!(%error, room, "cannot announce a member");
        }
    }

    async fn on_disconnect(&self, ctx: room::RoomContext) {
        let room = ctx.params().room_id.clone();
        let typing = {
            let mut state = self.state();
            state.disconnect(ctx.socket());
            let room = state.room(&room);
            room.leave(&ctx.socket_id()).then(|| room.typing())
        };
        if let Some(users) = typing {
            let indicator = TypingIndicatorPayload {
                users,
                additional_properties: Default::default(),
            };
            // The socket is gone: `broadcast()` from it would be empty, so the whole namespace is told.
            let _ = ctx.namespace().typing_indicator(&indicator).await;
        }
    }

    async fn send_message(
        &self,
        ctx: room::RoomContext,
        payload: SendMessagePayload,
    ) -> Result<SendMessageAck, HandlerError> {
        if payload.text.trim().is_empty() {
            return Err(HandlerError::invalid(vec![Violation::new(
                "/text",
                "must not be blank",
            )]));
        }
        let room = ctx.params().room_id.clone();
        let author = user_of(&ctx);
        let message = {
            let mut state = self.state();
            let room_state = state.room(&room);
            if let Some(earlier) = payload
                .client_message_id
                .and_then(|id| room_state.earlier_ack(&id))
            {
                return Ok(earlier);
            }
            let message = ChatMessage {
                id: uuid::Uuid::new_v4(),
                room_id: RoomId(room.clone()),
                author,
                text: payload.text,
                kind: payload.kind,
                sent_at: Timestamp(now()),
                edited_at: Some(None),
                mentions: payload.mentions,
                additional_properties: Default::default(),
            };
            let ack = SendMessageAck {
                message_id: message.id,
                sent_at: message.sent_at.0,
                additional_properties: Default::default(),
            };
            let retry = payload.client_message_id.map(|id| (id, ack));
            room_state.store(message.clone(), retry);
            message
        };
        ctx.namespace().chat_message_event(&message).await?;
        Ok(SendMessageAck {
            message_id: message.id,
            sent_at: message.sent_at.0,
            additional_properties: Default::default(),
        })
    }

    async fn typing(
        &self,
        ctx: room::RoomContext,
        payload: TypingPayload,
    ) -> Result<(), HandlerError> {
        let username = user_of(&ctx).username;
        let users = {
            let mut state = self.state();
            let room = state.room(&ctx.params().room_id);
            room.set_typing(&username, payload.is_typing)
                .then(|| room.typing())
        };
        if let Some(users) = users {
            let indicator = TypingIndicatorPayload {
                users,
                additional_properties: Default::default(),
            };
            ctx.broadcast().typing_indicator(&indicator).await?;
        }
        Ok(())
    }

    async fn history_request(
        &self,
        ctx: room::RoomContext,
        payload: HistoryRequestPayload,
    ) -> Result<HistoryPagePayload, HandlerError> {
        // The schema bounds `limit` to 1..=200 before the handler runs.
        let limit = usize::try_from(payload.limit).unwrap_or(1);
        let (messages, has_more) = self
            .state()
            .room(&ctx.params().room_id)
            .page(payload.before, limit);
        Ok(HistoryPagePayload {
            messages,
            has_more,
            additional_properties: Default::default(),
        })
    }
}

impl Handlers {
    fn stats(&self) -> ServerStatsPayload {
        let state = self.state();
        ServerStatsPayload {
            at: Timestamp(now()),
            connected_sockets: i64::try_from(state.socket_count()).unwrap_or(i64::MAX),
            rooms: i32::try_from(state.occupied_rooms()).unwrap_or(i32::MAX),
            messages_per_second: None,
            additional_properties: Default::default(),
        }
    }
}

impl admin::AdminHandlers for Handlers {
    fn on_start(&self, streams: &Streams) {
        crate::activity::spawn(streams, self.activity_every);
    }

    async fn on_connect(&self, ctx: admin::AdminContext) {
        if ctx.reply().server_stats(&self.stats()).await.is_err() {
            return;
        }
        let handlers = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(STATS_EVERY);
            every.tick().await;
            loop {
                every.tick().await;
                if !ctx.socket().connected()
                    || ctx.reply().server_stats(&handlers.stats()).await.is_err()
                {
                    break;
                }
            }
        });
    }

    async fn kick_user(
        &self,
        _ctx: admin::AdminContext,
        payload: KickUserPayload,
    ) -> Result<KickUserAck, HandlerError> {
        // The schema bounds `banMinutes` to 0..=525600.
        let ban_minutes = u32::try_from(payload.ban_minutes).unwrap_or(0);
        let doomed = self.state().kick(&payload.user_id, ban_minutes);
        let sockets = doomed.len();
        for socket in doomed {
            // Already gone (it left meanwhile) is as good as kicked.
            let _ = socket.disconnect();
        }
        tracing::info!(user = %payload.user_id.0, sockets, reason = ?payload.reason, "kicked");
        Ok(KickUserAck {
            kicked: sockets > 0,
            sockets: Some(i64::try_from(sockets).unwrap_or(i64::MAX)),
            additional_properties: Default::default(),
        })
    }
}
