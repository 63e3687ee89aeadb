"""What the web app's JSON API says to the page, in one place (the page shows `error` as it is)."""
from __future__ import annotations

MALFORMED_REQUEST = "请求格式不正确，请刷新页面后重试。"
MISSING_CUSTOMER_ID = "请选择要登录的演示客户。"
UNKNOWN_DEMO_CUSTOMER = "没有这个演示客户，请从列表中选择。"
DEMO_LOGIN_DISABLED = "演示登录未开放，请通过官网登录后再咨询。"
DEMO_DATA_UNAVAILABLE = "演示客户数据暂时不可用，请稍后再试，或先以访客身份咨询。"
