"""The box's link to the server: the set-top API client, the sync thread, the offline cache.

Owns: HTTP requests with their own ETag cache (server_api.py), effects turned
into requests and answers into events off the main thread (sync.py), the last
answers and unsent reports kept in SQLite (cache.py).
May import: stb_client.ui (for its events and effects) and the standard library.
"""
