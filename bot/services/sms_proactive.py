"""Messages the customer did not ask for (follow-ups, satisfaction surveys), sent through the outbox.

Rules (docs: ../shared/reference/domain-facts.md §5): a number that replied TD/退订 gets no such
message again, which is checked here when queuing and again by the outbox worker when sending; the
message carries the opt-out method ("回TD退订") and goes out only within the configured Beijing
hours (carriers and the branch's practice; transactional replies are not restricted).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Optional, Sequence, Tuple

from sqlalchemy.orm import Session

from bot.services.sms_outbox import PROACTIVE_REF_PREFIX, REF_MAX_LENGTH
from bot.services.sms_render import Option, kb_texts, render_sms
from bot.store.sms_menus import save_menu
from bot.kb.sms import SmsTexts
from bot.common.privacy import mask_phone
from bot.common.settings import Settings, get_settings
from bot.store import sms as outbox
from bot.common.clock import BEIJING, as_utc
from bot.store.models import SmsOutbox
from bot.common.phones import normalize_phone

log = logging.getLogger(__name__)


def channel_texts(texts: Optional[SmsTexts] = None, settings: Optional[Settings] = None) -> SmsTexts:
    """The SMS texts (default: the kb's, kb/sms.yml) with the branch hotline from the kb filled in."""
    return kb_texts((settings or get_settings()).kb_dir, texts)


def sending_hours(spec: str) -> Tuple[int, int]:
    """"9-20" → (9, 20): proactive messages go out from 9:00 up to (not including) 20:00 Beijing time."""
    start, _, end = spec.partition("-")
    first, last = int(start), int(end)
    if not 0 <= first < last <= 24:
        raise ValueError(f"SMS_PROACTIVE_HOURS must look like 9-20, got {spec!r}")
    return first, last


def next_sending_time(now: datetime, hours: Tuple[int, int]) -> datetime:
    """`now` if it is inside the sending hours, else the next opening (UTC)."""
    local = as_utc(now).astimezone(BEIJING)
    first, last = hours
    if first <= local.hour < last:
        return as_utc(now)
    opening = local.replace(hour=first, minute=0, second=0, microsecond=0)
    if local.hour >= last:
        opening += timedelta(days=1)
    return as_utc(opening)


def send_proactive(
    session: Session,
    phone: str,
    text: str,
    now: datetime,
    *,
    kind: str = "notice",
    options: Sequence[Option] = (),
    settings: Optional[Settings] = None,
    texts: Optional[SmsTexts] = None,
) -> Optional[SmsOutbox]:
    """Queues a proactive SMS to `phone`; None (nothing queued) if the number opted out.

    `kind` names the purpose (`follow_up`, `survey`, …) and is kept in the outbox `ref`. With
    `options`, a numeric answer ("1") reaches the bot as that option's payload, as for replies.
    The caller's transaction commits the message; the outbox worker sends it.
    """
    settings = settings or get_settings()
    number = normalize_phone(phone)
    if number is None:
        raise ValueError("not a phone number")
    if outbox.is_opted_out(session, number):
        log.info("proactive SMS (%s) to %s refused: opted out", kind, mask_phone(number))
        return None
    texts = texts or channel_texts(settings=settings)
    rendered = render_sms(
        text,
        options,
        signature=settings.sms_signature,
        max_parts=settings.sms_max_parts,
        texts=texts,
        suffix=texts.opt_out_hint,
    )
    message = outbox.enqueue(session, number, rendered.text, now, ref=f"{PROACTIVE_REF_PREFIX}{kind}"[:REF_MAX_LENGTH])
    message.next_attempt_at = next_sending_time(now, sending_hours(settings.sms_proactive_hours))
    if rendered.options:
        # Without options the customer's last menu stays valid: a notice must not hijack a "1" they send.
        save_menu(session, number, rendered.options, now)
    log.info("proactive SMS (%s) %s queued for %s", kind, message.id, mask_phone(number))
    return message
