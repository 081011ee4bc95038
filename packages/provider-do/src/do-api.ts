import type { createApiClient, modules } from 'dots-wrapper';
import { type DoRawApi, doRawApi } from './do-raw-api.js';

/** dots-wrapper's client. */
export type DotsClient = ReturnType<typeof createApiClient>;
/** The axios instance dots-wrapper builds (base URL, bearer token, timeout). */
export type DotsHttpClient = ReturnType<typeof modules.common.createContext>['httpClient'];

/** What the provider calls: dots-wrapper's client, and the few raw calls it lacks on the same HTTP client. */
export interface DoApi {
  client: DotsClient;
  raw: DoRawApi;
}

/** Connection settings of the API. */
export interface DoApiSettings {
  token: string;
  endpoint: string;
  requestTimeoutMs: number;
}

/**
 * Create the API on dots-wrapper, loaded here on first use (not when the package is imported). The
 * raw calls use the axios instance dots-wrapper itself creates, captured from its `createContext`,
 * so every request goes through one HTTP stack with one set of headers and timeouts.
 */
export async function createDoApi(settings: DoApiSettings): Promise<DoApi> {
  const loaded = (await import('dots-wrapper')) as typeof import('dots-wrapper') & {
    default?: typeof import('dots-wrapper');
  };
  const { modules: dots } = loaded.default ?? loaded;
  let http: DotsHttpClient | undefined;
  const client = dots.common.createApiClient({
    modules: dots,
    createContext: (input) => {
      const context = dots.common.createContext(input);
      http = context.httpClient;
      return context;
    },
  })({ token: settings.token, endpoint: settings.endpoint, requestTimeoutInMs: settings.requestTimeoutMs });
  if (!http) throw new Error('dots-wrapper did not create its HTTP client');
  return { client, raw: doRawApi(http) };
}
