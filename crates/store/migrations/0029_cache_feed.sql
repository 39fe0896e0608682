-- What an instance changed that other instances may hold in their caches
-- (a session ended, an account's grants or children, the lessons): every
-- instance reads what is new each second and forgets it. Kept a day.
CREATE TABLE cache_feed (
    id @PK@,
    kind TEXT NOT NULL,
    cache_key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX cache_feed_at ON cache_feed (at);
