-- Who decided what about which appeal, written in the transaction of the decision's effect.
-- Actors are staff ids or executor codes (token subjects), never names; details hold codes only.
CREATE TABLE audit_trail (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    role       text NOT NULL,
    action     text NOT NULL,
    appeal_id  uuid,
    outcome    text NOT NULL,
    details    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_trail_by_appeal ON audit_trail (appeal_id, at, id);
