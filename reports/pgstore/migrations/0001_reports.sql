-- The reports, as evidence, and what the operators decided about them.

-- A received batch, kept forever. Its primary key is the idempotency key:
-- two intake servers storing the same batch at once collide here, and
-- the second stores nothing.
CREATE TABLE batches (
	id        text PRIMARY KEY,
	key       text NOT NULL,        -- the appliance's pseudonym
	received  timestamptz NOT NULL,
	reports   integer NOT NULL,
	body      bytea NOT NULL,       -- exactly as signed
	signature text NOT NULL         -- the Amane-Signature header
);

-- One report of a batch. day is YYYY-MM-DD as sent (compared as text).
CREATE TABLE reports (
	batch    text NOT NULL REFERENCES batches (id),
	idx      integer NOT NULL,
	domain   text NOT NULL,
	kind     text NOT NULL,
	category text NOT NULL,
	day      text NOT NULL,
	count    bigint NOT NULL,
	note     text NOT NULL,
	age_band text NOT NULL,        -- '' when none was given
	key      text NOT NULL,
	PRIMARY KEY (batch, idx)
);
CREATE INDEX reports_by_domain ON reports (domain, day);

-- The operators' decision on a domain; none is status new.
CREATE TABLE triage (
	domain   text PRIMARY KEY,
	status   text NOT NULL,
	category text NOT NULL DEFAULT '',
	reason   text NOT NULL DEFAULT '',
	at       timestamptz
);

-- The statistics, kept as reports arrive so that stats never reads the
-- reports. shard spreads the rows of a popular domain over several, so
-- that the intake's transactions do not queue on one row lock; readers
-- sum over it.
CREATE TABLE daily_stats (
	day      text NOT NULL,
	domain   text NOT NULL,
	category text NOT NULL,
	age_band text NOT NULL,
	shard    smallint NOT NULL,
	reports  bigint NOT NULL,
	manual   bigint NOT NULL,
	count    bigint NOT NULL,
	PRIMARY KEY (day, domain, category, age_band, shard)
);

-- The per-key rate limit: batches per key per fixed window, counted by
-- every intake server with one atomic upsert. Unlogged: a count costs no
-- WAL and its commit waits for no fsync, and a crash that empties the
-- table only gives every key a fresh window.
CREATE UNLOGGED TABLE key_windows (
	key          text NOT NULL,
	window_start timestamptz NOT NULL,
	batches      integer NOT NULL,
	PRIMARY KEY (key, window_start)
);
