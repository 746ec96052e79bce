-- A user may hold only so many open sessions (sessions_per_user): a login past the limit ends the
-- user's oldest. The login counts the user's open sessions in its transaction, under the user's
-- sessions lock, by the one token of each that is neither spent nor revoked. This index finds those
-- tokens without reading the spent ones a session keeps for days (up to 43,200 a day each).
-- Building the index holds refresh_tokens against writes (logins and refreshes wait, a few seconds
-- for a million tokens): behind another instance's long transaction the migration gives up after a
-- few seconds (the start fails and is tried again) rather than queue every login and refresh behind it.
SET LOCAL lock_timeout = '5s';
CREATE INDEX refresh_tokens_open_by_subject ON refresh_tokens (subject_kind, subject, expires_at)
    WHERE used_at IS NULL AND revoked_at IS NULL;
