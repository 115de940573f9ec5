"""How a channel gets on the air: the schedule, the timeline, live playlists, live meetings, the guide.

Owns: schedule entries and recurring rules (schedule.py, recurrence.py), the
pure planner and its table (playout.py, playout_store.py, segments.py), the
live window as HLS text (live_playlist.py), live meetings relayed by ffmpeg
(live_feed.py, live_relay.py), slates and logos (channel_art.py), the guide
(guide.py), notices (notices.py), the station that keeps it all built and
written (station.py) and its background runner (runner.py).
May import: server.core, server.accounts, server.catalogue, server.ingest. Never the web layer.
"""
