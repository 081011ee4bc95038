/** App and component names on App Platform: 2–32 characters, `^[a-z][a-z0-9-]{0,30}[a-z0-9]$`. */
export const appNamePattern = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

/** Whether `name` is a valid App Platform app or component name. */
export const isAppName = (name: string): boolean => appNamePattern.test(name);

/** App-level env carrying the Berth revision of a spec (build-time scope: never in the container). */
export const revisionEnv = 'BERTH_REVISION';
/** App-level env carrying the secrets' fingerprints, JSON `{ KEY: "hmac-sha256:…" }` (build-time scope). */
export const fingerprintsEnv = 'BERTH_SECRET_FINGERPRINTS';

/** Tags of the service's DOCR repository that hold Berth's documents (not images). */
export const ledgerTag = 'berth-ledger';
export const vaultTag = 'berth-secrets';
export const lockTag = 'berth-lock';

/** `SecretBinding.ref` of a secret env of the app: App Platform keeps it encrypted in the spec. */
export const secretRef = (key: string): string => `app-platform:env/${key}`;
