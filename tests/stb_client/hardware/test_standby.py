"""Whether a box can afford the spare player: memory read from /proc/meminfo's format, a GPU from /dev."""

from __future__ import annotations

import pytest

from stb_client.hardware.standby import affordable, has_gpu


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


@pytest.mark.parametrize(("nodes", "expected"), [
    (["dri/card0", "dri/renderD128"], True),  # Mesa on a GPU (Panfrost, Lima, V3D, Intel...)
    (["mali0"], True),  # Arm's own Mali driver
    (["galcore"], True),  # Vivante's
    (["dri/card0"], False),  # a display controller alone (simpledrm): Mesa would draw in software
    ([], False),  # Xvfb, a virtual machine
])
def test_the_spare_player_on_a_display_needs_a_gpu(tmp_path, nodes, expected):
    for node in nodes:
        (tmp_path / node).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / node).touch()
    assert has_gpu(tmp_path) is expected
