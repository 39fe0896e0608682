-- Usernames never hold a phone number: a parent's username was `p` and
-- the phone, so lists showed a masked phone beside the full one. Parents
-- sign in with their phone; the username becomes `parent-` and the id.
UPDATE accounts SET username = 'parent-' || CAST(id AS TEXT)
WHERE phone IS NOT NULL AND username = 'p' || phone;
