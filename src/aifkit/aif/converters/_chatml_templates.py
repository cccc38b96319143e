"""The built-in chat templates of the ``chatml`` format, written from each model
family's documented prompt format, in Hugging Face chat-template Jinja.

Each template reads what ``apply_chat_template`` passes: ``messages`` (``role``
system/user/assistant/tool, ``content`` a string, an assistant's ``tool_calls``
as ``{"type": "function", "function": {"name", "arguments"}}``), ``tools`` (in the
same shape), ``add_generation_prompt``, ``bos_token`` and ``eos_token``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["BUILTIN", "Template"]


@dataclass(frozen=True, slots=True)
class Template:
    """A chat template and what the encoder needs to know about it.

    Attributes:
        name: Its name (``"chatml"``, ``"llama-3"``, ...; ``"custom"`` for user templates).
        source: The Jinja source.
        bos_token: The beginning-of-sequence text passed as ``bos_token``.
        eos_token: The end-of-sequence text passed as ``eos_token``.
        system: Whether it has a system role (else system text opens the first user turn).
        tool_role: Whether it has a role for tool results (else they are user turns).
        alternate: Whether user and assistant turns must alternate (runs are merged).
        builtin: Whether aifkit wrote it (its rendering of tool-call ids is known).
    """

    name: str
    source: str
    bos_token: str = ""
    eos_token: str = ""
    system: bool = True
    tool_role: bool = True
    alternate: bool = False
    builtin: bool = False


_CALL = "'{\"name\": ' + (tc.function.name | tojson) + ', \"arguments\": ' + (tc.function.arguments | tojson) + '}'"

# ChatML, as Qwen2.5 and Hermes models use it, tools in the system turn.
_CHATML = (
    """{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- if messages and messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}
{{- '# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n' }}
{{- 'You are provided with function signatures within <tools></tools> XML tags:\\n<tools>' }}
{%- for tool in tools %}{{- '\\n' + (tool | tojson) }}{%- endfor %}
{{- '\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments '
    'within <tool_call></tool_call> XML tags:\\n<tool_call>\\n'
    '{\"name\": <function-name>, \"arguments\": <args-json-object>}\\n</tool_call><|im_end|>\\n' }}
{%- elif messages and messages[0].role == 'system' %}
{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'system' and loop.first %}
{%- elif message.role == 'assistant' %}
{{- '<|im_start|>assistant' }}
{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}
{%- for tc in message.tool_calls or [] %}
{{- '\\n<tool_call>\\n' + """
    + _CALL
    + """ + '\\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- elif message.role == 'tool' %}
{{- '<|im_start|>user\\n<tool_response>\\n' + message.content + '\\n</tool_response><|im_end|>\\n' }}
{%- else %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"""
)

# Llama 3 / 3.1: header ids, <|eot_id|>, tool results in the ipython role.
_LLAMA3 = """{{- bos_token }}
{%- if tools %}
{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}
{%- if messages and messages[0].role == 'system' %}{{- (messages[0].content | trim) + '\\n\\n' }}{%- endif %}
{{- 'You have access to the following functions. To call a function, respond with JSON '
    'in the form {\"name\": function name, \"parameters\": dictionary of argument name and its value}.\\n\\n' }}
{%- for tool in tools %}{{- (tool | tojson(indent=4)) + '\\n\\n' }}{%- endfor %}
{{- '<|eot_id|>' }}
{%- endif %}
{%- for message in messages %}
{%- if not (tools and message.role == 'system' and loop.first) %}
{%- set role = 'ipython' if message.role == 'tool' else message.role %}
{{- '<|start_header_id|>' + role + '<|end_header_id|>\\n\\n' + (message.content | trim) }}
{%- for tc in message.tool_calls or [] %}
{{- ('\\n' if message.content or not loop.first else '') + '{\"name\": ' + (tc.function.name | tojson)
    + ', \"parameters\": ' + (tc.function.arguments | tojson) + '}' }}
{%- endfor %}
{{- '<|eot_id|>' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"""

# Mistral instruct (v3 tokenizer): [INST] turns, system text in the first one,
# [AVAILABLE_TOOLS], [TOOL_CALLS] and [TOOL_RESULTS].
_MISTRAL = (
    """{%- if messages and messages[0].role == 'system' %}
{%- set system_message = messages[0].content %}{%- set loop_messages = messages[1:] %}
{%- else %}{%- set system_message = '' %}{%- set loop_messages = messages %}{%- endif %}
{{- bos_token }}
{%- if tools %}{{- '[AVAILABLE_TOOLS] ' + (tools | tojson) + '[/AVAILABLE_TOOLS]' }}{%- endif %}
{%- for message in loop_messages %}
{%- if message.role == 'assistant' %}
{%- if message.content %}{{- ' ' + message.content }}{%- endif %}
{%- if message.tool_calls %}
{{- '[TOOL_CALLS] [' }}
{%- for tc in message.tool_calls %}{{- (', ' if not loop.first else '') + """
    + _CALL
    + """ }}{%- endfor %}
{{- ']' }}
{%- endif %}
{{- eos_token }}
{%- elif message.role == 'tool' %}
{{- '[TOOL_RESULTS] {\"content\": ' + (message.content | tojson) + '}[/TOOL_RESULTS]' }}
{%- else %}
{{- '[INST] ' + (system_message + '\\n\\n' if loop.first and system_message else '') + message.content + '[/INST]' }}
{%- endif %}
{%- endfor %}"""
)

# Gemma: <start_of_turn>user / model, no system role (it opens the first user turn).
_GEMMA = (
    """{{- bos_token }}
{%- if messages and messages[0].role == 'system' %}
{%- set first_user_prefix = messages[0].content + '\\n\\n' %}{%- set loop_messages = messages[1:] %}
{%- else %}{%- set first_user_prefix = '' %}{%- set loop_messages = messages %}{%- endif %}
{%- if tools %}
{%- set first_user_prefix = first_user_prefix + 'You can call these functions by answering with JSON '
    '{\"name\": ..., \"arguments\": ...}:\n' + (tools | map('tojson') | join('\n')) + '\n\n' %}
{%- endif %}
{%- for message in loop_messages %}
{%- set role = 'model' if message.role == 'assistant' else 'user' %}
{{- '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') + (message.content | trim) }}
{%- for tc in message.tool_calls or [] %}
{{- ('\\n' if message.content or not loop.first else '') + """
    + _CALL
    + """ }}
{%- endfor %}
{{- '<end_of_turn>\\n' }}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<start_of_turn>model\\n' }}{%- endif %}"""
)

BUILTIN: Final[dict[str, Template]] = {
    "chatml": Template("chatml", _CHATML, eos_token="<|im_end|>", builtin=True),
    "llama-3": Template(
        "llama-3", _LLAMA3, bos_token="<|begin_of_text|>", eos_token="<|eot_id|>", builtin=True
    ),
    "mistral": Template(
        "mistral",
        _MISTRAL,
        bos_token="<s>",
        eos_token="</s>",
        system=False,
        alternate=True,
        builtin=True,
    ),
    "gemma": Template(
        "gemma",
        _GEMMA,
        bos_token="<bos>",
        eos_token="<eos>",
        system=False,
        tool_role=False,
        alternate=True,
        builtin=True,
    ),
}
"""The built-in templates by name."""
