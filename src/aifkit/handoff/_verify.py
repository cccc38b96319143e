"""Verifying a hand-off envelope: the hash chain, the context hash, open calls and the signature.

Every failure is named: which message was altered, dropped, appended, inserted or
moved, whether the chain record itself was changed, and whether the signature is
bad, missing, or made with another key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aifkit.errors import InvalidInputError, VerificationError
from aifkit.handoff._envelope import (
    HANDOFF_VERSION,
    Envelope,
    as_key,
    chain,
    compute_open_calls,
    genesis,
    load_envelope,
)

if TYPE_CHECKING:
    from pathlib import Path

    from aifkit.handoff._crypto import HandoffKey

__all__ = ["VerifyReport", "diagnose", "verify_handoff"]

_MESSAGES = "/conversation/messages"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What verifying an envelope found.

    Attributes:
        envelope_id: The envelope's id ("" when it could not be read).
        messages: Messages in the conversation.
        head: The chain head recomputed from the messages.
        key_id: The key that signed the envelope, if it is signed.
        failures: One line per failed check, each starting with a JSON pointer.
        warnings: Doubts that do not fail verification (e.g. a provenance hop whose
            head matches no prefix of the conversation, after a history rewrite).
    """

    envelope_id: str
    messages: int
    head: str
    key_id: str | None
    failures: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return not self.failures

    def raise_for_failures(self) -> None:
        """Raise `VerificationError` (listing every failure) unless every check passed."""
        if self.failures:
            raise VerificationError(self.failures)

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "ok": self.ok,
            "envelope_id": self.envelope_id,
            "messages": self.messages,
            "head": self.head,
            "key_id": self.key_id,
            "failures": list(self.failures),
            "warnings": list(self.warnings),
        }


def verify_handoff(
    envelope: Envelope | Mapping[str, Any] | str | bytes,
    key: HandoffKey | bytes | Path | None = None,
    *,
    receiver: str | None = None,
    seen: Container[str] = (),
) -> VerifyReport:
    """Check an envelope's hash chain, context hash, open calls and signature.

    A signed envelope needs the key to verify (a public Ed25519 key, or the HMAC
    secret): without one, the missing key is a failure, as is a key given for an
    envelope that is not signed (its signature may have been stripped). The key
    decides the algorithm: an envelope whose signature claims another one fails.
    The signature covers every other field (id, time, sender, receiver, version,
    ...), so a signature moved to another envelope fails; ``receiver`` and
    ``seen`` catch a whole envelope replayed to another receiver or a second time.
    An envelope read from JSON is checked over that JSON as read, so envelopes
    signed by an earlier aifkit, over a conversation at an earlier AIF version,
    still verify (see `Envelope.covered`).

    Args:
        envelope: The envelope, its JSON, or its JSON text.
        key: The key to check the signature with: a `HandoffKey` (`load_key`), or
            a typed key file's bytes or path (an Ed25519 PEM key, an armored HMAC
            secret); raw secret bytes must go through ``load_key(data, "hmac-sha256")``.
        receiver: Fail unless the envelope is addressed to this agent.
        seen: Ids of envelopes already accepted: fail if this is one of them.

    Returns:
        The report; call `VerifyReport.raise_for_failures` to raise on failure.

    Examples:
        >>> from aifkit.handoff import pack_handoff
        >>> doc = {"messages": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]},
        ...                     {"role": "assistant", "parts": [{"type": "text", "text": "hello"}]}]}
        >>> data = pack_handoff(doc).to_json()
        >>> data["conversation"]["messages"][1]["parts"][0]["text"] = "goodbye"
        >>> verify_handoff(data).failures
        ('/conversation/messages/1: altered: its hash does not match the recorded one',)
    """
    try:
        env = load_envelope(envelope)
        # An envelope built in code was not checked as JSON is: hashing names what it cannot carry.
        canonical, context, signed = env.covered()
    except InvalidInputError as exc:
        return VerifyReport("", 0, "", None, (f"{exc.pointer or '/'}: malformed: {exc.problem}",))
    failures: list[str] = []
    if env.handoff_version.split(".")[0] != HANDOFF_VERSION.split(".")[0]:
        failures.append(
            f"/handoff_version: {env.handoff_version} is not a version this aifkit reads"
        )
    digests, heads = chain(canonical)
    head = heads[-1] if heads else genesis()
    failures += _check_chain(env, digests, head)
    if context != env.integrity.context:
        failures.append(
            "/conversation: altered: its instructions, tools or settings do not match the context hash"
        )
    failures += _check_plan(env, len(digests))
    if compute_open_calls(env.conversation) != env.open_calls:
        failures.append("/open_calls: does not match the tool calls left open in the conversation")
    failures += _check_signature(env, as_key(key), signed)
    if receiver is not None and env.receiver.agent != receiver:
        failures.append(
            f"/receiver/agent: wrong receiver: addressed to {env.receiver.agent!r}, "
            f"not {receiver!r}"
        )
    if env.id in seen:
        failures.append(f"/id: replayed: envelope {env.id} was already accepted")
    return VerifyReport(
        env.id,
        len(digests),
        head,
        env.signature.key_id if env.signature else None,
        tuple(failures),
        tuple(_check_hops(env, heads)),
    )


def _check_chain(env: Envelope, digests: list[str], head: str) -> list[str]:
    record = env.integrity
    failures = diagnose(record.digests, digests)
    if record.messages != len(record.digests):
        failures.append(
            f"/integrity/messages: says {record.messages} messages but "
            f"{len(record.digests)} hashes are recorded"
        )
    if not failures and head != record.head:
        failures.append(
            "/integrity/head: the chain head does not match the messages "
            "(the integrity record was altered)"
        )
    return failures


def _check_plan(env: Envelope, n: int) -> list[str]:
    plan = env.plan
    if plan is None:
        return []
    moved, summarized = list(plan.moved), list(plan.summarized)
    if sorted(moved + summarized) != list(range(n)) or moved != sorted(moved):
        return [
            "/plan: its moved and summarized messages do not cover the conversation "
            "once each, in order"
        ]
    return []


def _check_signature(env: Envelope, key: HandoffKey | None, signed: bytes | None) -> list[str]:
    sig = env.signature
    if sig is None:
        if key is not None:
            return [
                "/signature: missing: the envelope is not signed but a key was given "
                "(its signature may have been stripped)"
            ]
        return []
    if key is None:
        return [f"/signature: missing key: signed with key {sig.key_id} ({sig.algorithm})"]
    if key.algorithm != sig.algorithm:
        # The key decides the algorithm, never the envelope: an envelope claiming
        # HMAC is not checked with an Ed25519 key's bytes as the secret.
        return [
            f"/signature/algorithm: algorithm mismatch: the envelope says {sig.algorithm}, "
            f"the key given is an {key.kind} ({key.algorithm})"
        ]
    if key.key_id != sig.key_id:
        return [
            f"/signature: wrong key: signed with {sig.algorithm} key {sig.key_id}, "
            f"the key given is {key.algorithm} key {key.key_id}"
        ]
    if signed is None or not key.verify(signed, sig.value):
        return [
            f"/signature: bad signature: the envelope was changed after key {sig.key_id} signed it"
        ]
    return []


def _check_hops(env: Envelope, heads: list[str]) -> list[str]:
    known = {genesis(), *heads}
    return [
        f"/provenance/{i}: its head matches no prefix of the conversation "
        "(the history was rewritten since that hand-off)"
        for i, hop in enumerate(env.provenance)
        if hop.head not in known
    ]


def diagnose(recorded: Sequence[str], actual: Sequence[str]) -> list[str]:
    """Compare recorded message hashes with the actual ones; name every difference.

    Examples:
        >>> diagnose(["a", "b", "c"], ["a", "c"])
        ['/conversation/messages/1: dropped: recorded message 1 is missing']
        >>> diagnose(["a", "b"], ["b", "a"])
        ['/conversation/messages: reordered: messages 0, 1 are not in the recorded order']
        >>> diagnose(["a"], ["a", "x"])
        ['/conversation/messages/1: appended: not in the recorded chain']
    """
    recorded, actual = list(recorded), list(actual)
    if recorded == actual:
        return []
    n, m = len(recorded), len(actual)
    if n == m:
        return _same_length(recorded, actual)
    if m > n and actual[:n] == recorded:
        return [f"{_MESSAGES}/{j}: appended: not in the recorded chain" for j in range(n, m)]
    if m == n - 1:
        k = next((i for i in range(m) if recorded[i] != actual[i]), m)
        if recorded[:k] + recorded[k + 1 :] == actual:
            return [f"{_MESSAGES}/{k}: dropped: recorded message {k} is missing"]
    return _general(recorded, actual)


def _same_length(recorded: list[str], actual: list[str]) -> list[str]:
    differ = [i for i in range(len(actual)) if recorded[i] != actual[i]]
    known = Counter(recorded)
    moved = [i for i in differ if known[actual[i]] > 0]
    altered = [i for i in differ if known[actual[i]] == 0]
    if Counter(actual) == known:
        moved, altered = differ, []
    out = [f"{_MESSAGES}/{i}: altered: its hash does not match the recorded one" for i in altered]
    if moved:
        where = ", ".join(map(str, moved))
        out.append(f"{_MESSAGES}: reordered: messages {where} are not in the recorded order")
    return out


def _general(recorded: list[str], actual: list[str]) -> list[str]:
    dropped: list[tuple[int, str]] = []
    added: list[tuple[int, str]] = []
    altered: list[int] = []
    from difflib import SequenceMatcher  # only when a chain failed to match

    matcher = SequenceMatcher(None, recorded, actual, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        common = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        altered += range(j1, j1 + common)
        dropped += [(i, recorded[i]) for i in range(i1 + common, i2)]
        added += [(j, actual[j]) for j in range(j1 + common, j2)]
    out = [f"{_MESSAGES}/{j}: altered: its hash does not match the recorded one" for j in altered]
    moved = {d for _, d in dropped} & {a for _, a in added}
    for i, d in dropped:
        if d in moved:
            j = next(j for j, a in added if a == d)
            out.append(f"{_MESSAGES}/{j}: reordered: recorded message {i} was moved here")
        else:
            out.append(f"{_MESSAGES}: dropped: recorded message {i} is missing")
    new = {j for j, _ in added}
    tail = len(actual)
    while tail - 1 in new:
        tail -= 1
    for j, a in added:
        if a not in moved:
            kind = "appended" if j >= tail else "inserted"
            out.append(f"{_MESSAGES}/{j}: {kind}: not in the recorded chain")
    return out
