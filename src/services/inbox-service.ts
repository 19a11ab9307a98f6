/**
 * What customers wrote, as `replies list` and `reply simulate` read it: every inbound message, and the
 * follow-ups still open for an answer, the message that decided each follow-up (the panel's answer column). Applying a reply is reply-service's.
 */
export { latestAnswers, listInbound } from "../store/inbox.js";
export { listOpenFollowups } from "../store/replies.js";
