-- Consent that sticks (LGPD, WhatsApp business policy): a company's do-not-contact list.
-- A phone on it is never sent a follow-up by that company, whatever allow_followup an import or
-- an edit says, until the client (VOLTAR) or the operator opts it back in (the row is deleted).

CREATE TABLE do_not_contact (
  company_id TEXT NOT NULL REFERENCES companies(id),
  phone      TEXT NOT NULL,                       -- digits with the country code, as appointments.client_phone
  since      TEXT NOT NULL,                       -- UTC ISO-8601
  reason     TEXT NOT NULL DEFAULT 'client_request' CHECK (reason IN ('client_request', 'operator')),
  message    TEXT,                                -- the message that asked (capped at 500 characters)
  message_id TEXT,                                -- its WhatsApp message id
  PRIMARY KEY (company_id, phone)
);

-- Every company that holds a phone (an opt-out from a message no follow-up matched; erase; export).
CREATE INDEX do_not_contact_phone ON do_not_contact (phone);

-- secretaria_consent_revoked_total: counted by the counters' table, like sends and answers.
CREATE TRIGGER audit_log_consent_counters AFTER INSERT ON audit_log
WHEN NEW.action = 'consent_revoked'
BEGIN
  INSERT INTO followup_counters (company_id, action, response, n)
  VALUES (COALESCE(NEW.company_id, ''), NEW.action, '', 1)
  ON CONFLICT (company_id, action, response) DO UPDATE SET n = n + 1;
END;
