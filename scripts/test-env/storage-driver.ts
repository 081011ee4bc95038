/** The Docker engine's storage driver in daemon.json (pure) and the order fallbacks are tried in. */

/** daemon.json's text with `"storage-driver"` set, its other settings kept. Throws on invalid JSON. */
export function withStorageDriver(daemonJson: string | undefined, driver: string): string {
  const current =
    daemonJson === undefined || daemonJson.trim() === '' ? {} : (JSON.parse(daemonJson) as unknown);
  if (typeof current !== 'object' || current === null || Array.isArray(current)) {
    throw new Error('daemon.json is not a JSON object');
  }
  return `${JSON.stringify({ ...current, 'storage-driver': driver }, null, 2)}\n`;
}

/** The drivers still to try, in order, after `current` failed. */
export function fallbackDrivers(fallbacks: readonly string[], current: string): string[] {
  return fallbacks.filter((driver) => driver !== current);
}
