-- Scoped API tokens (issue 13 point 3, used by the agenda API and the /painel panel):
-- company_id NULL = an operator-wide token. Only the SHA-256 of the token is stored.
CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  company_id   TEXT REFERENCES companies(id),
  name         TEXT NOT NULL DEFAULT '',
  token_sha256 TEXT NOT NULL UNIQUE,       -- hex
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT
);
CREATE INDEX api_tokens_company ON api_tokens (company_id);
