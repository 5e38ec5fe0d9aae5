-- The published feed, so that every intake server serves the same newest
-- version: each publication's files (manifest, signature, lists).
CREATE TABLE feed_versions (
	version   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	published timestamptz NOT NULL
);
CREATE TABLE feed_files (
	version bigint NOT NULL REFERENCES feed_versions (version) ON DELETE CASCADE,
	name    text NOT NULL,
	content bytea NOT NULL,
	PRIMARY KEY (version, name)
);
