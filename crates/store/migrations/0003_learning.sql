-- Courses, lessons, the first lesson of term campaigns, and learning
-- progress with its rollups.
CREATE TABLE courses (
    id @PK@,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL,
    subject TEXT NOT NULL,
    stages TEXT NOT NULL DEFAULT '',
    grades TEXT NOT NULL DEFAULT '',
    owner_unit_id BIGINT NOT NULL REFERENCES units(id),
    status TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE lessons (
    id @PK@,
    course_id BIGINT NOT NULL REFERENCES courses(id),
    seq BIGINT NOT NULL,
    title TEXT NOT NULL,
    duration_s BIGINT NOT NULL,
    video_url TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX lessons_course ON lessons (course_id, seq);

CREATE TABLE campaigns (
    id @PK@,
    school_year BIGINT NOT NULL,
    title TEXT NOT NULL,
    opens_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A lesson of a campaign and whom it is for: every grade ('') or one grade;
-- the city's (school_id 0) or one school's year-transition lesson.
CREATE TABLE campaign_lessons (
    id @PK@,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    lesson_id BIGINT NOT NULL REFERENCES lessons(id),
    grade TEXT NOT NULL DEFAULT '',
    school_id BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (campaign_id, lesson_id, grade, school_id)
);
CREATE INDEX campaign_lessons_lesson ON campaign_lessons (lesson_id);

-- The union of the seconds a parent has played of a lesson.
CREATE TABLE lesson_progress (
    account_id BIGINT NOT NULL,
    lesson_id BIGINT NOT NULL,
    spans TEXT NOT NULL,
    covered_s BIGINT NOT NULL,
    completed_at BIGINT NOT NULL DEFAULT 0,
    last_report_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, lesson_id)
);

-- A family's (a child's) tally in a campaign: the lessons meant for the
-- child and those some guardian has completed.
CREATE TABLE campaign_students (
    campaign_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    class_id BIGINT NOT NULL,
    needed BIGINT NOT NULL,
    done BIGINT NOT NULL,
    completed_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, student_id)
);
CREATE INDEX campaign_students_class ON campaign_students (campaign_id, class_id);

CREATE TABLE campaign_student_lessons (
    campaign_id BIGINT NOT NULL,
    student_id BIGINT NOT NULL,
    lesson_id BIGINT NOT NULL,
    done_at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, student_id, lesson_id)
);

-- Families done and lessons done per unit, for the boards.
CREATE TABLE campaign_rollups (
    campaign_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    families_done BIGINT NOT NULL DEFAULT 0,
    lessons_done BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, unit_id)
);
