/**
 * What customers wrote, as `replies list` and `reply simulate` read it: every inbound message, and the
 * follow-ups still open for an answer. Applying a reply is reply-service's.
 */
export { listInbound } from "../store/inbox.js";
export { listOpenFollowups } from "../store/replies.js";
