"""Phone number normalisation, so that the same handset is one key everywhere (identity, SMS, opt-out)."""
from __future__ import annotations

import re
from typing import Optional

_NOT_DIGITS = re.compile(r"[^0-9]")
# A mainland mobile number as people write it: 13912345678, 139 1234 5678, 139-1234-5678. The one
# pattern for finding numbers in text (complaint call-backs, the NLU's phone entity, masking).
MOBILE_BODY = r"1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
MOBILE = re.compile(rf"(?<![0-9]){MOBILE_BODY}(?![0-9])")


def find_mobile(text: str) -> Optional[str]:
    """The first mobile number in `text`, as 11 digits, or None."""
    match = MOBILE.search(text or "")
    return _NOT_DIGITS.sub("", match.group(0)) if match else None


def normalize_phone(raw: Optional[str]) -> Optional[str]:
    """Digits only, mainland country code removed: '+86 139-1234-5678' → '13912345678'.

    Gateways and customers write the same number with and without +86/0086; a lookup must not
    depend on that. Anything without digits is None.
    """
    if raw is None:
        return None
    digits = _NOT_DIGITS.sub("", str(raw).translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    for code in ("0086", "86"):
        if digits.startswith(code) and len(digits) == len(code) + 11 and digits[len(code)] == "1":
            digits = digits[len(code) :]
            break
    return digits or None
