"""The site's study settings as the credit rules and the timings the boxes are given."""

from __future__ import annotations

from collections.abc import Mapping

from server.records.credit import Rules, describe


def rules_from(config: Mapping) -> Rules:
    """The credit rules as this site configures them (KETING_STUDY_*)."""
    return Rules(min_sitting_s=float(config["STUDY_MIN_SITTING_SECONDS"]),
                 sitting_gap_s=float(config["STUDY_SITTING_GAP_SECONDS"]),
                 daily_cap_s=float(config["STUDY_DAILY_CAP_MINUTES"]) * 60,
                 lesson_s=float(config["STUDY_LESSON_MINUTES"]) * 60,
                 annual_target_lessons=float(config["STUDY_ANNUAL_TARGET"]))


def box_timings(config: Mapping) -> dict:
    """What a box needs to know to ask "谁在看？" and "还在看吗？" as the site configures it."""
    return {"still_watching_s": int(config["STILL_WATCHING_SECONDS"]),
            "still_watching_answer_s": int(config["STILL_WATCHING_ANSWER_SECONDS"]),
            "viewers_idle_s": int(float(config["VIEWERS_IDLE_HOURS"]) * 3600)}


def checkin_watched_share(config: Mapping) -> float:
    """CHECKIN_WATCHED_PERCENT as a share, kept within 1-100 %: who watched this much without checking in is
    listed as "watched, not checked in"."""
    return min(100, max(1, int(config["CHECKIN_WATCHED_PERCENT"]))) / 100


def rules_in_words(config: Mapping) -> list[tuple[str, dict]]:
    """Every study rule as configured, as message ids with their parameters (the console and the API show them)."""
    words = []
    for message_id, params in describe(rules_from(config)):
        if message_id == "study.rule.still_watching":
            seconds = int(config["STILL_WATCHING_SECONDS"])
            if seconds <= 0:
                continue  # the prompt is off: say nothing about it
            params = {**params, "minutes": round(seconds / 60, 1) if seconds % 60 else seconds // 60}
        words.append((message_id, params))
    return [*words, ("study.rule.live", {})]
