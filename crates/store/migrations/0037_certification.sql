-- Instructor certification (家庭教育指导师): the ladder of levels with
-- each level's criteria (settings the city keeps), applications with the
-- evidence the platform counted when they were made, reviewed by the
-- district and then the city, and the certificates issued, each with a
-- public serial for its verification page. Also each school's instructor
-- per grade, and who presented a training session (credited as workload).
CREATE TABLE certification_levels (
    level_rank BIGINT PRIMARY KEY,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    min_training_hours BIGINT NOT NULL,
    min_sessions_held BIGINT NOT NULL,
    -- Parents' average rating of those sessions, in tenths (43 = 4.3); 0: none asked.
    min_rating_tenths BIGINT NOT NULL,
    min_lectures BIGINT NOT NULL,
    needs_studio BIGINT NOT NULL,
    valid_years BIGINT NOT NULL,
    -- Training hours since the certificate was issued, to renew it.
    renewal_hours BIGINT NOT NULL,
    updated_by BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO certification_levels (level_rank, code, name, min_training_hours, min_sessions_held, min_rating_tenths, min_lectures, needs_studio, valid_years, renewal_hours) VALUES
    (1, 'junior_lecturer', '初级讲师', 8, 2, 0, 0, 0, 3, 8),
    (2, 'intermediate_lecturer', '中级讲师', 16, 6, 40, 1, 0, 3, 12),
    (3, 'senior_lecturer', '高级讲师', 24, 12, 43, 3, 0, 3, 16),
    (4, 'instructor', '指导师', 32, 16, 45, 5, 1, 3, 16),
    (5, 'senior_instructor', '高级指导师', 48, 24, 46, 10, 1, 3, 24);

CREATE TABLE certification_applications (
    id @PK@,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    unit_path @TEXT_C@ NOT NULL,
    level_rank BIGINT NOT NULL,
    renewal BIGINT NOT NULL DEFAULT 0,
    statement TEXT NOT NULL DEFAULT '',
    -- submitted, district_approved, certified, rejected, withdrawn
    status TEXT NOT NULL,
    training_hours BIGINT NOT NULL,
    sessions_held BIGINT NOT NULL,
    ratings BIGINT NOT NULL,
    rating_tenths BIGINT NOT NULL,
    lectures BIGINT NOT NULL,
    in_studio BIGINT NOT NULL,
    district_by BIGINT NOT NULL DEFAULT 0,
    district_at BIGINT NOT NULL DEFAULT 0,
    district_note TEXT NOT NULL DEFAULT '',
    city_by BIGINT NOT NULL DEFAULT 0,
    city_at BIGINT NOT NULL DEFAULT 0,
    city_note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX certification_applications_account ON certification_applications (account_id, created_at);
CREATE INDEX certification_applications_status ON certification_applications (status, unit_path);

CREATE TABLE certificates (
    id @PK@,
    serial @TEXT_C@ NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    unit_path @TEXT_C@ NOT NULL,
    level_rank BIGINT NOT NULL,
    level_name TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    application_id BIGINT NOT NULL DEFAULT 0,
    issued_at BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX certificates_account ON certificates (account_id, issued_at);
CREATE INDEX certificates_unit ON certificates (unit_path);

CREATE TABLE grade_instructors (
    school_id BIGINT NOT NULL REFERENCES units(id),
    grade TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    assigned_by BIGINT NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (school_id, grade)
);
CREATE INDEX grade_instructors_account ON grade_instructors (account_id);

ALTER TABLE training_sessions ADD COLUMN presenter_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX training_sessions_presenter ON training_sessions (presenter_id);

-- A person's lectures and studios, counted as evidence.
CREATE INDEX guidance_services_researcher ON guidance_services (researcher_id, kind);
CREATE INDEX studio_members_account ON studio_members (account_id);
