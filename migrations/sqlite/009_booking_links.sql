-- Bookings back to the clinic (issue 13 point 2).
--
-- Where each appointment came from: an import, a booking the bot made over WhatsApp
-- (agenda.book), `appointments add`, or the API. Backfill: a WhatsApp booking is the row an
-- answered follow-up points to (followup_booked_appointment_id) or whose appointment_created
-- audit says source agenda.book; another appointment_created audit is `appointments add`
-- (imports write one appointments_imported row, not one per appointment); the rest came from imports.
ALTER TABLE appointments ADD COLUMN source TEXT NOT NULL DEFAULT 'import' CHECK (source IN ('import', 'whatsapp', 'manual', 'api'));
UPDATE appointments SET source = 'whatsapp'
 WHERE id IN (SELECT followup_booked_appointment_id FROM appointments WHERE followup_booked_appointment_id IS NOT NULL)
    OR id IN (SELECT appointment_id FROM audit_log WHERE action IN ('appointment_created', 'appointment_updated') AND payload LIKE '%"source":"agenda.book"%');
UPDATE appointments SET source = 'manual'
 WHERE source = 'import' AND id IN (SELECT appointment_id FROM audit_log WHERE action = 'appointment_created' AND appointment_id IS NOT NULL);

-- The same company + phone + start time is one appointment: a clinic's own id for an appointment
-- already known under another external id (a WhatsApp booking re-exported by the clinic) is kept
-- here, so a re-import finds it again and `appointments cancel/show <clinic id>` reach the row.
CREATE TABLE appointment_aliases (
  company_id     TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  external_id    TEXT NOT NULL,
  appointment_id INTEGER NOT NULL REFERENCES appointments(id) ON DELETE CASCADE,
  created_at     TEXT NOT NULL,
  PRIMARY KEY (company_id, external_id)
);
CREATE INDEX appointment_aliases_appointment ON appointment_aliases (appointment_id);

-- An optional per-company booking webhook: each WhatsApp booking is POSTed there, signed with
-- HMAC-SHA256 (the secret is shown once when generated; `companies show` says only whether it is set).
ALTER TABLE companies ADD COLUMN booking_webhook_url TEXT;
ALTER TABLE companies ADD COLUMN booking_webhook_secret TEXT;      -- secret: the HMAC key

-- The outbox: one row per booking, written in the booking's own transaction; the daemon's tick
-- POSTs pending rows (no network inside a transaction) and retries with backoff, then gives up.
CREATE TABLE booking_deliveries (
  id               INTEGER PRIMARY KEY,
  company_id       TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  appointment_id   INTEGER NOT NULL UNIQUE REFERENCES appointments(id) ON DELETE CASCADE,
  body             TEXT NOT NULL,                 -- the JSON POSTed, exactly (the signature covers these bytes)
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT NOT NULL,
  lease_expires_at TEXT,                          -- a daemon is POSTing it until then (several daemons, one POST)
  last_error       TEXT,
  created_at       TEXT NOT NULL,
  delivered_at     TEXT
);
-- The deliverer's scan: pending rows by due time.
CREATE INDEX booking_deliveries_due ON booking_deliveries (next_attempt_at) WHERE status = 'pending';
