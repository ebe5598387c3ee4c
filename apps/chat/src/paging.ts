import type { ChatClient, Members, Rooms } from '@sockspec/protocol-chat';

/**
 * Pages a listing through until its total: rooms and members come at most a
 * frame's worth per reply (ROOMS_PAGE, MEMBERS_PAGE). Stops at an empty page
 * too, so a list that shrinks while it is read cannot loop.
 */
async function allPages<Reply extends { readonly total: number }, Item>(
  ask: (start: number) => Promise<Reply>,
  items: (reply: Reply) => readonly Item[],
): Promise<{ first: Reply; all: Item[] }> {
  const first = await ask(0);
  const all = [...items(first)];
  let page = items(first);
  while (all.length < first.total && page.length > 0) {
    page = items(await ask(all.length));
    all.push(...page);
  }
  return { first, all };
}

/** Every room, as one Rooms message. */
export async function listAllRooms(client: ChatClient): Promise<Rooms> {
  const { first, all } = await allPages(
    (start) => client.listRooms({ start }),
    (reply) => reply.rooms,
  );
  return { ...first, total: all.length, rooms: all };
}

/** Every member of `room`, as one Members message. */
export async function listAllMembers(client: ChatClient, room: string): Promise<Members> {
  const { first, all } = await allPages(
    (start) => client.listMembers({ room, start }),
    (reply) => reply.nicks,
  );
  return { ...first, total: all.length, nicks: all };
}
