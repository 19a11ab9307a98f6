/**
 * The follow-up lists of `followups list` (one page, or every row in keyset pages for exports): the
 * filters, sorts and pages the store answers with its indexes.
 */
export { FOLLOWUP_SORTS, KEYSET_SORTS, STATUS_FILTERS, STATUS_FILTER_STATES, endRangesFor, followupPages, listFollowups } from "../store/followup-queries.js";
