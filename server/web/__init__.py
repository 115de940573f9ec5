"""Everything that speaks HTTP: the set-top and editor API, the console, public playlists, media in development.

Owns: the JSON API under /api/v1 (api/), the console's pages (console/),
/live, /channels.m3u and /epg.xml (guide_routes.py), the front page
(pages.py), /media/ for development (media_files.py), request parsing
(params.py), absolute URLs (urls.py), the per-request database and clock
(context.py), browser security (security.py) and `keting serve` (http_server.py).
May import: every domain room and the core. No domain room imports it.
"""
