import { OAuth2Client } from 'google-auth-library';

/**
 * An auth client that always sends `Authorization: Bearer <token>`: what the official clients need
 * to talk to the emulator (`authClient` option). The emulator accepts any bearer token.
 */
export function staticTokenAuthClient(token = 'gcp-emulator-token'): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({
    access_token: token,
    token_type: 'Bearer',
    expiry_date: Date.now() + 10 * 365 * 24 * 3600 * 1000,
  });
  return client;
}
