-- v2.4: automatic post-appointment follow-up.
-- Adds the release notes' columns (allow_followup, followup_sent_at, followup_response,
-- followup_next_scheduled), the engine's own state/lease/attempt columns, per-company
-- follow-up settings, inbound messages (de-duplication), and the due-scan indexes.

ALTER TABLE companies ADD COLUMN quiet_hours TEXT NOT NULL DEFAULT '20:00-08:00';
ALTER TABLE companies ADD COLUMN followup_delay_minutes INTEGER NOT NULL DEFAULT 60;
-- Messages per second per company; 0 = no limit. WhatsApp bans numbers that blast.
ALTER TABLE companies ADD COLUMN rate_limit REAL NOT NULL DEFAULT 1;
-- Optional override of the follow-up text, with {nome} / {quando} placeholders.
ALTER TABLE companies ADD COLUMN followup_template TEXT;
-- Set when Whaticket rejects the company's token (401/403): sending pauses, no attempt is burned.
ALTER TABLE companies ADD COLUMN paused_reason TEXT;
ALTER TABLE companies ADD COLUMN paused_at TEXT;

-- Consent (LGPD). Rows from before v2.4 carry no recorded consent: never contacted.
ALTER TABLE appointments ADD COLUMN allow_followup INTEGER NOT NULL DEFAULT 0 CHECK (allow_followup IN (0, 1));
ALTER TABLE appointments ADD COLUMN followup_sent_at TEXT;
ALTER TABLE appointments ADD COLUMN followup_response TEXT
  CHECK (followup_response IS NULL OR followup_response IN ('positive', 'negative', 'feedback'));
-- When the next send attempt is due (UTC ISO-8601); NULL when nothing is to be sent.
ALTER TABLE appointments ADD COLUMN followup_next_scheduled TEXT;
-- The engine's state: scheduled → sending → sent → positive | negative | feedback; or failed; or skipped.
ALTER TABLE appointments ADD COLUMN followup_status TEXT NOT NULL DEFAULT 'skipped'
  CHECK (followup_status IN ('scheduled', 'sending', 'sent', 'positive', 'negative', 'feedback', 'failed', 'skipped'));
-- Why skipped: no_consent, cancelled, expired.
ALTER TABLE appointments ADD COLUMN followup_skip_reason TEXT;
-- The original due time (end + delay, out of quiet hours): expiry is measured from it, not from a retry's time.
ALTER TABLE appointments ADD COLUMN followup_due_at TEXT;
ALTER TABLE appointments ADD COLUMN followup_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE appointments ADD COLUMN followup_last_error TEXT;
ALTER TABLE appointments ADD COLUMN followup_responded_at TEXT;
-- Slots offered after a positive answer (JSON array of UTC instants), awaiting the client's choice.
ALTER TABLE appointments ADD COLUMN followup_offered_slots TEXT;
-- The appointment booked from this follow-up's positive answer.
ALTER TABLE appointments ADD COLUMN followup_booked_appointment_id INTEGER;
-- The lease of the daemon that claimed this row for sending.
ALTER TABLE appointments ADD COLUMN lease_owner TEXT;
ALTER TABLE appointments ADD COLUMN lease_expires_at TEXT;

UPDATE appointments SET followup_status = 'skipped', followup_skip_reason = 'no_consent';

-- The daemon's due scan: an index seek on scheduled rows by due time (partial: only rows still to send).
CREATE INDEX appointments_followup_due ON appointments (followup_next_scheduled)
  WHERE followup_status = 'scheduled';
-- Crash recovery: leases of rows left in 'sending'.
CREATE INDEX appointments_followup_lease ON appointments (lease_expires_at)
  WHERE followup_status = 'sending';
-- Replies: the latest follow-up sent to a phone.
CREATE INDEX appointments_phone_sent ON appointments (client_phone, followup_sent_at)
  WHERE followup_sent_at IS NOT NULL;
-- Views: follow-ups by state and time.
CREATE INDEX appointments_followup_status_end ON appointments (followup_status, end_time);

-- Views and stats: follow-ups sent / answered in a time window, per company.
CREATE INDEX appointments_company_sent ON appointments (company_id, followup_sent_at)
  WHERE followup_sent_at IS NOT NULL;
CREATE INDEX appointments_company_responded ON appointments (company_id, followup_responded_at)
  WHERE followup_responded_at IS NOT NULL;

CREATE INDEX audit_log_action ON audit_log (action, company_id);

-- Small shared state of the daemons (last successful tick, …), readable by any process.
CREATE TABLE daemon_state (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Inbound WhatsApp messages, kept for de-duplication (message_id) and support.
CREATE TABLE inbound_messages (
  id             INTEGER PRIMARY KEY,
  message_id     TEXT UNIQUE,
  phone          TEXT NOT NULL,
  body           TEXT NOT NULL,
  received_at    TEXT NOT NULL,
  appointment_id INTEGER,
  intent         TEXT,
  outcome        TEXT NOT NULL DEFAULT 'unmatched'
);

CREATE INDEX inbound_messages_phone ON inbound_messages (phone, received_at);

-- The daemon claims per company (so one company's rate limit never holds back another's):
-- an index seek on one company's scheduled rows by due time.
CREATE INDEX appointments_followup_company_due ON appointments (company_id, followup_next_scheduled)
  WHERE followup_status = 'scheduled';

-- Metrics, first scrape after a start: answers per company and response without reading the
-- JSON payload of every followup_response row.
CREATE INDEX audit_log_response ON audit_log (company_id, json_extract(payload, '$.response'))
  WHERE action = 'followup_response';

-- Views (`followups list`, newest first, any state): the page straight from the index.
CREATE INDEX appointments_end ON appointments (end_time);
-- Views and stats per company: by state and appointment end (followups list --company,
-- stats' pending / failed / skipped counts), counted from the index alone (sent_at included
-- for "sent in the window, still awaiting a reply").
CREATE INDEX appointments_company_status_end ON appointments (company_id, followup_status, end_time, followup_sent_at);
-- Stats: answers per company, kind and local day, counted from the index alone.
CREATE INDEX appointments_company_response ON appointments (company_id, followup_response, followup_responded_at)
  WHERE followup_responded_at IS NOT NULL;
