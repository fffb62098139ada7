-- The sound of a session alone, as a download (remuxed from the top variant).
ALTER TABLE media_versions ADD COLUMN audio_file TEXT;
