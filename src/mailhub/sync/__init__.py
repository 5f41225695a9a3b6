"""Pulling mail in. So far: fast, tolerant list-view summaries of fetched messages (Chinese mail first)."""

from mailhub.sync.addresses import Address, parse_address_list
from mailhub.sync.decoding import content_params, decode_header_value
from mailhub.sync.summary import MessageSummary, summarize

__all__ = [
    "Address",
    "MessageSummary",
    "content_params",
    "decode_header_value",
    "parse_address_list",
    "summarize",
]
