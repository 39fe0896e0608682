-- A guardian's consent to the children's privacy notice, given when they
-- ask to be bound to a child: who, for which child, which version of the
-- notice, when, and from where (PIPL art. 31; 儿童个人信息网络保护规定 art. 9).
CREATE TABLE guardian_consents (
    id @PK@,
    student_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    notice_version TEXT NOT NULL,
    consented_at BIGINT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX guardian_consents_student ON guardian_consents (student_id, account_id);
