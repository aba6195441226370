-- The appeal's trace (the traceparent of its registration), so the events a portal's action
-- causes continue the appeal's trace instead of starting the portal's own.
ALTER TABLE appeals ADD COLUMN traceparent text;
