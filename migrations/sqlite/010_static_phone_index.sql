-- The hot path rewrote an entry of appointments_phone_sent (client_phone, followup_sent_at) for
-- every follow-up sent: a page at a random place in the index per message (about 15% of the bytes
-- the send path writes, measured on the 1M-appointment burst). A phone has few appointments, so an
-- index on the phone alone finds a reply's open follow-up as fast, never changes on a send, and
-- also serves the phone lookups of consent and customer export (the old one was partial).
DROP INDEX appointments_phone_sent;
CREATE INDEX appointments_phone ON appointments (client_phone);
