-- A company chooses its WhatsApp gateway: Whaticket (the default, the columns it always had),
-- Evolution API v2, or Meta's WhatsApp Cloud API. Each gateway's settings sit beside the others;
-- only the chosen gateway's are read. Secrets (api key, access token, app secret, verify token)
-- are never shown: `companies list` says only whether each is set.

ALTER TABLE companies ADD COLUMN gateway TEXT NOT NULL DEFAULT 'whaticket' CHECK (gateway IN ('whaticket', 'evolution', 'cloud'));
ALTER TABLE companies ADD COLUMN evolution_url TEXT;                -- https://evo.example.com
ALTER TABLE companies ADD COLUMN evolution_api_key TEXT;            -- secret: the instance token or global key (header apikey)
ALTER TABLE companies ADD COLUMN evolution_instance TEXT;           -- instance name: also tells inbound webhooks which company
ALTER TABLE companies ADD COLUMN cloud_phone_number_id TEXT;        -- digits: also tells inbound webhooks which company
ALTER TABLE companies ADD COLUMN cloud_access_token TEXT;           -- secret
ALTER TABLE companies ADD COLUMN cloud_app_secret TEXT;             -- secret: X-Hub-Signature-256 key
ALTER TABLE companies ADD COLUMN cloud_verify_token TEXT;           -- secret: GET verification handshake
ALTER TABLE companies ADD COLUMN cloud_template_name TEXT;          -- the approved follow-up template
ALTER TABLE companies ADD COLUMN cloud_template_language TEXT;      -- e.g. pt_BR
ALTER TABLE companies ADD COLUMN cloud_graph_base TEXT;             -- default https://graph.facebook.com (tests: the fake)

-- Inbound webhooks find their company by these.
CREATE INDEX companies_evolution_instance ON companies (evolution_instance) WHERE evolution_instance IS NOT NULL;
CREATE INDEX companies_cloud_phone_number_id ON companies (cloud_phone_number_id) WHERE cloud_phone_number_id IS NOT NULL;
