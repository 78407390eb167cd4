-- The reconcile loop reads each host's instances every second, and an image's users are counted at every launch:
-- without these, both read the whole table (100,000 rows at 10,000 simulated hosts).
CREATE INDEX instances_host ON instances (host);
CREATE INDEX instances_image ON instances (image_fingerprint);
