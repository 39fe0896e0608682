-- Contributions: micro-courses and lesson plans teachers submit, and the
-- reviews at school, district and city level that pass or return them.
CREATE TABLE contributions (
    id @PK@,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    -- A lesson plan's text; a micro-course's notes.
    body TEXT NOT NULL DEFAULT '',
    media_url TEXT NOT NULL DEFAULT '',
    duration_s BIGINT NOT NULL DEFAULT 0,
    stage TEXT NOT NULL,
    subject TEXT NOT NULL,
    author_id BIGINT NOT NULL,
    -- The author's school, district or city: where review starts.
    unit_id BIGINT NOT NULL REFERENCES units(id),
    -- school_review, district_review, city_review, published, returned
    status TEXT NOT NULL,
    -- A published micro-course's course in the library.
    course_id BIGINT NOT NULL DEFAULT 0,
    published_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contributions_status ON contributions (status, kind, stage);
CREATE INDEX contributions_author ON contributions (author_id, id);

CREATE TABLE contribution_reviews (
    id @PK@,
    contribution_id BIGINT NOT NULL REFERENCES contributions(id),
    level TEXT NOT NULL,
    reviewer_id BIGINT NOT NULL,
    decision TEXT NOT NULL,
    score BIGINT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX contribution_reviews_of ON contribution_reviews (contribution_id, id);
