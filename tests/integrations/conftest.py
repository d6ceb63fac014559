from tests.fakes.fixtures import _fake_llm_server, fake_llm
from tests.fakes.trap import module_trap, trap

__all__ = ["_fake_llm_server", "fake_llm", "module_trap", "trap"]
