"""Links that stay inside the web UI (no open redirect)."""

from __future__ import annotations

import pytest

from crm_kit.links import is_ui_path


@pytest.mark.parametrize("link", ["/tasks/t1", "/messages?unread=1", "/partners/p1#contacts", "/a//b", "/x:y"])
def test_a_path_of_the_web_ui_is_a_link(link: str) -> None:
    assert is_ui_path(link)


@pytest.mark.parametrize(
    "link",
    [
        "//evil.example/x",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/tasks\\..\\x",
        "/a\u2028b",
        "https://evil.example/",
        "javascript:alert(1)",
        "tasks/t1",
        "/",
        "",
    ],
)
def test_another_site_or_a_scheme_is_not_a_link(link: str) -> None:
    assert not is_ui_path(link)
