/** System users' ids. */
import { runChecked } from './shell.ts';

/** uid and gid from `id USER` output (`uid=999(berth) gid=999(berth) …`). */
export function parseIds(output: string): { uid: number; gid: number } {
  return { uid: Number(/uid=(\d+)/.exec(output)?.[1]), gid: Number(/gid=(\d+)/.exec(output)?.[1]) };
}

export async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  return parseIds(await runChecked('id', [user]));
}
