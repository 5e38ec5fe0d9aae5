-- The operators' console: its accounts, and the audit log of every
-- decision (who, when, what, why), which is evidence.

CREATE TABLE accounts (
	name    text PRIMARY KEY,
	role    text NOT NULL CHECK (role IN ('operator', 'publisher', 'admin')),
	hash    text NOT NULL,         -- argon2id, never the password
	created timestamptz NOT NULL
);

-- Append-only: the trigger below refuses every UPDATE, DELETE and
-- TRUNCATE, whoever runs it (short of a superuser dropping the trigger,
-- which the server log shows). domain is '' for acts on no domain.
CREATE TABLE audit (
	seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at       timestamptz NOT NULL,
	by_name  text NOT NULL,
	action   text NOT NULL,
	domain   text NOT NULL,
	category text NOT NULL,
	reason   text NOT NULL,
	detail   text NOT NULL
);
CREATE INDEX audit_by_domain ON audit (domain, seq);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
	FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
