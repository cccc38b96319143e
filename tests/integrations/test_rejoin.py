"""rejoin: packed wire messages paired back with the originals they equal, in order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aifkit.integrations._rejoin import rejoin

_messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant"]), "content": st.text(max_size=3)}
    ),
    max_size=20,
)


@given(originals=_messages, data=st.data())
def test_a_kept_subsequence_maps_back_to_originals_in_order(
    originals: list[dict[str, str]], data: st.DataObject
) -> None:
    keep = data.draw(st.lists(st.booleans(), min_size=len(originals), max_size=len(originals)))
    rewrite = data.draw(st.lists(st.booleans(), min_size=len(originals), max_size=len(originals)))
    packed: list[dict[str, str]] = []
    for message, kept, rewritten in zip(originals, keep, rewrite, strict=True):
        if kept:
            packed.append({**message, "content": "\x00new"} if rewritten else message)
    pairs = rejoin(originals, packed)
    assert [m for _, m in pairs] == packed
    matched = [i for i, _ in pairs if i is not None]
    assert matched == sorted(set(matched))  # increasing: never reordered or reused
    for i, message in pairs:
        if i is None:
            assert message["content"] == "\x00new"  # only what was rewritten is new
        else:
            assert originals[i] == message
