"""What the boards hold: video and article items, who may see them, the editors' library, resume points.

Owns: creating and changing items (items.py), Markdown articles (articles.py),
the visibility rule and board pages a box sees (visibility.py), the editors'
view of their boards (library.py), resume points (positions.py).
May import: server.core and server.accounts. Never ingest, broadcast or the web layer.
"""
