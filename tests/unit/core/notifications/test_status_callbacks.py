"""The URL a channel called, as :func:`called_urls` rebuilds it for a signature check."""

from __future__ import annotations

from fithub.core.notifications.status_callbacks import called_urls

PATH = "/api/v1/notifications/channels/sms/status"


def urls(remote: str, headers: dict[str, str], public: str = "http://localhost:8000") -> list[str]:
    return called_urls(f"http://10.0.0.5:8000{PATH}?x=1", remote_addr=remote, headers=headers,
                       trusted_proxies=["10.0.0.1"], public_url=public)  # fmt: skip


def test_a_trusted_proxy_names_the_scheme_and_host_it_was_called_on() -> None:
    proxied = {"x-forwarded-proto": "https", "x-forwarded-host": "spoofed.example, fithub.example"}
    assert urls("10.0.0.1", proxied)[0] == f"https://fithub.example{PATH}?x=1"


def test_forwarded_headers_from_anyone_else_are_ignored() -> None:
    proxied = {"x-forwarded-proto": "https", "x-forwarded-host": "evil.example"}
    assert urls("203.0.113.9", proxied)[0] == f"http://10.0.0.5:8000{PATH}?x=1"


def test_an_unknown_scheme_keeps_the_request_s_own() -> None:
    assert urls("10.0.0.1", {"x-forwarded-proto": "gopher"})[0].startswith("http://10.0.0.5")


def test_the_public_url_is_offered_too_with_its_path_prefix() -> None:
    found = urls("203.0.113.9", {}, public="https://example.org/fithub/")
    assert found == [f"http://10.0.0.5:8000{PATH}?x=1", f"https://example.org/fithub{PATH}?x=1"]
    assert urls("203.0.113.9", {}, public="http://10.0.0.5:8000") == [
        f"http://10.0.0.5:8000{PATH}?x=1"
    ]
