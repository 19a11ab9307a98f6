-- Trust and safety (issue 13).

-- No blasting: each inbound message counts the bot's answers to its conversation in the last hour
-- (at most 3) and compares its text with our own recent texts (loop guard). One index seek per
-- message on the follow-up's bot answers, whatever the size of its audit trail.
CREATE INDEX audit_log_bot_replies ON audit_log (appointment_id, created_at) WHERE action = 'followup_bot_reply';
