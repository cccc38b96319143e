"""Hand-offs: a conversation moving from one agent or model to another, intact.

`pack_handoff` wraps an AIF conversation in a hash-chained, optionally signed
`Envelope`; `verify_handoff` checks one; `plan_handoff` preflights what the
receiver's request will hold (packing within a token budget with `aifkit.budget`
when a model is named); `unpack_handoff` turns an envelope into the receiver's
request body.

This package sits above `aifkit.budget` and `aifkit.aif`: it imports both, and
neither imports it. These names were first published in `aifkit.aif`; they still
resolve there, on first use, for code written before they moved.

Examples:
    >>> from aifkit.handoff import pack_handoff, verify_handoff
    >>> env = pack_handoff({"messages": [{"role": "user", "parts": [{"type": "text", "text": "Hi"}]}]})
    >>> verify_handoff(env).ok
    True
"""

from aifkit.handoff._crypto import HandoffKey, generate_key, load_key
from aifkit.handoff._envelope import Envelope, Party, Task, load_envelope, pack_handoff
from aifkit.handoff._plan import HandoffPlan, plan_handoff, unpack_handoff
from aifkit.handoff._verify import VerifyReport, verify_handoff

__all__ = [
    "Envelope",
    "HandoffKey",
    "HandoffPlan",
    "Party",
    "Task",
    "VerifyReport",
    "generate_key",
    "load_envelope",
    "load_key",
    "pack_handoff",
    "plan_handoff",
    "unpack_handoff",
    "verify_handoff",
]
