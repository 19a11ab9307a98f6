-- Replies: asking once when unsure, and the operator's inbox (issue 15).

-- When the bot asked "Desculpe, não entendi… Responda 1 ou 2" (UTC ISO-8601). A follow-up still
-- `sent` whose question is at or after its last send is awaiting clarification: pending in stats,
-- shown as such in `followups list` and the API; the next reply decides, a second unclear one is feedback.
ALTER TABLE appointments ADD COLUMN followup_clarification_asked_at TEXT;

-- The ContextEngine's deciding rule for each inbound message (`replies list`, support).
ALTER TABLE inbound_messages ADD COLUMN rule TEXT;

-- The inbox: newest first overall, and one follow-up's messages (`followups show`, --follow-up).
CREATE INDEX inbound_messages_received ON inbound_messages (received_at);
CREATE INDEX inbound_messages_appointment ON inbound_messages (appointment_id, received_at);
