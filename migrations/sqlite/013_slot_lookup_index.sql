-- An import looks, for each row it does not know, for the same client at the same start under another
-- external id (issue 13's link: a WhatsApp booking the clinic exports under its own id). On
-- (company_id, start_time) that read every appointment of the slot's start; a clinic with many
-- professionals has dozens, and a 1M-row import paid ~8 µs a row for it. With the phone in the key
-- it is one seek. The index still serves every query that used (company_id, start_time).
DROP INDEX appointments_company_start;
CREATE INDEX appointments_company_start ON appointments (company_id, start_time, client_phone);
