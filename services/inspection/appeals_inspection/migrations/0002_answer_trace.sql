-- The trace each answer arrived in (the appeal's), so an inspector's verdict continues it.
ALTER TABLE answers ADD COLUMN traceparent text;
