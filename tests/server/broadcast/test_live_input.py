"""Live-meeting inputs: only network schemes with a host, only public hosts unless listed, ffmpeg told so."""

from __future__ import annotations

import subprocess

import pytest

from server.broadcast.live_input import check_live_url, input_options, resolve
from server.core.errors import UserError

PUBLIC = {"live.example.org": ["203.0.114.5"], "cdn.example.org": ["8.8.4.4", "2001:4860:4860::8844"]}
INSIDE = {"metadata.example": ["169.254.169.254"], "rebind.example": ["8.8.8.8", "127.0.0.1"],
          "lan.example": ["192.168.1.20"], "mapped.example": ["::ffff:10.0.0.7"], "cgnat.example": ["100.64.0.9"]}


def resolver(host: str) -> list[str]:
    """Names as a DNS server would answer them; an address resolves to itself."""
    answers = {**PUBLIC, **INSIDE}
    if host in answers:
        return answers[host]
    if host.replace(".", "").isdigit() or ":" in host:
        return resolve(host)  # numbers need no DNS: the system reads 2130706433 as 127.0.0.1
    raise OSError(f"{host}: Name or service not known")


@pytest.mark.parametrize("url", [
    "rtmp://live.example.org/live/meeting?key=abc", "rtmps://live.example.org:443/app/key",
    "rtsp://cdn.example.org:554/stream", "srt://cdn.example.org:9000?streamid=meeting",
    "https://cdn.example.org/live/index.m3u8", "http://8.8.8.8/live.ts",
])
def test_network_inputs_on_public_hosts_are_accepted(url):
    assert check_live_url(f"  {url} ", resolver=resolver) == url


@pytest.mark.parametrize("url", [
    "/etc/passwd", "file:/work/instance/secret_key", "file:concat:/etc/passwd|/etc/hosts",
    "file:gopher://127.0.0.1:6379/_INFO", "concat:/etc/passwd", "gopher://live.example.org/", "udp://239.0.0.1:1234",
    "ftp://live.example.org/a.ts", "data:text/plain,hi", "http:///no-host", "rtmp://", "http://live.example.org:99999/",
    "http://live.example.org/a b", "http://live.example.org/\nfile:/etc/passwd", "",
])
def test_files_nested_protocols_and_odd_schemes_are_refused(url):
    with pytest.raises(UserError) as refused:
        check_live_url(url, resolver=resolver)
    assert refused.value.code == "bad_live_url" and refused.value.status == 400


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/media/", "rtmp://localhost/live", "http://[::1]/", "http://0.0.0.0/",
    "http://metadata.example/latest/meta-data/", "http://169.254.169.254/", "rtsp://10.1.2.3/cam",
    "srt://lan.example:9000", "http://rebind.example/", "http://mapped.example/", "http://cgnat.example/",
    "http://2130706433/",
])
def test_this_machine_and_the_lan_are_refused_by_default(url):
    def localhost_too(host: str) -> list[str]:
        return ["127.0.0.1"] if host == "localhost" else resolver(host)
    with pytest.raises(UserError) as refused:
        check_live_url(url, resolver=localhost_too)
    assert refused.value.code == "live_host_private"
    assert "KETING_LIVE_INPUT_HOSTS" in refused.value.message()


def test_an_unknown_host_says_so():
    with pytest.raises(UserError) as refused:
        check_live_url("rtmp://no-such-encoder.example/live", resolver=resolver)
    assert refused.value.code == "live_host_unknown"


def test_a_site_lists_its_own_encoders_by_name_address_or_network():
    assert check_live_url("srt://lan.example:9000", ["lan.example"], resolver)
    assert check_live_url("rtsp://10.1.2.3/cam", ["10.1.0.0/16"], resolver)
    assert check_live_url("http://127.0.0.1:8554/cam.ts", ["127.0.0.1"], resolver)
    with pytest.raises(UserError):  # listing one network does not open another
        check_live_url("rtsp://10.9.9.9/cam", ["10.1.0.0/16"], resolver)


@pytest.mark.parametrize(("url", "protocols"), [
    ("rtmp://live.example.org/live", "rtmp,tcp"), ("srt://cdn.example.org:9000", "srt"),
    ("https://cdn.example.org/live.m3u8", "https,http,tls,tcp,crypto"),
])
def test_ffmpeg_gets_only_the_schemes_protocols(url, protocols):
    assert input_options(url)["protocol_whitelist"] == protocols


def test_ffmpeg_refuses_a_file_under_the_whitelist_a_scheme_gets(tmp_path):
    """The whitelist is what stops a nested file: protocol even if a URL got past the parser."""
    secret = tmp_path / "secret_key"
    secret.write_text("do-not-leak")
    result = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-protocol_whitelist",
                             input_options("http://8.8.8.8/a.ts")["protocol_whitelist"], "-i", f"file:{secret}",
                             "-f", "null", "-"], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0 and "not on whitelist" in result.stderr and "do-not-leak" not in result.stderr


@pytest.mark.parametrize("address", ["64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1", "2002:a9fe:a9fe::", "::127.0.0.1",
                                     "::a9fe:a9fe", "fec0::1", "::ffff:0:7f00:1",
                                     "2001:0:4136:e378:8000:63bf:3fff:fdd2"])
def test_addresses_that_carry_an_inside_one_are_refused(address):
    """The review found these passed as public: NAT64, 6to4, IPv4-compatible, site-local, Teredo."""
    with pytest.raises(UserError) as refused:
        check_live_url(f"http://[{address}]/cam.ts", resolver=lambda host: [address])
    assert refused.value.code == "live_host_private"


def test_a_public_ipv6_address_is_still_accepted():
    assert check_live_url("http://[2001:4860:4860::8888]/cam.ts", resolver=lambda host: ["2001:4860:4860::8888"])
