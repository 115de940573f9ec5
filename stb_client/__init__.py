"""Keting set-top box client (`keting-stb`): a pure navigation core, the server link, the hardware edge.

Rooms: ui/ (pure), link/ (the server), hardware/ (player, screen, remotes);
app.py is the shell that joins them in one loop, main.py the command line.
It imports nothing of server/, so a box installs without Flask.
"""
