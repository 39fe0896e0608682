-- The foundation: the org tree, accounts and grants, students and guardians,
-- sessions, integration tokens and the audit log.
--
-- One source for both backends. The store renders three tokens before it runs
-- the file: @PK@ (an integer key the database assigns), @TEXT_C@ (text that
-- sorts byte by byte, for path range scans) and @BLOB@. Only INTEGER-like,
-- TEXT, DOUBLE PRECISION and BLOB types are used: flags are 0/1 integers and
-- times are Unix seconds (see docs/adr/0002-store.md).

CREATE TABLE units (
    id @PK@,
    parent_id BIGINT REFERENCES units(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    external_id TEXT UNIQUE,
    path @TEXT_C@ NOT NULL DEFAULT '',
    depth BIGINT NOT NULL,
    stages TEXT NOT NULL DEFAULT '',
    grade TEXT NOT NULL DEFAULT '',
    school_year BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    n_schools BIGINT NOT NULL DEFAULT 0,
    n_classes BIGINT NOT NULL DEFAULT 0,
    n_students BIGINT NOT NULL DEFAULT 0,
    n_guardians BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX units_parent ON units (parent_id, active, name);
CREATE INDEX units_path ON units (path);

CREATE TABLE accounts (
    id @PK@,
    username TEXT NOT NULL UNIQUE,
    phone TEXT UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    external_id TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    last_login_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE grants (
    id @PK@,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    role TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    UNIQUE (account_id, role, unit_id)
);
CREATE INDEX grants_unit ON grants (unit_id, role);

CREATE TABLE students (
    id @PK@,
    class_id BIGINT NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    gender TEXT NOT NULL DEFAULT '',
    external_id TEXT UNIQUE,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX students_class ON students (class_id, name);

CREATE TABLE guardians (
    student_id BIGINT NOT NULL REFERENCES students(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    relation TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    decided_at BIGINT NOT NULL DEFAULT 0,
    decided_by BIGINT,
    PRIMARY KEY (student_id, account_id)
);
CREATE INDEX guardians_account ON guardians (account_id);

CREATE TABLE invites (
    code TEXT PRIMARY KEY,
    class_id BIGINT NOT NULL REFERENCES units(id),
    created_by BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX invites_class ON invites (class_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    idle_secs BIGINT NOT NULL,
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE integration_tokens (
    id @PK@,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    unit_id BIGINT NOT NULL REFERENCES units(id),
    created_by BIGINT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0
);

-- The audit log is append-only; each entry carries the hash of the one
-- before it. The single head row serialises appends on both backends.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, '');

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    unit_id BIGINT,
    result TEXT NOT NULL,
    ip TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
