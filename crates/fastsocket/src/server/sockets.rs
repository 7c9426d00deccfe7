//! Queries over the sockets of a namespace, on every node: [`Sockets`] (`ctx.sockets()`, `app.sockets(ns)`).

use super::cluster::{BroadcastOperators, SocketIo};
use super::delivery::DELIVERY_ROOM;

/// A selection of the sockets of one namespace, on every node of a cluster (with the Redis adapter, see
/// [`crate::server::ServerConfig::redis_url`]) or in this process (without it): the same code either way.
///
/// Built by [`Context::sockets`](super::Context::sockets) (the handler's namespace, its own socket included) or
/// [`App::sockets`](super::App::sockets), narrowed with [`in_room`](Sockets::in_room),
/// [`except`](Sockets::except) and [`on_this_node`](Sockets::on_this_node), then consumed by one query or action:
///
/// ```text
/// let players = ctx.sockets().in_room(table).ids().await?;       // who is at the table, on any node
/// ctx.sockets().in_room("muted").leave("muted").await?;          // unmute everyone
/// ctx.sockets().in_room(table).disconnect().await?;              // close the table
/// ```
///
/// With Redis, a query asks every node that has the namespace and waits for their answers (one Redis round
/// trip; a node that does not answer within socketioxide-redis's request timeout, 5 s, is left out). While
/// the Redis link is down, only this node's sockets are seen and acted on. A socket that connects or leaves
/// while a query runs may or may not be in its answer.
#[derive(Clone)]
pub struct Sockets {
    /// `None`: the namespace is gone (the server is closing); queries answer nothing.
    operators: Option<BroadcastOperators>,
    /// This node's id, to tell local sockets from remote ones.
    node: String,
}

/// One socket of a [`Sockets`] query's answer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketInfo {
    /// The socket id (the `socket.id` its client sees; what [`Context::socket_id`](super::Context::socket_id)
    /// answers on its node).
    pub id: String,
    /// The id of the node (server process) the socket is connected to.
    pub node: String,
    /// Whether that node is this one.
    pub local: bool,
}

/// Why a [`Sockets`] query or action failed (the adapter, e.g. a Redis command that failed mid-way). It
/// converts into [`HandlerError`](super::HandlerError) (`internal`), so handlers can use `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(String);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot query the sockets: {}", self.0)
    }
}

impl std::error::Error for QueryError {}

fn failed(error: impl std::fmt::Display) -> QueryError {
    QueryError(error.to_string())
}

impl Sockets {
    /// Every socket of `namespace` (none when it does not exist on this node).
    pub(crate) fn of(io: &SocketIo, namespace: &str) -> Self {
        Sockets {
            operators: io.of(namespace),
            node: io.config().server_id.to_string(),
        }
    }

    /// Narrows to the sockets in `room`. Chained calls add rooms: a socket in any of them is selected.
    pub fn in_room(self, room: impl Into<String>) -> Self {
        let room: String = room.into();
        Sockets {
            operators: self.operators.map(|o| o.within(room)),
            node: self.node,
        }
    }

    /// Leaves out the sockets in `room` (chained calls: in any of them).
    pub fn except(self, room: impl Into<String>) -> Self {
        let room: String = room.into();
        Sockets {
            // No sender here: the broadcast flag socketioxide's `except` sets leaves no one else out.
            operators: self.operators.map(|o| o.except(room)),
            node: self.node,
        }
    }

    /// Narrows to the sockets connected to this node (no Redis round trip).
    pub fn on_this_node(self) -> Self {
        Sockets {
            operators: self.operators.map(BroadcastOperators::local),
            node: self.node,
        }
    }

    /// The sockets selected, on every node, sorted by id.
    pub async fn fetch(self) -> Result<Vec<SocketInfo>, QueryError> {
        let Some(operators) = self.operators else {
            return Ok(Vec::new());
        };
        let mut sockets: Vec<SocketInfo> = operators
            .fetch_sockets()
            .await
            .map_err(failed)?
            .into_iter()
            .map(|socket| {
                let data = socket.into_data();
                let node = data.server_id.to_string();
                SocketInfo {
                    id: data.id.to_string(),
                    local: node == self.node,
                    node,
                }
            })
            .collect();
        sockets.sort();
        // A socket is reported once, whichever node answered for it.
        sockets.dedup_by(|a, b| a.id == b.id);
        Ok(sockets)
    }

    /// The ids of the sockets selected, on every node, sorted.
    pub async fn ids(self) -> Result<Vec<String>, QueryError> {
        Ok(self.fetch().await?.into_iter().map(|s| s.id).collect())
    }

    /// How many sockets are selected, on every node.
    pub async fn count(self) -> Result<usize, QueryError> {
        Ok(self.fetch().await?.len())
    }

    /// The rooms of the sockets selected, on every node, sorted (the runtime's own rooms left out).
    pub async fn rooms(self) -> Result<Vec<String>, QueryError> {
        let Some(operators) = self.operators else {
            return Ok(Vec::new());
        };
        let mut rooms: Vec<String> = operators
            .rooms()
            .await
            .map_err(failed)?
            .into_iter()
            .map(|room| room.into_owned())
            .filter(|room| room != DELIVERY_ROOM)
            .collect();
        rooms.sort();
        rooms.dedup();
        Ok(rooms)
    }

    /// Makes the sockets selected join `room`, on every node.
    pub async fn join(self, room: impl Into<String>) -> Result<(), QueryError> {
        match self.operators {
            Some(operators) => operators.join(room.into()).await.map_err(failed),
            None => Ok(()),
        }
    }

    /// Makes the sockets selected leave `room`, on every node.
    pub async fn leave(self, room: impl Into<String>) -> Result<(), QueryError> {
        match self.operators {
            Some(operators) => operators.leave(room.into()).await.map_err(failed),
            None => Ok(()),
        }
    }

    /// Closes the connections of the sockets selected to this namespace, on every node (each client gets a
    /// `disconnect` with reason `io server disconnect`). Sockets that closed meanwhile are not an error.
    pub async fn disconnect(self) -> Result<(), QueryError> {
        let Some(operators) = self.operators else {
            return Ok(());
        };
        match operators.disconnect().await {
            Ok(()) | Err(socketioxide::BroadcastError::Socket(_)) => Ok(()),
            Err(error) => Err(failed(error)),
        }
    }
}

impl std::fmt::Debug for Sockets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.operators {
            Some(operators) => write!(f, "Sockets(on {})", operators.ns_path()),
            None => f.write_str("Sockets(closed)"),
        }
    }
}
