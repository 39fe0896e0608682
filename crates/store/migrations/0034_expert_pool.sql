-- The expert pool: each expert is an account with a profile (which pool,
-- title, specialties, region, availability); the conflicts of interest they
-- declare; and the requests of schools and bureaus for a lecture or a
-- review panel, with the expert's answer and the requester's rating.
CREATE TABLE experts (
    id @PK@,
    account_id BIGINT NOT NULL UNIQUE REFERENCES accounts(id),
    pool TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    specialties TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    availability TEXT NOT NULL DEFAULT '',
    active BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE expert_conflicts (
    id @PK@,
    expert_id BIGINT NOT NULL REFERENCES experts(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    reason TEXT NOT NULL,
    declared_at BIGINT NOT NULL
);
CREATE INDEX expert_conflicts_expert ON expert_conflicts (expert_id);

CREATE TABLE expert_requests (
    id @PK@,
    expert_id BIGINT NOT NULL REFERENCES experts(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'requested',
    answer_note TEXT NOT NULL DEFAULT '',
    answered_at BIGINT NOT NULL DEFAULT 0,
    score BIGINT NOT NULL DEFAULT 0,
    comment TEXT NOT NULL DEFAULT '',
    requested_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX expert_requests_expert ON expert_requests (expert_id, status, starts_at);
CREATE INDEX expert_requests_unit ON expert_requests (unit_id, created_at);
