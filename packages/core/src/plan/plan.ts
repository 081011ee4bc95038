/** One difference between what is live and what is wanted. */
export interface PlanChange {
  /** Dotted path, e.g. `image.digest`, `env.LOG_LEVEL`, `secrets.API_KEY`. */
  path: string;
  kind: 'add' | 'change' | 'remove';
  /** Secret values never appear: secrets show a masked fingerprint. */
  before: PlanValue;
  after: PlanValue;
}

/** A difference between what Berth last recorded and what is live: a change made outside Berth. */
export interface PlanDrift {
  path: string;
  recorded: PlanValue;
  observed: PlanValue;
}

export type PlanValue = string | number | boolean | null;

/** The outcome of planning. Same inputs give byte-identical JSON. */
export interface Plan {
  service: string;
  action: 'create' | 'update' | 'noop';
  changes: PlanChange[];
  drift: PlanDrift[];
}
