import pytest

from nyx_app.integrations.user_agents import UNKNOWN, device_label


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox 128 on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Mobile/15E148 Safari/604.1",
            "Mobile Safari 17 on iPhone",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
            "Chrome 140 on Linux",
        ),
        ("", UNKNOWN),
        ("curl/8.5.0", "curl 8"),
        ("something nobody knows", UNKNOWN),
    ],
)
def test_a_user_agent_reads_as_browser_and_device(agent: str, label: str) -> None:
    assert device_label(agent) == label
