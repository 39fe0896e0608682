-- Import jobs: one row per uploaded file, so that any instance can show
-- its progress and its report.
CREATE TABLE import_jobs (
    id @PK@,
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    report TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX import_jobs_owner ON import_jobs (created_by, id);
