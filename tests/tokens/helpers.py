"""Shared helpers for the token tests: documents and a tokenizer that counts its calls."""

from __future__ import annotations

from collections import Counter

from aifkit.aif import Document, Instruction, Message, TextPart, Tool
from aifkit.tokens import Tokenizer, get_tokenizer


def text(value: str) -> tuple[TextPart]:
    return (TextPart(text=value),)


class CountingTokenizer:
    """Wraps a real tokenizer and counts how often it is asked to tokenize (each text too)."""

    def __init__(self, inner: Tokenizer, name: str = "counting") -> None:
        self.inner = inner
        self.name = name
        self.calls = 0
        self.texts: Counter[str] = Counter()

    def encode(self, text: str) -> list[int]:
        self.calls += 1
        self.texts[text] += 1
        return self.inner.encode(text)

    def count(self, text: str) -> int:
        self.calls += 1
        self.texts[text] += 1
        return self.inner.count(text)


def counting(name: str = "o200k_base") -> CountingTokenizer:
    return CountingTokenizer(get_tokenizer(name), name=f"counting-{name}")


# The example conversation of OpenAI's cookbook "How to count tokens with tiktoken",
# section 6 (https://github.com/openai/openai-cookbook/blob/main/examples/How_to_count_tokens_with_tiktoken.ipynb).
# Its leading system messages are what AIF calls instructions.
COOKBOOK_CHAT = Document(
    instructions=(
        Instruction(
            role="system",
            parts=text(
                "You are a helpful, pattern-following assistant that translates corporate"
                " jargon into plain English."
            ),
        ),
        Instruction(
            role="system",
            name="example_user",
            parts=text("New synergies will help drive top-line growth."),
        ),
        Instruction(
            role="system",
            name="example_assistant",
            parts=text("Things working well together will increase revenue."),
        ),
        Instruction(
            role="system",
            name="example_user",
            parts=text(
                "Let's circle back when we have more bandwidth to touch base on opportunities"
                " for increased leverage."
            ),
        ),
        Instruction(
            role="system",
            name="example_assistant",
            parts=text("Let's talk later when we're less busy about how to do better."),
        ),
    ),
    messages=(
        Message(
            role="user",
            parts=text(
                "This late pivot means we don't have time to boil the ocean for the client"
                " deliverable."
            ),
        ),
    ),
)

# The same notebook, section 7: one function tool and a two-message conversation.
WEATHER_TOOL = Tool(
    name="get_current_weather",
    description="Get the current weather in a given location",
    parameters={
        "type": "object",
        "properties": {
            "location": {
                "type": "string",
                "description": "The city and state, e.g. San Francisco, CA",
            },
            "unit": {
                "type": "string",
                "description": "The unit of temperature to return",
                "enum": ["celsius", "fahrenheit"],
            },
        },
        "required": ["location"],
    },
)
COOKBOOK_TOOLS = Document(
    instructions=(
        Instruction(
            role="system",
            parts=text(
                "You are a helpful assistant that can answer to questions about the weather."
            ),
        ),
    ),
    messages=(Message(role="user", parts=text("What's the weather like in San Francisco?")),),
    tools=(WEATHER_TOOL,),
)


def conversation(n: int) -> Document:
    """A conversation of ``n`` alternating user/assistant messages, each distinct."""
    return Document(
        messages=tuple(
            Message(
                role="user" if i % 2 == 0 else "assistant",
                parts=text(f"Message number {i}: the quick brown fox jumps over the lazy dog."),
            )
            for i in range(n)
        )
    )
