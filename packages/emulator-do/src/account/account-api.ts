import type { Route } from '../protocol/router.js';

/** The account `GET /v2/account` describes. */
export interface EmulatedAccount {
  uuid: string;
  email: string;
  name?: string;
}

/** `GET /v2/account`: what a token belongs to. */
export function accountApi(account: EmulatedAccount): Route[] {
  return [
    {
      operation: 'GET /v2/account',
      handle: () => ({
        status: 200,
        body: {
          account: {
            droplet_limit: 25,
            floating_ip_limit: 3,
            volume_limit: 100,
            email: account.email,
            name: account.name ?? 'Emulated Account',
            uuid: account.uuid,
            email_verified: true,
            status: 'active',
            status_message: '',
            team: { uuid: account.uuid, name: 'My Team' },
          },
        },
      }),
    },
  ];
}
