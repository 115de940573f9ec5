"""How a file becomes HLS: uploads, ffprobe checks, transcode jobs and the one-pass ladder.

Owns: tus uploads and imports (uploads.py), refusing bad files (probe.py), the
job table and its runner (transcode_jobs.py, job_runner.py), the ffmpeg ladder
every item and channel shares (hls_ladder.py, audio_prep.py, transcoder.py),
cards for audio-only lectures (cards.py), subtitles and pictures (subtitles.py,
pictures.py).
May import: server.core, server.accounts, server.catalogue. Never broadcast or the web layer.
"""
