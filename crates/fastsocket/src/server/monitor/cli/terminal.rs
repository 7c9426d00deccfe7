//! The `monitor` command's terminal: raw mode and the alternate screen (ratatui's `try_init`, which also
//! restores the terminal on a panic), redrawn at most every 50 ms while messages arrive, keys read between.

use std::time::Duration;

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::client::{Connection, MonitorEvent, RemoteError};
use super::state::MonitorState;
use super::view::render;

/// How often keys are read and the screen redrawn (when something changed).
const FRAME: Duration = Duration::from_millis(50);

/// Shows the live view of an open connection until `q`, `Esc` or Ctrl-C (`Ok`), or until the namespace refuses
/// the client after a reconnection (`Err`). The terminal is restored in every case.
pub(crate) async fn run(mut connection: Connection) -> Result<(), RemoteError> {
    let mut state = MonitorState::new(connection.target().label());
    state.apply(MonitorEvent::Connected);
    let mut terminal = ratatui::try_init()?;
    let result = event_loop(&mut terminal, &mut connection, &mut state).await;
    ratatui::restore();
    connection.close().await;
    result
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    connection: &mut Connection,
    state: &mut MonitorState,
) -> Result<(), RemoteError> {
    let mut frame = tokio::time::interval(FRAME);
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    loop {
        tokio::select! {
            event = connection.next() => {
                state.apply(event?);
                dirty = true;
            }
            _ = frame.tick() => {
                while event::poll(Duration::ZERO)? {
                    match event::read()? {
                        Event::Key(key) if quits(&key) => return Ok(()),
                        Event::Resize(..) => dirty = true,
                        _ => {}
                    }
                }
                if dirty {
                    terminal.draw(|frame| render(state, frame))?;
                    dirty = false;
                }
            }
        }
    }
}

/// `q`, `Esc`, or Ctrl-C (raw mode turns Ctrl-C into a key instead of a signal).
fn quits(key: &KeyEvent) -> bool {
    key.kind == KeyEventKind::Press
        && match key.code {
            KeyCode::Char('q') | KeyCode::Esc => true,
            KeyCode::Char('c') => key.modifiers.contains(KeyModifiers::CONTROL),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_quit() {
        let key = |code, modifiers| KeyEvent::new(code, modifiers);
        assert!(quits(&key(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert!(quits(&key(KeyCode::Esc, KeyModifiers::NONE)));
        assert!(quits(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!quits(&key(KeyCode::Char('c'), KeyModifiers::NONE)));
        assert!(!quits(&key(KeyCode::Char('x'), KeyModifiers::NONE)));
        let mut release = key(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert!(!quits(&release));
    }
}
