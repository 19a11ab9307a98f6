/**
 * What the daemon's /metrics and /healthz read from the database: the counters the audit trigger keeps,
 * follow-ups by state, companies' pauses, and whether the database answers at all.
 */
export { companyPauses, followupCounters, followupStateCounts, pingDatabase } from "../store/metrics-queries.js";
