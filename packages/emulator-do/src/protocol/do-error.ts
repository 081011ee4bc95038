/** The `id` of a DigitalOcean error body: a short name of the HTTP status. */
export type DoErrorId =
  | 'bad_request'
  | 'invalid_argument'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable_entity'
  | 'too_many_requests'
  | 'server_error'
  | 'service_unavailable';

const idByStatus: Record<number, DoErrorId> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
  500: 'server_error',
  503: 'service_unavailable',
};

/** The error id DigitalOcean answers for a status. */
export function errorIdFor(status: number): DoErrorId {
  return idByStatus[status] ?? (status >= 500 ? 'server_error' : 'bad_request');
}

/**
 * An API error as DigitalOcean answers it: the status and the body `{ id, message, request_id }`
 * (`request_id` is added when it is sent).
 */
export class DoError extends Error {
  readonly status: number;
  readonly id: string;
  /** Extra response headers, e.g. `retry-after` on a 429. */
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, id: string = errorIdFor(status), headers = {}) {
    super(message);
    this.name = 'DoError';
    this.status = status;
    this.id = id;
    this.headers = headers;
  }
}

/** 404 with DigitalOcean's own wording. */
export function notFound(message = 'The resource you requested could not be found.'): DoError {
  return new DoError(404, message);
}

/**
 * 400 naming the first invalid field, as App Platform's spec validation does:
 * `error validating app spec field "services[0].name": …`.
 */
export function invalidField(field: string, problem: string): DoError {
  return new DoError(400, `error validating app spec field "${field}": ${problem}`, 'invalid_argument');
}
