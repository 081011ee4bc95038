/**
 * The URL of a check: the service URL's path prefix is kept (`https://x/app/` + `/health` →
 * `https://x/app/health`), the check path's query string too. Pure.
 */
export function healthCheckUrl(serviceUrl: string, checkPath: string): URL {
  const url = new URL(serviceUrl);
  const queryAt = checkPath.indexOf('?');
  const path = queryAt === -1 ? checkPath : checkPath.slice(0, queryAt);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = queryAt === -1 ? '' : checkPath.slice(queryAt);
  url.hash = '';
  return url;
}
