-- The schema as v2.3 left it: companies, appointments (no follow-up columns yet),
-- the audit trail and feedback events. Every column beyond the essential ones has a
-- default, so rows written by a v2.3 system with just those columns stay valid.

CREATE TABLE companies (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  timezone       TEXT NOT NULL DEFAULT 'America/Sao_Paulo',
  whaticket_url  TEXT,
  whaticket_token TEXT,
  whatsapp_id    TEXT,
  business_hours TEXT NOT NULL DEFAULT 'mon-fri 09:00-18:00',
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE appointments (
  id           INTEGER PRIMARY KEY,
  company_id   TEXT NOT NULL REFERENCES companies(id),
  external_id  TEXT NOT NULL,
  client_name  TEXT NOT NULL,
  client_phone TEXT NOT NULL,
  start_time   TEXT NOT NULL,
  end_time     TEXT NOT NULL,
  status       TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (company_id, external_id)
);

-- Free-slot search: a company's booked appointments by time.
CREATE INDEX appointments_company_start ON appointments (company_id, start_time);

CREATE TABLE audit_log (
  id             INTEGER PRIMARY KEY,
  action         TEXT NOT NULL,
  appointment_id INTEGER,
  company_id     TEXT,
  payload        TEXT NOT NULL DEFAULT '{}',
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX audit_log_appointment ON audit_log (appointment_id, id);

CREATE TABLE feedback_events (
  id             INTEGER PRIMARY KEY,
  appointment_id INTEGER NOT NULL REFERENCES appointments(id),
  feedback_type  TEXT NOT NULL DEFAULT 'followup_text',
  text           TEXT NOT NULL DEFAULT '',
  created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX feedback_events_appointment ON feedback_events (appointment_id);
