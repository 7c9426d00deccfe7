// Everyone the page has seen (authors, members, newcomers), by id: the operator view kicks from this list.

import { reactive } from "vue";
import type * as T from "../generated/types";

/** Users by id, in the order first seen. */
export type People = Map<string, T.User>;

/** An empty list, reactive. */
export function usePeople(): People {
  return reactive(new Map<string, T.User>()) as People;
}

/** Adds or refreshes users. */
export function remember(people: People, ...users: T.User[]): void {
  for (const user of users) {
    people.set(user.id, user);
  }
}
