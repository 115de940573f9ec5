"""Whether a box can afford the spare player, read from /proc/meminfo's format."""

from __future__ import annotations

import pytest

from stb_client.hardware.standby import affordable


@pytest.mark.parametrize(("total_kb", "available_kb", "expected"), [
    (2_048_000, 1_200_000, True),  # a 2 GB box with room
    (921_600, 393_216, True),  # exactly the floors: 900 MiB in all (a 1 GiB box), 384 MiB free
    (921_599, 900_000, False),  # under them in all (a box sold with 1 GiB reports about 900-980 MiB)
    (4_096_000, 300_000, False),  # plenty in all, too little free now
])
def test_the_spare_player_needs_memory_in_all_and_free_now(tmp_path, total_kb, available_kb, expected):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text(f"MemTotal:       {total_kb} kB\nMemFree:        1000 kB\nMemAvailable:   {available_kb} kB\n")
    assert affordable(meminfo) is expected


def test_an_unreadable_or_strange_meminfo_keeps_one_player(tmp_path):
    assert affordable(tmp_path / "missing") is False
    strange = tmp_path / "meminfo"
    strange.write_text("MemTotal: lots\n")
    assert affordable(strange) is False
