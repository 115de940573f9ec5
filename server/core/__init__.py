"""The core every room stands on: settings, the database and its migrations, times, errors, channels.yaml.

Owns: how the server is configured (settings.py), opening SQLite and the schema
(db.py, migrations.py), stored times and the clock (timestamps.py), errors a
person can act on (errors.py), the line-up read from channels.yaml
(channels_yaml.py), children that die with the server (child_process.py), and
what a background job needs of a running site (site.py).
May import: the standard library, sqlite-utils, PyYAML and keting_i18n; nothing
else of server/ (every room may import the core, the core imports no room).
"""
