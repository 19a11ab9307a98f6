-- `companies show` and `doctor` count each company's booking deliveries by status (and read its
-- newest error); the table keeps every delivery, so without this index each company's summary
-- read the whole table.
CREATE INDEX booking_deliveries_company ON booking_deliveries (company_id, status);
