"""Editor pages: the library, uploading, editing an item, writing an article."""

from __future__ import annotations

from flask import current_app, g, request

from server.accounts.organisations import list_organisations
from server.catalogue import library
from server.ingest import readings
from server.records import quiz_import, quizzes
from server.web.console import bp
from server.web.console.access import login_required
from server.web.console.views import page
from server.web.context import current_lineup, get_db


@bp.get("/library", endpoint="library")
@login_required
def library_page():
    """The library: items of the user's boards, filtered by ?board, ?state, ?kind and ?q."""
    filters = {name: request.args.get(name, "") for name in ("board", "state", "kind", "q")}
    found = library.list_items(get_db(), current_lineup(), g.user, board_id=filters["board"],
                               state=filters["state"], kind=filters["kind"], query=filters["q"])
    reading_states = readings.states(get_db(), found, current_app.config["READ_ALOUD"])
    return page("console/library.html", items=found, filters=filters, readings=reading_states,
                boards=library.editable_boards(current_lineup(), g.user), limit=library.MAX_ROWS)


@bp.get("/upload")
@login_required
def upload():
    """The upload page, with the user's boards that take videos."""
    boards = [b for b in library.editable_boards(current_lineup(), g.user) if b.has_video]
    return page("console/upload.html", boards=boards)


@bp.get("/items/<int:item_id>")
@login_required
def item(item_id: int):
    """One item's edit page (the article editor for an article), with the boards it may move to; a video's page
    also edits its quiz (随堂测验)."""
    found = library.get_item(get_db(), g.user, item_id)
    boards = [b for b in library.editable_boards(current_lineup(), g.user)
              if b.kind == "mixed" or b.kind == found.kind]
    template = "console/article.html" if found.kind == "article" else "console/item.html"
    quiz = quizzes.questions(get_db(), item_id) if found.kind == "video" else ()
    reading = readings.states(get_db(), [found], current_app.config["READ_ALOUD"]).get(item_id)
    made = readings.current(get_db(), item_id, found.body_text) if reading in ("ready", "recorded") else None
    return page(template, item=found, boards=boards, organisations=list_organisations(get_db()), quiz=quiz,
                reading=reading, reading_path=made.path if made else None,
                reading_error=readings.failure(get_db(), item_id) if reading == "failed" else None,
                quiz_letters=quizzes.LETTERS, quiz_max=quizzes.MAX_QUESTIONS, quiz_text_column=quizzes.TEXT_COLUMN,
                quiz_option_columns=quizzes.OPTION_COLUMNS,
                quiz_max_bytes=quiz_import.MAX_QUIZ_BYTES)


@bp.get("/articles/new")
@login_required
def new_article():
    """The article editor for a new article, with the user's boards that take articles."""
    boards = [b for b in library.editable_boards(current_lineup(), g.user) if b.kind in ("article", "mixed")]
    return page("console/article.html", item=None, boards=boards, organisations=list_organisations(get_db()))
