-- Several daemons on one database (and, on PostgreSQL, on several hosts):
-- each daemon's own heartbeat, a send budget per company shared by all of them, and the
-- release notes' counters kept in the database by a trigger, so no scrape can skip or
-- double-count a row however the daemons' transactions commit.

CREATE TABLE daemons (
  id              TEXT PRIMARY KEY,        -- the daemon's lease owner id (kind:host:pid:random)
  host            TEXT NOT NULL,
  pid             INTEGER NOT NULL,
  started_at      TEXT NOT NULL,
  heartbeat_at    TEXT NOT NULL,           -- every tick and every few seconds while serving
  last_tick_at    TEXT,
  last_success_at TEXT,
  last_error      TEXT,
  schedule        TEXT,
  interval_s      INTEGER NOT NULL DEFAULT 60,
  http_url        TEXT,
  webhook_on      INTEGER NOT NULL DEFAULT 0,
  api_on          INTEGER NOT NULL DEFAULT 0,
  simulated_clock INTEGER NOT NULL DEFAULT 0,
  stopped_at      TEXT
);

-- A company's rate limit as one budget for every daemon: the next free send instant (epoch ms).
CREATE TABLE send_budget (
  company_id TEXT PRIMARY KEY,
  next_at_ms BIGINT NOT NULL DEFAULT 0
);

-- secretaria_appointment_followups_*_total: one row per company, action and response.
CREATE TABLE followup_counters (
  company_id TEXT NOT NULL,
  action     TEXT NOT NULL,
  response   TEXT NOT NULL DEFAULT '',
  n          BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (company_id, action, response)
);

INSERT INTO followup_counters (company_id, action, response, n)
SELECT COALESCE(company_id, ''), action,
       CASE WHEN action = 'followup_response' THEN COALESCE(payload::jsonb ->> 'response', '') ELSE '' END,
       count(*)
  FROM audit_log
 WHERE action IN ('followup_sent', 'followup_response')
 GROUP BY 1, 2, 3;

CREATE FUNCTION audit_log_followup_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO followup_counters (company_id, action, response, n)
  VALUES (COALESCE(NEW.company_id, ''), NEW.action,
          CASE WHEN NEW.action = 'followup_response' THEN COALESCE(NEW.payload::jsonb ->> 'response', '') ELSE '' END, 1)
  ON CONFLICT (company_id, action, response) DO UPDATE SET n = followup_counters.n + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER audit_log_followup_counters AFTER INSERT ON audit_log
FOR EACH ROW WHEN (NEW.action IN ('followup_sent', 'followup_response'))
EXECUTE FUNCTION audit_log_followup_counters();
