// hello-agent: a small service that honours the Supervaizer server contract of the deploy RFC.
import { createPrivateKey } from 'node:crypto';
import { createServer } from 'node:http';

const environment = process.env.SUPERVAIZER_ENVIRONMENT ?? 'dev';
const host = process.env.SUPERVAIZER_HOST ?? '0.0.0.0';
const port = Number(process.env.SUPERVAIZER_PORT ?? 8000);
const apiKey = process.env.SUPERVAIZER_API_KEY;
const publicUrl = (process.env.SUPERVAIZER_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
const logLevel = (process.env.SV_LOG_LEVEL ?? 'INFO').toUpperCase();
// A deliberately broken build for the rollback demo: the health check fails.
const failHealth = process.env.HELLO_AGENT_FAIL_HEALTH === '1';

let rsa = 'absent';
if (process.env.SV_RSA_PRIVATE_KEY) {
  try {
    rsa = `rsa-${createPrivateKey(process.env.SV_RSA_PRIVATE_KEY).asymmetricKeyDetails?.modulusLength}`;
  } catch {
    rsa = 'invalid';
  }
}

const log = (level, message) => {
  const levels = ['DEBUG', 'INFO', 'WARNING', 'ERROR'];
  if (levels.indexOf(level) >= levels.indexOf(logLevel))
    console.log(`${new Date().toISOString()} ${level} ${message}`);
};

const json = (response, status, body) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

const docs = () => `<!doctype html>
<html><head><title>hello-agent (${environment})</title></head>
<body>
<h1>hello-agent</h1>
<ul>
  <li><a href="${publicUrl}/.well-known/health">${publicUrl}/.well-known/health</a></li>
  <li><a href="${publicUrl}/agents/health">${publicUrl}/agents/health</a> (needs X-API-Key)</li>
  <li><a href="${publicUrl}/docs">${publicUrl}/docs</a></li>
</ul>
</body></html>`;

const server = createServer((request, response) => {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  log('DEBUG', `${request.method} ${path}`);
  if (path === '/.well-known/health') {
    if (failHealth) return json(response, 500, { status: 'failing' });
    return json(response, 200, { status: 'ok', environment, rsa });
  }
  if (path === '/agents/health') {
    if (!apiKey || request.headers['x-api-key'] !== apiKey)
      return json(response, 401, { error: 'invalid or missing X-API-Key' });
    return json(response, 200, { status: 'ok', agents: ['hello'] });
  }
  if (path === '/docs') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return response.end(docs());
  }
  json(response, 404, { error: 'not found' });
});

server.listen(port, host, () =>
  log('INFO', `hello-agent (${environment}) listening on ${host}:${port}, public URL ${publicUrl}`),
);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
