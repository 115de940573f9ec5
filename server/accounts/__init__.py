"""Who is who: the organisation tree, editor and administrator accounts, login limits, set-top boxes.

Owns: organisations (街道 -> 社区/村 -> 党支部), users and their API tokens,
failed-login lock-outs, device registration, pairing and tokens.
May import: server.core. Never the web layer, nor the other rooms.
"""
