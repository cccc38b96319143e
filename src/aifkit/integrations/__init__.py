"""Framework integrations: thin modules over aifkit's public API.

Each module is imported on its own and only then imports its framework, so
``import aifkit.integrations`` costs nothing and a missing framework fails with
one line naming the extra to install:

- `aifkit.integrations.langchain`: LangChain message lists in `pack`, `compress`
  and `convert`, and `AifkitMiddleware`, a LangChain agent middleware that fits
  each model request within a budget (``pip install "aifkit[langchain]"``).
- `aifkit.integrations.pydantic_ai`: `history_processor`, a pydantic-ai history
  processor that packs or compresses the message history
  (``pip install "aifkit[pydantic-ai]"``).
- `aifkit.integrations.openai_agents`: `AifkitSession`, an OpenAI Agents SDK
  session on aifkit's SQLite memory that returns packed history
  (``pip install "aifkit[openai-agents]"``).
- `aifkit.integrations.litellm`: `AifkitCallback`, a LiteLLM callback that packs
  or compresses requests and records their usage in a `Ledger`
  (``pip install "aifkit[litellm]"``).
"""

__all__: list[str] = []
