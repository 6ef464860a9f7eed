"""How many SMS parts a text takes.

An SMS carries 160 characters of the GSM 7-bit alphabet, or 70 UCS-2 code
units as soon as one character is outside it (any Arabic letter, an emoji, a
typographic dash). A longer text is split into parts of 153 (GSM) or 67
(UCS-2), each part charged as one message; a character of the GSM extension
table (``€ [ ] { } ^ ~ | \\``) takes two places and is never split across
parts, nor is a UCS-2 surrogate pair.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67

#: The most parts a patient's SMS may take: gateways refuse or truncate longer ones.
MAX_PARTS = 5


@dataclass(frozen=True)
class SmsLength:
    """``units``: GSM septets or UCS-2 code units; ``unicode``: sent as UCS-2; ``outside``: what forced it."""

    unicode: bool
    units: int
    parts: int
    outside: tuple[str, ...] = ()


def _costs(text: str, unicode: bool) -> list[int]:
    if unicode:
        return [2 if ord(char) > 0xFFFF else 1 for char in text]
    return [2 if char in GSM_EXTENDED else 1 for char in text]


def sms_length(text: str) -> SmsLength:
    """The encoding, length and number of parts of ``text`` sent as one SMS."""
    outside = tuple(dict.fromkeys(char for char in text if char not in GSM_BASIC and char not in GSM_EXTENDED))
    unicode = bool(outside)
    costs = _costs(text, unicode)
    units = sum(costs)
    single, part = (UCS2_SINGLE, UCS2_PART) if unicode else (GSM_SINGLE, GSM_PART)
    if units == 0:
        return SmsLength(unicode, 0, 0, outside)
    if units <= single:
        return SmsLength(unicode, units, 1, outside)
    parts, used = 1, 0
    for cost in costs:
        if used + cost > part:  # a two-place character moves whole to the next part
            parts, used = parts + 1, 0
        used += cost
    return SmsLength(unicode, units, parts, outside)
