import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError, type MessageField } from './aws-error.js';
import { ids } from './ids.js';
import { parseAuthorization, signatureMatches } from './sigv4.js';

/** A JSON object on the wire. Handlers return `Date` for timestamps; they go out as epoch seconds. */
export type Json = Record<string, unknown>;

/** What a handler knows about the call. */
export interface CallContext {
  /** The region from the request's SigV4 credential scope. */
  region: string;
  accountId: string;
  /** E.g. `AppRunner`. */
  service: string;
  /** E.g. `CreateService`. */
  operation: string;
  /** The access key id that signed the request. */
  accessKeyId: string;
}

/** Implements one operation. */
export type OperationHandler = (input: Json, call: CallContext) => Json | Promise<Json>;

/** One JSON-protocol API served by the emulator. */
export interface JsonApi {
  /** The `X-Amz-Target` prefix, e.g. `AppRunner`. */
  targetPrefix: string;
  /** The SigV4 signing name, e.g. `apprunner`. */
  signingName: string;
  /** `1.0` for App Runner, `1.1` for ECR, Secrets Manager and ECS. */
  jsonVersion: '1.0' | '1.1';
  messageField: MessageField;
  operations: Record<string, OperationHandler>;
}

/** One answered call, for tests and diagnostics. */
export interface CallRecord {
  /** `AppRunner.CreateService`, `sts.GetCallerIdentity`. */
  target: string;
  statusCode: number;
  /** The error code, when the call failed. */
  error?: string;
  at: number;
}

/** Settings of the dispatcher. */
export interface DispatchOptions {
  apis: JsonApi[];
  accountId: string;
  defaultRegion: string;
  /** Secret access keys by access key id: only these keys are accepted. */
  credentials: ReadonlyMap<string, string>;
  /** Check each request's SigV4 signature against its key's secret. */
  verifySignatures: boolean;
  /** An injected fault for this call, if any. */
  takeFault(target: string, operation: string): AwsError | undefined;
  requestLatencyMs(): number;
  onCall(record: CallRecord): void;
  /** Handles form-encoded (awsQuery) requests: STS. Returns undefined when the action is unknown. */
  query?: (form: URLSearchParams, call: CallContext) => Promise<{ statusCode: number; body: string }>;
}

/** Epoch seconds with millisecond precision, as awsJson timestamps are. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const out: Json = {};
    for (const [key, member] of Object.entries(value)) if (member !== undefined) out[key] = toWire(member);
    return out;
  }
  return value;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An awsQuery (STS) error document. */
export function stsError(code: string, message: string): string {
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${ids.uuid()}</RequestId></ErrorResponse>`;
}

/** The request listener: routes awsJson calls by `X-Amz-Target` and awsQuery calls by `Action`. */
export function createDispatcher(options: DispatchOptions) {
  const byPrefix = new Map(options.apis.map((api) => [api.targetPrefix, api]));

  function send(
    response: ServerResponse,
    api: JsonApi | undefined,
    statusCode: number,
    body: unknown,
    errorType?: string,
  ): void {
    const requestId = ids.uuid();
    response.writeHead(statusCode, {
      'content-type': `application/x-amz-json-${api?.jsonVersion ?? '1.1'}`,
      'x-amzn-requestid': requestId,
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    response.end(JSON.stringify(toWire(body)));
  }

  function sendError(response: ServerResponse, api: JsonApi | undefined, error: AwsError): void {
    const field = api?.messageField ?? 'message';
    send(
      response,
      api,
      error.statusCode,
      { __type: error.code, [field]: error.message, ...error.fields },
      error.code,
    );
  }

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    const latency = options.requestLatencyMs();
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const target = String(request.headers['x-amz-target'] ?? '');
    const [prefix = '', operation = ''] = target.split('.');
    const api = byPrefix.get(prefix);
    const record = (statusCode: number, error?: string) =>
      options.onCall({
        target: target || `sts.${new URLSearchParams(body).get('Action') ?? ''}`,
        statusCode,
        ...(error ? { error } : {}),
        at: Date.now(),
      });
    // STS speaks awsQuery: its errors are XML, and an unknown key is InvalidClientTokenId there.
    const isQuery = !target && options.query !== undefined;
    const fail = (error: AwsError) => {
      record(error.statusCode, error.code);
      if (!isQuery) {
        sendError(response, api, error);
        return;
      }
      const stsCodes: Record<string, string> = {
        UnrecognizedClientException: 'InvalidClientTokenId',
        InvalidSignatureException: 'SignatureDoesNotMatch',
      };
      const code = stsCodes[error.code] ?? error.code;
      response.writeHead(error.statusCode, { 'content-type': 'text/xml', 'x-amzn-requestid': ids.uuid() });
      response.end(stsError(code, error.message));
    };
    if (request.method !== 'POST') {
      fail(new AwsError('UnknownOperationException', 'Only POST is supported.', 404));
      return;
    }
    const authorization = parseAuthorization(String(request.headers.authorization ?? ''));
    if (!authorization) {
      fail(new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403));
      return;
    }
    const accessKeyId = authorization.accessKeyId;
    const secret = options.credentials.get(accessKeyId);
    if (secret === undefined) {
      fail(
        new AwsError(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
          403,
        ),
      );
      return;
    }
    if (
      options.verifySignatures &&
      !signatureMatches(
        { method: 'POST', url: request.url ?? '/', headers: request.headers, body },
        authorization,
        secret,
      )
    ) {
      fail(
        new AwsError(
          'InvalidSignatureException',
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
          403,
        ),
      );
      return;
    }
    const region = authorization.region || options.defaultRegion;
    if (!target && options.query) {
      const form = new URLSearchParams(body);
      const action = form.get('Action') ?? '';
      const injected = options.takeFault(`sts.${action}`, action);
      const call = { region, accountId: options.accountId, service: 'sts', operation: action, accessKeyId };
      const answer = injected
        ? { statusCode: injected.statusCode, body: stsError(injected.code, injected.message) }
        : await options.query(form, call);
      record(answer.statusCode, injected?.code);
      response.writeHead(answer.statusCode, { 'content-type': 'text/xml', 'x-amzn-requestid': ids.uuid() });
      response.end(answer.body);
      return;
    }
    const handler = api?.operations[operation];
    if (!api || !handler) {
      fail(new AwsError('UnknownOperationException', `Unknown operation ${target}`));
      return;
    }
    const contentType = String(request.headers['content-type'] ?? '');
    if (!contentType.startsWith(`application/x-amz-json-${api.jsonVersion}`)) {
      fail(
        new AwsError(
          'SerializationException',
          `Expected content type application/x-amz-json-${api.jsonVersion}`,
        ),
      );
      return;
    }
    let input: Json;
    try {
      const parsed: unknown = body === '' ? {} : JSON.parse(body);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not an object');
      input = parsed as Json;
    } catch {
      fail(new AwsError('SerializationException', 'Start of structure or map found where not expected.'));
      return;
    }
    const injected = options.takeFault(target, operation);
    if (injected) {
      fail(injected);
      return;
    }
    try {
      const output = await handler(input, {
        region,
        accountId: options.accountId,
        service: prefix,
        operation,
        accessKeyId,
      });
      record(200);
      send(response, api, 200, output);
    } catch (error) {
      if (error instanceof AwsError) fail(error);
      else fail(new AwsError('InternalFailure', error instanceof Error ? error.message : String(error), 500));
    }
  };
}
