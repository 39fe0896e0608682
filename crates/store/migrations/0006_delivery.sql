-- Required-course delivery: the sessions a class's head teacher holds with
-- its parents, their five steps, check-ins, two-way ratings, the yearly
-- minimum per class with its rollups, and effect-tracking questionnaires.
CREATE TABLE delivery_sessions (
    id @PK@,
    class_id BIGINT NOT NULL REFERENCES units(id),
    school_year BIGINT NOT NULL,
    course_id BIGINT NOT NULL REFERENCES courses(id),
    -- The lesson of the course taught, or 0.
    lesson_id BIGINT NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    class_hours BIGINT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    online_url TEXT NOT NULL DEFAULT '',
    materials TEXT NOT NULL DEFAULT '',
    -- planned, held, cancelled
    status TEXT NOT NULL,
    checkin_token TEXT NOT NULL UNIQUE,
    -- Who taught it (credited with its class hours) and when it was marked held.
    teacher_id BIGINT NOT NULL DEFAULT 0,
    held_at BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX delivery_sessions_class ON delivery_sessions (class_id, school_year, starts_at);
CREATE INDEX delivery_sessions_teacher ON delivery_sessions (teacher_id, school_year);

-- The steps of the five-step method done in a session, with notes.
CREATE TABLE delivery_steps (
    session_id BIGINT NOT NULL,
    step TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    done_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, step)
);

-- Parents present: checked in by the session's QR code ('qr') or marked by
-- the teacher ('teacher'); with the teacher's rating of their participation
-- (1-5, 0 while unrated).
CREATE TABLE delivery_attendance (
    session_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    method TEXT NOT NULL,
    checked_in_at BIGINT NOT NULL,
    participation BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, account_id)
);
CREATE INDEX delivery_attendance_account ON delivery_attendance (account_id);

-- Parents' ratings of a session.
CREATE TABLE delivery_ratings (
    session_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    score BIGINT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    rated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, account_id)
);

-- Held sessions and class hours per class and school year.
CREATE TABLE delivery_class_years (
    class_id BIGINT NOT NULL,
    school_year BIGINT NOT NULL,
    sessions_held BIGINT NOT NULL DEFAULT 0,
    hours_held BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (class_id, school_year)
);

-- Classes that reached the yearly minimum, per ancestor unit and school year.
CREATE TABLE delivery_rollups (
    unit_id BIGINT NOT NULL,
    school_year BIGINT NOT NULL,
    classes_met BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, school_year)
);

-- A course's effect-tracking questionnaire: questions one per line, each
-- answered on a scale of 1 to 5 before the course and after it.
CREATE TABLE questionnaires (
    course_id BIGINT PRIMARY KEY REFERENCES courses(id),
    questions TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE questionnaire_answers (
    course_id BIGINT NOT NULL,
    school_year BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    phase TEXT NOT NULL,
    class_id BIGINT NOT NULL,
    answers TEXT NOT NULL,
    answered_at BIGINT NOT NULL,
    PRIMARY KEY (course_id, school_year, account_id, phase)
);

-- Per unit (the class and each ancestor), round and question: how many
-- answered and the sum of their answers.
CREATE TABLE questionnaire_tallies (
    course_id BIGINT NOT NULL,
    school_year BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    phase TEXT NOT NULL,
    question BIGINT NOT NULL,
    responses BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (course_id, school_year, unit_id, phase, question)
);
