"""The box's hardware edge: the player, the screen, the remotes, the fonts.

Owns: what the shell needs of a player and a screen (interfaces.py, as
Protocols, so tests and other boxes can give their own), libVLC
(player.py), pygame-ce (renderer.py), IR/HDMI-CEC keys through evdev
(key_input.py), the HTTP remote on 127.0.0.1 (http_remote.py), Noto CJK
(fonts.py).
May import: stb_client.ui and the standard library, plus python-vlc, pygame-ce and evdev.
"""
