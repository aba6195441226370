-- Where each appeal's (or answer's) trace goes on: the W3C traceparent of the span that began
-- it, so work caused later from outside (a portal's action, an inspector's verdict) joins the
-- same trace (UnitOfWork.keep_traces / kept_trace, telemetry.within_appeal_trace). The first
-- one kept for a subject stays.
CREATE TABLE traces (
    subject     text PRIMARY KEY,
    traceparent text NOT NULL,
    kept_at     timestamptz NOT NULL DEFAULT now()
);
