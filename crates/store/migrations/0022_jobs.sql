-- Background work, shared by every instance. A job is claimed by one
-- instance at a time under a lease it renews while it runs; a lease that
-- runs out (the instance stopped) lets another instance take the job again.
-- A periodic job (every_s > 0) goes back to `queued` after each run; a
-- one-off job ends `done`, or `failed` once its attempts are spent.
CREATE TABLE jobs (
    id @PK@,
    kind TEXT NOT NULL,
    every_s BIGINT NOT NULL DEFAULT 0,
    ref_id BIGINT NOT NULL DEFAULT 0,
    payload TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 3,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    runs BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    last_result TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    started_at BIGINT NOT NULL DEFAULT 0,
    finished_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_due ON jobs (status, run_at);
CREATE UNIQUE INDEX jobs_periodic ON jobs (kind) WHERE every_s > 0;

-- The file a one-off job works on (an uploaded sheet), until it has run.
CREATE TABLE job_files (
    job_id BIGINT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    bytes @BLOB@ NOT NULL
);

-- First passwords of accounts an import made, sealed with the data keys,
-- until the person who imported them downloads them once (or a day passes).
CREATE TABLE import_credentials (
    import_id BIGINT PRIMARY KEY REFERENCES import_jobs (id) ON DELETE CASCADE,
    owner_id BIGINT NOT NULL,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
