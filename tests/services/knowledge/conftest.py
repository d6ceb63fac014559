from tests.fakes.fixtures import _fake_llm_server, fake_llm

__all__ = ["_fake_llm_server", "fake_llm"]
