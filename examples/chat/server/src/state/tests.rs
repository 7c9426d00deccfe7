use super::*;
use crate::models::MessageKind;

fn at(seconds: i64) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::from_timestamp(1_700_000_000 + seconds, 0)
        .unwrap()
        .fixed_offset()
}

fn message(room: &str, seconds: i64) -> ChatMessage {
    ChatMessage {
        id: uuid::Uuid::new_v4(),
        room_id: RoomId(room.to_owned()),
        author: user_named(Some("ada_l"), "x"),
        text: format!("at {seconds}"),
        kind: MessageKind::Text,
        sent_at: crate::models::Timestamp(at(seconds)),
        edited_at: None,
        mentions: None,
        additional_properties: Default::default(),
    }
}

#[test]
fn pages_are_oldest_first_with_has_more() {
    let mut room = Room::default();
    for s in 0..5 {
        room.store(message("general", s), None);
    }
    let texts = |page: &[ChatMessage]| page.iter().map(|m| m.text.clone()).collect::<Vec<_>>();
    let (newest, more) = room.page(None, 2);
    assert_eq!(texts(&newest), ["at 3", "at 4"]);
    assert!(more);
    let (older, more) = room.page(Some(at(3)), 2);
    assert_eq!(texts(&older), ["at 1", "at 2"]);
    assert!(more);
    let (oldest, more) = room.page(Some(at(1)), 50);
    assert_eq!(texts(&oldest), ["at 0"]);
    assert!(!more);
}

#[test]
fn history_is_bounded() {
    let mut room = Room::default();
    for s in 0..(HISTORY_LIMIT as i64 + 3) {
        room.store(message("general", s), None);
    }
    let (all, more) = room.page(None, HISTORY_LIMIT + 10);
    assert_eq!(all.len(), HISTORY_LIMIT);
    assert_eq!(all[0].text, "at 3");
    assert!(!more);
}

#[test]
fn typing_follows_the_last_socket_of_a_user() {
    let mut room = Room::default();
    let ada = user_named(Some("ada_l"), "a");
    room.enter("s1", ada.clone());
    assert_eq!(room.enter("s2", ada), 1, "one user with two sockets");
    assert!(room.set_typing("ada_l", true));
    assert!(!room.set_typing("ada_l", true), "no change, no indicator");
    assert!(!room.leave("s1"), "ada still has a socket here");
    assert_eq!(room.typing(), ["ada_l"]);
    assert!(room.leave("s2"));
    assert!(room.typing().is_empty());
}

#[test]
fn users_and_guests() {
    let ada = user_named(Some("ada_l"), "sock-1");
    assert_eq!(ada.username, "ada_l");
    assert_eq!(
        ada.id,
        user_named(Some("ada_l"), "sock-2").id,
        "the id follows the name"
    );
    for bad in [None, Some("a"), Some("no spaces"), Some("é_accent")] {
        let guest = user_named(bad, "Ab-9_zZ/q");
        assert_eq!(guest.username, "guest_Ab9zZq", "{bad:?}");
    }
    assert!(fastsocket::check(&ada).is_ok());
}

#[test]
fn room_ids_and_queries() {
    assert!(is_room_id("general"));
    assert!(!is_room_id("No"));
    assert!(!is_room_id("-dash"));
    assert_eq!(
        query_param(Some("EIO=4&username=ada_l"), "username"),
        Some("ada_l")
    );
    assert_eq!(query_param(Some("username"), "username"), Some(""));
    assert_eq!(query_param(Some("user=x"), "username"), None);
    assert_eq!(query_param(None, "username"), None);
}

#[test]
fn retries_get_the_first_answer() {
    let mut room = Room::default();
    let key = uuid::Uuid::new_v4();
    let first = message("general", 1);
    let ack = SendMessageAck {
        message_id: first.id,
        sent_at: first.sent_at.0,
        additional_properties: Default::default(),
    };
    room.store(first, Some((key, ack.clone())));
    assert_eq!(room.earlier_ack(&key), Some(ack));
    assert_eq!(room.earlier_ack(&uuid::Uuid::new_v4()), None);
}
