// Type tests, copied into the generated client of specs/chat-socketio.yaml by `cargo xtask vue` and checked by
// `vue-tsc --noEmit`: every `@ts-expect-error` line must be an error (else vue-tsc fails with "Unused
// '@ts-expect-error' directive"), and the other lines must compile.
import type { FastsocketClient } from "./generated/client";
import type { JoinRoomPayload, MessageKind, SendMessagePayload } from "./generated/types";

export const join: JoinRoomPayload = { roomId: "general" };
export const joinWithAll: JoinRoomPayload = { roomId: "core-team", password: "hunter2-but-longer", silent: true };

// @ts-expect-error `roomId` is required
export const joinWithoutRoom: JoinRoomPayload = { silent: true };

// @ts-expect-error `silent` is a boolean
export const joinWithWrongType: JoinRoomPayload = { roomId: "general", silent: "yes" };

export const kind: MessageKind = "text";
// @ts-expect-error not a value of the `MessageKind` enum
export const wrongKind: MessageKind = "shout";

// @ts-expect-error `text` is required
export const messageWithoutText: SendMessagePayload = { kind: "text" };

/** The typed client: payloads and acknowledgements are checked where the handles are used. */
export async function usesTheClient(client: FastsocketClient): Promise<string> {
  const lobby = client.lobby();
  // @ts-expect-error the payload of join_room needs `roomId`
  void lobby.send.joinRoom({});
  // @ts-expect-error a dynamic namespace takes its parameters
  client.room();
  const room = client.room({ roomId: "general" });
  const ack = await room.send.sendMessage({ text: "hi" });
  // @ts-expect-error acknowledgements have no such field
  void ack.nonexistent;
  room.listen.chatMessageEvent((message) => {
    // @ts-expect-error payloads are typed, not `any`
    void message.nonexistent;
  });
  return ack.messageId;
}
