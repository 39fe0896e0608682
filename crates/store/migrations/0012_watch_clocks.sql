-- Each parent's viewing clock, across all their lessons: when the current
-- sitting began, when the last report came, and the seconds credited since
-- the sitting began. No report credits more than real time allows.
CREATE TABLE watch_clocks (
    account_id BIGINT PRIMARY KEY,
    began_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    credited_s BIGINT NOT NULL
);
