// Planning is internal to the engine; a plan reaches callers as data (`Plan`).
export type { Plan, PlanChange, PlanDrift, PlanValue } from './plan.js';
