"""Keting set-top box client. Depends only on the standard library and python-vlc."""
