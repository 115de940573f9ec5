"""The box's pure core: keys, state, the navigation reducer and the render model.

Owns: the remote's keys (keys.py), frozen state, events and effects
(model.py), reduce(state, event, now) -> (state, effects) (navigation.py
with playback_nav.py, guide_nav.py, stack.py), layout and the guide grid's
geometry (layout.py, guide_grid.py), and state -> Frame (render_model.py).
May import: the standard library's pure parts and keting_i18n. No I/O: no
network, files, threads, clock, libVLC or pygame (a test keeps it so).
"""
