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

-- secretaria_consent_revoked_total: counted by the counters' table (the function of migration 003
-- stores '' as the response of any action other than followup_response).
CREATE TRIGGER audit_log_consent_counters AFTER INSERT ON audit_log
FOR EACH ROW WHEN (NEW.action = 'consent_revoked')
EXECUTE FUNCTION audit_log_followup_counters();
