-- Edits of a published lesson: each is a revision that waits for review
-- while the published version stays; approving one makes it the lesson's
-- next version and keeps the one it replaces.
CREATE TABLE lesson_revisions (
    id @PK@,
    lesson_id BIGINT NOT NULL REFERENCES lessons(id),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    duration_s BIGINT NOT NULL,
    video_url TEXT NOT NULL,
    body TEXT NOT NULL,
    -- submitted, approved, returned, superseded (the content a newer version replaced)
    status TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_by BIGINT,
    decided_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX lesson_revisions_lesson ON lesson_revisions (lesson_id, id);
