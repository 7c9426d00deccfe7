//! The clients of the monitoring namespace (feature `monitor-cli`): the `monitor` command of every generated
//! binary, a live terminal view (ratatui), and [`tail_remote`], the activity as lines (`logs tail --follow
//! --remote URL`).
//!
//! Both connect with a Socket.IO client ([`Connection`], rust_socketio) to the server's monitoring namespace
//! ([`DEFAULT_MONITOR_NAMESPACE`](super::protocol::DEFAULT_MONITOR_NAMESPACE) unless `--monitor-namespace` or
//! `FASTSOCKET_MONITOR_NAMESPACE` says otherwise), send the token as `auth.token` and reconnect when the
//! server goes away. The token comes from `--token`, else `FASTSOCKET_MONITOR_TOKEN`, else the first entry of
//! `FASTSOCKET_MONITOR_TOKENS` (the server's own list: run in the server's folder, `.env` included, it just
//! works). A refused token is an error and a non-zero exit, never a silent retry.
//!
//! The screen is a pure function of a [`MonitorState`] ([`render`]), which the stream's [`MonitorEvent`]s
//! feed.

mod client;
mod state;
mod tail;
mod terminal;
mod view;

use std::process::ExitCode;

// The server's own settings: its token list (the first is the clients' fallback) and its namespace.
use super::{MONITOR_NAMESPACE_ENV, MONITOR_TOKENS_ENV};

pub use client::{Connection, DEFAULT_CONNECT_TIMEOUT, MonitorEvent, RemoteError, Target};
pub use state::{HISTORY, LinkStatus, MonitorState, RECENT};
pub use tail::{ActivityFilter, RemoteTail, TailFormat, format_activity, tail_remote};
pub use view::render;

/// The variable holding the token the `monitor` command sends.
pub const MONITOR_TOKEN_ENV: &str = "FASTSOCKET_MONITOR_TOKEN";

/// How to reach the monitoring namespace: the flags shared by `monitor` and `logs tail --remote`.
#[derive(Clone, clap::Args)]
pub struct ConnectArgs {
    /// The monitor token, sent as `auth.token` (default: the first of FASTSOCKET_MONITOR_TOKENS). Prefer the
    /// variable: a command line shows in `ps`.
    #[arg(long, env = MONITOR_TOKEN_ENV, hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// The monitoring namespace (default: the URL's path, else /_monitor).
    // Its own id: `logs tail` flattens these beside its `--namespace` filter.
    #[arg(
        id = "monitor_namespace",
        long = "monitor-namespace",
        env = MONITOR_NAMESPACE_ENV,
        value_name = "NAMESPACE"
    )]
    pub namespace: Option<String>,
}

impl std::fmt::Debug for ConnectArgs {
    /// Never shows the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectArgs")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl ConnectArgs {
    /// The target at `url`, or where `serve` listens with the same configuration
    /// (`http://FASTSOCKET_HOST:FASTSOCKET_PORT`, default `http://127.0.0.1:3000`) when `url` is `None`.
    pub fn target(&self, url: Option<&str>) -> Result<Target, RemoteError> {
        let url = url.map_or_else(default_url, str::to_owned);
        let token = self.token.clone().or_else(|| {
            std::env::var(MONITOR_TOKENS_ENV)
                .ok()
                .and_then(|list| first_token(&list))
        });
        Target::new(&url, self.namespace.as_deref(), token)
    }
}

/// The first secret of a token list (`tok1, tok2`; an entry's words after the first are scopes).
fn first_token(list: &str) -> Option<String> {
    list.split(',')
        .find_map(|entry| entry.split_whitespace().next())
        .map(str::to_owned)
}

/// Where a server run with this environment listens; an unspecified address (`0.0.0.0`, `::`) is reached on
/// loopback.
fn default_url() -> String {
    let host = std::env::var("FASTSOCKET_HOST").unwrap_or_default();
    let port = std::env::var("FASTSOCKET_PORT").unwrap_or_default();
    url_for(host.trim(), port.trim())
}

fn url_for(host: &str, port: &str) -> String {
    let host = match host {
        "" | "0.0.0.0" => "127.0.0.1",
        "::" | "[::]" => "[::1]",
        h if h.contains(':') && !h.starts_with('[') => return url_for(&format!("[{h}]"), port),
        h => h,
    };
    let port = if port.is_empty() { "3000" } else { port };
    format!("http://{host}:{port}")
}

/// The flags of the `monitor` command.
#[derive(Debug, Clone, clap::Args)]
pub struct MonitorArgs {
    /// The server's URL (default: where `serve` listens, from FASTSOCKET_HOST and FASTSOCKET_PORT).
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// How to reach the monitoring namespace.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// The `monitor` command: connects, then shows the live view until `q`. Exit status 1 when the server cannot
/// be reached, refuses the token, or standard output is not a terminal.
pub(crate) async fn run(args: MonitorArgs) -> ExitCode {
    let result = async {
        let target = args.connect.target(args.url.as_deref())?;
        if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            return Err(RemoteError::Io(std::io::Error::other(
                "`monitor` draws on a terminal; for lines, use `logs tail --follow --remote URL`",
            )));
        }
        // Connected before the screen is taken over, so a refusal is printed plainly.
        let connection = Connection::open(target).await?;
        terminal::run(connection).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `logs tail --follow --remote URL`: prints the activity until interrupted. Exit status 1 when the server
/// cannot be reached or refuses the token.
pub(crate) async fn run_remote_tail(tail: Result<RemoteTail, RemoteError>) -> ExitCode {
    let result = match tail {
        Ok(tail) => tail_remote(tail, std::io::stdout()).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_urls() {
        assert_eq!(url_for("", ""), "http://127.0.0.1:3000");
        assert_eq!(url_for("0.0.0.0", "8080"), "http://127.0.0.1:8080");
        assert_eq!(url_for("::", ""), "http://[::1]:3000");
        assert_eq!(url_for("::1", "1"), "http://[::1]:1");
        assert_eq!(url_for("example.test", "80"), "http://example.test:80");
    }

    #[test]
    fn the_first_token_of_the_servers_list() {
        assert_eq!(first_token("a, b").as_deref(), Some("a"));
        assert_eq!(first_token(" , tok scope1 scope2").as_deref(), Some("tok"));
        assert_eq!(first_token(""), None);
        assert_eq!(first_token(" ,, "), None);
    }

    #[test]
    fn flags_beat_the_environment_and_never_show() {
        let args = ConnectArgs {
            token: Some("s3cret".into()),
            namespace: Some("ops".into()),
        };
        assert!(!format!("{args:?}").contains("s3cret"));
        let target = args.target(Some("h:1")).unwrap();
        assert_eq!(target.token.as_deref(), Some("s3cret"));
        assert_eq!(target.namespace, "/ops");
    }
}
