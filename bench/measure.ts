/** Wall time and resident memory of one measured call, and the statistics the report uses. */

/** One measured call. */
export interface Measured<T> {
  value: T;
  wallMs: number;
  /** Highest RSS seen while the call ran, minus the RSS just before it (bytes; sampled every 5 ms). */
  peakRssDeltaBytes: number;
}

/** Time `run` and sample the process's resident set size while it runs. */
export async function measure<T>(run: () => Promise<T>): Promise<Measured<T>> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const started = performance.now();
  try {
    const value = await run();
    const wallMs = performance.now() - started;
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, wallMs, peakRssDeltaBytes: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

/** Median, minimum and maximum of a series. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number;
}

/** Summarise a non-empty series. Pure. */
export function summarise(values: number[]): Summary {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, samples: sorted.length };
}
