-- SQLite's full-text index keyed so that the newest document comes first
-- (its key is a large constant minus the document's id): FTS5 reads its
-- matches forward and stops after the few hundred a search ranks, where
-- walking them newest-first backwards read every match of a common word.
-- PostgreSQL keeps its tsvector index as it is.
-- @sqlite
DROP TRIGGER search_docs_ai;
DROP TRIGGER search_docs_ad;
DROP TRIGGER search_docs_au;
DROP TABLE search_fts;
ALTER TABLE search_docs ADD COLUMN fts_key INTEGER GENERATED ALWAYS AS (4611686018427387904 - id) VIRTUAL;
CREATE UNIQUE INDEX search_docs_fts_key ON search_docs (fts_key);
CREATE VIRTUAL TABLE search_fts USING fts5(words, content='search_docs', content_rowid='fts_key');
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, words) VALUES (new.fts_key, new.words);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, words) VALUES ('delete', old.fts_key, old.words);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, words) VALUES ('delete', old.fts_key, old.words);
    INSERT INTO search_fts (rowid, words) VALUES (new.fts_key, new.words);
END;
INSERT INTO search_fts (search_fts) VALUES ('rebuild');
-- @postgres
SELECT 1;
-- @both
