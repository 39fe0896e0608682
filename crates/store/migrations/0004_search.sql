-- The search index: one document per published course and lesson, its
-- text cut into words (domain::search) and indexed by each backend's own
-- full-text engine. Lines between "-- @sqlite" / "-- @postgres" and
-- "-- @both" are for that backend only.
CREATE TABLE search_docs (
    id @PK@,
    kind TEXT NOT NULL,
    ref_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL,
    subject TEXT NOT NULL,
    grades TEXT NOT NULL DEFAULT '',
    words TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (kind, ref_id)
);
CREATE INDEX search_docs_course ON search_docs (course_id);
-- @sqlite
CREATE VIRTUAL TABLE search_fts USING fts5(words, content='search_docs', content_rowid='id');
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, words) VALUES (new.id, new.words);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, words) VALUES ('delete', old.id, old.words);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, words) VALUES ('delete', old.id, old.words);
    INSERT INTO search_fts (rowid, words) VALUES (new.id, new.words);
END;
-- @postgres
ALTER TABLE search_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', words)) STORED;
CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);
-- @both
