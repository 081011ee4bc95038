import type { ProxyDecision } from '@berth/emulator-runtime';

const html = 'text/html; charset=UTF-8';

/** The pages Google's front end answers when it cannot route to a container. */
export const proxyPages = {
  forbidden: (path: string): ProxyDecision => ({
    status: 403,
    contentType: html,
    body: `<html><head><meta http-equiv="content-type" content="text/html;charset=utf-8">\n<title>403 Forbidden</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n<h1>Error: Forbidden</h1>\n<h2>Your client does not have permission to get URL <code>${path}</code> from this server.</h2>\n<h2></h2>\n</body></html>\n`,
  }),
  notFound: (path: string): ProxyDecision => ({
    status: 404,
    contentType: html,
    body: `<html><head><title>404 Page not found</title></head><body><h1>Error: Page not found</h1><h2>The requested URL ${path} was not found on this server.</h2></body></html>\n`,
  }),
  unavailable: (): ProxyDecision => ({ status: 503, contentType: html, body: 'Service Unavailable' }),
};
