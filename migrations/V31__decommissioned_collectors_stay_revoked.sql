-- A decommissioned collector is revoked for good: its id must never work again. Earlier releases
-- let an enrolment token lift the revocation of a decommissioned collector, which brought it back
-- with working tokens while it stayed out of the fleet view. Repair such rows (their history and
-- audit stay as they are), revoke their refresh tokens, and hold the table to the rule, so that an
-- instance of the previous release still running during a rolling upgrade cannot break it either:
-- its re-bind of a decommissioned collector now fails as a whole and changes nothing.
UPDATE collectors SET revoked_at = decommissioned_at
WHERE decommissioned_at IS NOT NULL AND revoked_at IS NULL;

UPDATE refresh_tokens SET revoked_at = now()
WHERE subject_kind = 'collector' AND revoked_at IS NULL
  AND subject IN (SELECT id FROM collectors WHERE decommissioned_at IS NOT NULL);

ALTER TABLE collectors ADD CONSTRAINT collectors_decommissioned_stay_revoked
    CHECK (decommissioned_at IS NULL OR revoked_at IS NOT NULL);
