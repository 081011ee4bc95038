import { createRequire } from 'node:module';
import { expect, it } from 'vitest';

const requireHere = createRequire(import.meta.url);
/** Modules of the Google Cloud SDKs that this test process has loaded so far. */
const sdkModulesLoaded = () =>
  Object.keys(requireHere.cache).filter((path) =>
    /[\\/](@google-cloud|google-auth-library|google-gax|protobufjs|@grpc)[\\/]/.test(path),
  );

it('loads the Google Cloud SDKs only when the provider first needs a client', async () => {
  expect(sdkModulesLoaded()).toEqual([]);
  const gcp = await import('./index.js');
  const provider = gcp.cloudRun({
    project: 'my-project',
    region: 'europe-west1',
    endpoint: { apiEndpoint: '127.0.0.1', port: 9, protocol: 'http' },
  });
  expect(provider.name).toBe('gcp-cloud-run');
  expect(sdkModulesLoaded()).toEqual([]);
  const { cloudRunOptionsSchema } = await import('./cloud-run-options.js');
  const { createGcpClients } = await import('./gcp-clients.js');
  const clients = createGcpClients(
    cloudRunOptionsSchema.parse({ project: 'my-project', region: 'europe-west1', transport: 'rest' }),
  );
  expect(sdkModulesLoaded().length).toBeGreaterThan(0);
  await clients.close();
});
