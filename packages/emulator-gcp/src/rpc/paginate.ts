import { invalidArgument } from './rpc-error.js';

/** One page of `items` for `pageSize` / `pageToken` (an opaque offset token). */
export function paginate<T>(
  items: T[],
  pageSize: unknown,
  pageToken: unknown,
  defaultSize = 100,
): { page: T[]; nextPageToken: string } {
  const size = typeof pageSize === 'number' && pageSize > 0 ? pageSize : defaultSize;
  let start = 0;
  if (typeof pageToken === 'string' && pageToken !== '') {
    start = Number(
      Buffer.from(pageToken, 'base64url')
        .toString('utf8')
        .replace(/^offset:/, ''),
    );
    if (!Number.isInteger(start) || start < 0) throw invalidArgument('page_token', 'Invalid page token.');
  }
  const page = items.slice(start, start + size);
  const nextPageToken =
    start + size < items.length ? Buffer.from(`offset:${start + size}`).toString('base64url') : '';
  return { page, nextPageToken };
}
