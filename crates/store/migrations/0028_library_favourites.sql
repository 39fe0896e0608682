-- The courses of the library a reader keeps for later (收藏), newest first.
CREATE TABLE library_favourites (
    account_id BIGINT NOT NULL,
    course_id BIGINT NOT NULL REFERENCES courses(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, course_id)
);
CREATE INDEX library_favourites_recent ON library_favourites (account_id, created_at);
