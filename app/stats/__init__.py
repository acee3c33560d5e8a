"""Per-contact on-call statistics of a schedule (``Schedule.stats``)."""
