import { type CallContext, stsError } from '../protocol/dispatch.js';
import { ids } from '../protocol/ids.js';

/** Settings of the STS part. */
export interface StsOptions {
  /** The caller's ARN; default `arn:aws:iam::<account>:user/emulator`. */
  callerArn?: string;
}

const namespace = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** STS (awsQuery): `GetCallerIdentity` only, answering for the emulator's account. */
export function stsQuery(options: StsOptions) {
  return async (form: URLSearchParams, call: CallContext): Promise<{ statusCode: number; body: string }> => {
    const action = form.get('Action');
    if (action !== 'GetCallerIdentity')
      return {
        statusCode: 400,
        body: stsError(
          'InvalidAction',
          `Could not find operation ${action ?? ''} for version ${form.get('Version') ?? ''}`,
        ),
      };
    const arn = options.callerArn ?? `arn:aws:iam::${call.accountId}:user/emulator`;
    return {
      statusCode: 200,
      body: `<GetCallerIdentityResponse xmlns="${namespace}"><GetCallerIdentityResult><Arn>${arn}</Arn><UserId>AIDA${call.accessKeyId
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 17)
        .padEnd(
          17,
          'X',
        )}</UserId><Account>${call.accountId}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${ids.uuid()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    };
  };
}
