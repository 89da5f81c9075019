"""The Change-Seq header: where a write's change stands in the feed."""


def change_seq_header(seq: int | None) -> dict[str, str]:
    """`Change-Seq: N` for a write that changed something; nothing for one that did not."""
    return {} if seq is None else {"Change-Seq": str(seq)}
