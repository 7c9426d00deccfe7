// The shareable address of the chat: `/?username=NAME&room=ROOM` signs in as NAME and opens ROOM.

/** What the address says. */
export interface ChatLink {
  username: string | null;
  room: string | null;
}

/** Reads the page's address. */
export function readLink(): ChatLink {
  const query = new URLSearchParams(window.location.search);
  return { username: query.get("username"), room: query.get("room") };
}

/** Puts the current user and room into the address (without reloading), so the link can be shared. */
export function writeLink(link: ChatLink): void {
  const query = new URLSearchParams();
  if (link.username !== null) {
    query.set("username", link.username);
  }
  if (link.room !== null) {
    query.set("room", link.room);
  }
  const search = query.toString();
  window.history.replaceState(null, "", `${window.location.pathname}${search === "" ? "" : `?${search}`}`);
}

/** The server's rule for user names (the `User.username` schema): 3 to 24 letters, digits or underscores. */
export const USERNAME = /^[A-Za-z0-9_]{3,24}$/;
