"""Calendars both ways: busy time imported from ICS and CalDAV calendars, and secret
iCalendar feeds of confirmed shifts."""
