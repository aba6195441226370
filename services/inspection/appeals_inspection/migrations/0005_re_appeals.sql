-- Re-appeals: an appeal of the same citizen on the same matter within the period, linked to
-- the earlier one (intake recognised the citizen by keyed hashes; nothing personal is here).
CREATE TABLE re_appeals (
    appeal_id          uuid PRIMARY KEY,
    earlier_appeal_id  uuid NOT NULL,
    matched_by         text NOT NULL,
    linked_at          timestamptz NOT NULL
);
CREATE INDEX re_appeals_earlier ON re_appeals (earlier_appeal_id);
CREATE INDEX re_appeals_linked ON re_appeals (linked_at);
