"""Study records (学习档案): members and households, what boxes report they played, and study hours.

Owns: party members and the roster files branches keep (members.py, roster.py), households
(a box and its members: households.py), the watch intervals boxes report (watch_log.py), the
credit rules that turn them into study time (credit.py, pure) and what is read back from them
(study.py: a member's year, a branch's month, last and unfinished lessons).
May import: server.core, server.accounts, server.catalogue and server.broadcast. Never the web layer.
"""
