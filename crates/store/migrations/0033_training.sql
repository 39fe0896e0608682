-- Training programmes (run by the city, a district or a school), their
-- sessions (in person with a check-in code, or online through a library
-- lesson) and who attended; and, per person counted by one of the plan's
-- training targets, a row for each unit they are counted at, with whether
-- they completed it, summed up the tree in `training_rollups`.
CREATE TABLE training_programmes (
    id @PK@,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    target_hours BIGINT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX training_programmes_unit ON training_programmes (unit_id);

CREATE TABLE training_sessions (
    id @PK@,
    programme_id BIGINT NOT NULL REFERENCES training_programmes(id),
    title TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    mode TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    lesson_id BIGINT NOT NULL DEFAULT 0,
    hours BIGINT NOT NULL,
    checkin_token @TEXT_C@ NOT NULL UNIQUE,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX training_sessions_programme ON training_sessions (programme_id, starts_at);

CREATE TABLE training_attendance (
    session_id BIGINT NOT NULL REFERENCES training_sessions(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    method TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (session_id, account_id)
);
CREATE INDEX training_attendance_account ON training_attendance (account_id);

CREATE TABLE training_counted (
    account_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    measure @TEXT_C@ NOT NULL,
    done BIGINT NOT NULL,
    PRIMARY KEY (account_id, unit_id, measure)
);

CREATE TABLE training_rollups (
    unit_id BIGINT NOT NULL,
    measure @TEXT_C@ NOT NULL,
    people BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, measure)
);
