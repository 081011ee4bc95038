import { describe, expect, it } from 'vitest';
import { decodeAuthorizationToken, ecrImageIdentifier } from './ecr-registry.js';

describe('ECR', () => {
  it('decodes the authorization token (base64 AWS:<password>)', () => {
    const token = Buffer.from('AWS:secret-password:with-colon').toString('base64');
    expect(decodeAuthorizationToken(token)).toEqual({
      username: 'AWS',
      password: 'secret-password:with-colon',
    });
    expect(() => decodeAuthorizationToken(Buffer.from('nocolon').toString('base64'))).toThrow(/cannot read/);
  });

  it('deploys by digest from the repository URI, whatever host the image was pushed through', () => {
    const uri = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/hello-dev';
    expect(
      ecrImageIdentifier(uri, { ref: '127.0.0.1:5000/berth/hello-dev@sha256:ab', digest: 'sha256:ab' }),
    ).toBe(`${uri}@sha256:ab`);
    expect(ecrImageIdentifier(uri, { ref: `${uri}@sha256:cd` })).toBe(`${uri}@sha256:cd`);
    expect(() => ecrImageIdentifier(uri, { ref: `${uri}:latest` })).toThrow(/no digest/);
  });
});
