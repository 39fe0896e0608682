-- The plan's numbers (sessions and hours per class, the class hour, entry
-- grades, goals, urgent words, the next modules' targets) as versions: the
-- newest row is the plan in force; with no row, the built-in default
-- (Qingdao's 2022-2024 plan) is. `body` is the plan as JSON.
CREATE TABLE plans (
    version @PK@,
    body TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
