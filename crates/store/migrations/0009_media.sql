-- Uploaded files (kept on disk under the media directory by their SHA-256)
-- and the attachments of lessons.
CREATE TABLE media_files (
    id @PK@,
    -- The random, unguessable name in the file's address (/media/f/{token}).
    token TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    filename TEXT NOT NULL,
    uploaded_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE lesson_attachments (
    id @PK@,
    lesson_id BIGINT NOT NULL REFERENCES lessons(id),
    media_id BIGINT NOT NULL REFERENCES media_files(id),
    title TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX lesson_attachments_lesson ON lesson_attachments (lesson_id, id);
