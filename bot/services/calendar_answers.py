"""Answers about trading days ("明天开市吗", "国庆休市几天", "下一个交易日") from the kb's calendar.

The day the customer means is read from the words (今天/明天/后天, 周六/下周一, 12月31日, a holiday
name); the answer says whether it is a trading day, which holiday closes it and when trading resumes,
and for a year whose exchange notice is not out yet that the answer is provisional.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Optional

from bot.kb.calendar import CalendarYear, TradingCalendar, weekday_cn
from bot.kb.render import format_date_cn
from bot.common.text import normalise

_RELATIVE = {"大后天": 3, "后天": 2, "明天": 1, "明日": 1, "今天": 0, "今日": 0, "昨天": -1}
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_WEEKDAY_RE = re.compile(r"(下下|下|这|本|上)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天末])")
_MONTH_DAY = re.compile(r"(\d{1,2})月(\d{1,2})[日号]?")
_HOLIDAYS = {"元旦": "元旦", "春节": "春节", "过年": "春节", "清明": "清明节", "五一": "劳动节", "劳动节": "劳动节",
             "端午": "端午节", "中秋": "中秋节", "国庆": "国庆节", "十一": "国庆节"}
_NEXT_TRADING_DAY = ("下一个交易日", "下个交易日", "下一交易日", "哪天开市", "什么时候开市", "几号开市", "哪天开盘",
                     "什么时候开盘", "几号开盘")
_FUNDS = ("取", "转出", "到账", "交收", "可用")


def short_date(day: date) -> str:
    return f"{day.month}月{day.day}日（{weekday_cn(day)}）"


def _basis(year: Optional[CalendarYear]) -> str:
    if year is None:
        return ""
    return f"\n依据：{year.source}，自{format_date_cn(year.effective)}起施行。"


def _provisional(day: date, calendar: TradingCalendar) -> str:
    if calendar.is_announced(day):
        return ""
    return (f"（{day.year}年的节假日休市安排交易所尚未公布，以上只按周末和固定日期的节日推算，"
            f"属暂定，以交易所公告为准。）")


def day_meant(text: str, today: date) -> Optional[date]:
    """The date the message asks about, or None when it names none."""
    for word, offset in _RELATIVE.items():
        if word in text:
            return today + timedelta(days=offset)
    match = _WEEKDAY_RE.search(text)
    if match:
        week, target = match.group(1) or "", _WEEKDAY[match.group(2)]
        monday = today - timedelta(days=today.weekday())
        weeks = {"下": 1, "下下": 2, "上": -1}.get(week, 0)
        day = monday + timedelta(weeks=weeks, days=target)
        if not week and day < today:
            day += timedelta(weeks=1)  # "周六能交易吗" on a Sunday means the coming Saturday
        return day
    match = _MONTH_DAY.search(text)
    if match:
        month, dom = int(match.group(1)), int(match.group(2))
        try:
            day = date(today.year, month, dom)
        except ValueError:
            return None
        return day if day >= today - timedelta(days=31) else date(today.year + 1, month, dom)
    return None


def _about_day(day: date, calendar: TradingCalendar, today: date) -> str:
    tense = "是" if day >= today else "当时是"
    if day.weekday() >= 5:
        status = f"{short_date(day)}是周末，交易所休市"
    elif calendar.closure(day):
        status = f"{short_date(day)}因{calendar.closure(day)}休市"
    else:
        status = f"{short_date(day)}{tense}交易日，正常开市（9:30–11:30、13:00–15:00）"
    text = status + "。"
    if not calendar.is_trading_day(day) and day >= today:
        text += f"下一个交易日是{short_date(calendar.next_trading_day(day))}。"
    return text + _provisional(day, calendar)


def _about_holiday(name: str, calendar: TradingCalendar, today: date) -> str:
    found = calendar.holiday(name, today)
    if found is None or max(found[1].days) < today:
        year = today.year if found is None else found[0].year + 1
        fixed = next((h for h in calendar.provisional_fixed_holidays if h.name == name), None)
        if fixed is not None:
            return _about_day(date(year, fixed.month, fixed.day), calendar, today)
        return (f"{year}年{name}的休市安排交易所还没有公布（一般在前一年12月前后发布），"
                f"公布后以交易所公告为准。法定节假日及其前后的周末交易所都休市。")
    year, closure = found
    first, last = min(closure.days), max(closure.days)
    resume = calendar.next_trading_day(last)
    return (f"{year.year}年{name}：{short_date(first)}至{short_date(last)}休市，"
            f"共{len(closure.days)}个交易日，{short_date(resume)}起照常开市。" + _basis(year))


def calendar_answer(text: str, calendar: TradingCalendar, today: date) -> str:
    folded = normalise(text)
    holiday = next((name for word, name in _HOLIDAYS.items() if word in folded), None)
    if holiday and not _RELATIVE.keys() & {w for w in _RELATIVE if w in folded}:
        return _about_holiday(holiday, calendar, today)
    day = day_meant(folded, today)
    if any(word in folded for word in _NEXT_TRADING_DAY) and day is None:
        nxt = calendar.next_trading_day(today)
        return f"今天之后的下一个交易日是{short_date(nxt)}。" + _provisional(nxt, calendar) + _basis(
            calendar.source_for(nxt))
    if day is not None:
        answer = _about_day(day, calendar, today)
        if any(word in folded for word in _FUNDS) and day >= today:
            trade_day = day if calendar.is_trading_day(day) else calendar.next_trading_day(day)
            answer += (f"按T+1交收，{short_date(trade_day)}卖出股票的资金当天可以再买，"
                       f"一般{short_date(calendar.next_trading_day(trade_day))}可以转出到银行。")
        return answer + _basis(calendar.source_for(day))
    upcoming = [(y, c) for y in calendar.years for c in y.closures if max(c.days) >= today]
    if upcoming:
        year, closure = upcoming[0]
        soon = f"最近一次节假日休市是{year.year}年{closure.name}（{short_date(min(closure.days))}至{short_date(max(closure.days))}）。"
    else:
        soon = (f"{calendar.last_announced_day.year + 1}年的节假日休市安排交易所尚未公布，公布后以交易所公告为准。")
    year = calendar.source_for(today)
    return ("沪深北交易所周一至周五开市，周六、周日和法定节假日休市，节假日前后调休上班的周末也不开市。"
            + soon + _basis(year))
