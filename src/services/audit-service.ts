/**
 * The audit trail as `audit list` reads it: the store answers (filters, pages, the actions seen);
 * writing an audit row belongs to the service whose action it records.
 */
export { auditActions, listAudit } from "../store/audit-queries.js";
