-- Master-teacher studios: a lead's application, the city's selection, the
-- members, a plan each year, outputs (a published course or contribution
-- of the platform, or a lecture given) and a review each year.
CREATE TABLE studios (
    id @PK@,
    name TEXT NOT NULL,
    lead_id BIGINT NOT NULL REFERENCES accounts(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    focus TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'applied',
    applied_at BIGINT NOT NULL,
    decided_at BIGINT NOT NULL DEFAULT 0,
    decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX studios_status ON studios (status);

CREATE TABLE studio_members (
    studio_id BIGINT NOT NULL REFERENCES studios(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (studio_id, account_id)
);

CREATE TABLE studio_plans (
    studio_id BIGINT NOT NULL REFERENCES studios(id),
    school_year BIGINT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (studio_id, school_year)
);

CREATE TABLE studio_outputs (
    id @PK@,
    studio_id BIGINT NOT NULL REFERENCES studios(id),
    kind TEXT NOT NULL,
    ref_id BIGINT NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    held_on TEXT NOT NULL DEFAULT '',
    added_at BIGINT NOT NULL
);
CREATE INDEX studio_outputs_studio ON studio_outputs (studio_id);

CREATE TABLE studio_reviews (
    studio_id BIGINT NOT NULL REFERENCES studios(id),
    school_year BIGINT NOT NULL,
    grade TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    reviewed_by BIGINT NOT NULL,
    reviewed_at BIGINT NOT NULL,
    PRIMARY KEY (studio_id, school_year)
);
