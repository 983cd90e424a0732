-- One booking per organizer and start time: two visitors racing for the same slot on the booking
-- page cannot both win, on any backend. Meetings logged through the API (booked_email NULL) may
-- overlap, as calendars do.
CREATE UNIQUE INDEX meetings_booked_slot ON meetings(organizer_id, starts_at) WHERE booked_email IS NOT NULL;
