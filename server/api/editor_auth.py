"""Authentication of editors and administrators on the API (API tokens; sessions come with the console)."""

from __future__ import annotations

from functools import wraps

from flask import g

from ..context import get_db
from ..errors import UserError
from ..users import User, user_for_token
from .auth import bearer_token


def require_editor(view):
    """Only an enabled editor or administrator gets through; the account is in g.user."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        token = bearer_token()
        if not token:
            raise UserError("editor.token_missing", status=401)
        user = user_for_token(get_db(), token)
        if user is None:
            raise UserError("editor.token_invalid", status=401)
        g.user = user
        return view(*args, **kwargs)
    return wrapper


def current_user() -> User:
    return g.user


def require_admin(view):
    """Only an enabled administrator gets through (editors get 403 with a clear message)."""
    @require_editor
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.user.role != "admin":
            raise UserError("editor.admin_only", status=403, error_code="forbidden")
        return view(*args, **kwargs)
    return wrapper
