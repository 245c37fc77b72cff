"""Sign-up and password reset are limited per client address and per target email address."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils import translation

from marketplace import throttle
from marketplace.env import Env
from marketplace.models import User
from tests.conftest import PASSWORD

HIGH = (1000, 3600)


def reset(client, email, ip="10.0.0.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)


def sign_up(email, ip="10.0.0.1", password=PASSWORD):
    return Client().post(reverse("signup"), {"full_name": "Wang Fang", "email": email, "password": password,
                                             "language": "en"}, REMOTE_ADDR=ip)


class TestPasswordReset:
    def test_per_address(self, client, owner, settings):
        settings.PASSWORD_RESET_RATE_PER_ADDRESS = (3, 3600)
        settings.PASSWORD_RESET_RATE_PER_CLIENT = HIGH
        for i in range(3):
            assert reset(client, owner.email, ip=f"10.0.0.{i}").status_code == 302
        assert len(mail.outbox) == 3
        response = reset(client, owner.email.upper(), ip="10.0.0.99")  # another client, same address
        assert response.status_code == 429
        assert response["Retry-After"] == "3600"
        assert "Too many attempts" in response.content.decode()
        assert len(mail.outbox) == 3
        assert reset(client, "outsider@example.com").status_code == 302  # other addresses are unaffected

    def test_per_client(self, client, owner, settings):
        settings.PASSWORD_RESET_RATE_PER_ADDRESS = HIGH
        settings.PASSWORD_RESET_RATE_PER_CLIENT = (3, 3600)
        for i in range(3):
            assert reset(client, f"someone{i}@example.com", ip="10.0.0.1").status_code == 302
        assert reset(client, owner.email, ip="10.0.0.1").status_code == 429
        assert mail.outbox == []
        assert reset(client, owner.email, ip="10.0.0.2").status_code == 302
        assert len(mail.outbox) == 1

    def test_throttled_reset_does_not_reveal_whether_an_account_exists(self, client, owner, settings):
        settings.PASSWORD_RESET_RATE_PER_ADDRESS = (2, 3600)
        settings.PASSWORD_RESET_RATE_PER_CLIENT = HIGH
        answers = {}
        for email in (owner.email, "nobody@example.com"):
            statuses = [reset(client, email).status_code for _ in range(3)]
            page = reset(client, email).content.decode()
            answers[email] = (statuses, re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page))
        assert answers[owner.email][0] == answers["nobody@example.com"][0] == [302, 302, 429]
        assert answers[owner.email][1] == answers["nobody@example.com"][1]

    def test_message_is_translated(self, client, db, settings):
        settings.PASSWORD_RESET_RATE_PER_ADDRESS = (1, 3600)
        client.cookies["django_language"] = "zh-hans"
        reset(client, "nobody@example.com")
        response = reset(client, "nobody@example.com")
        assert response.status_code == 429
        assert "尝试次数过多" in response.content.decode() and "请最多等待 60 分钟" in response.content.decode()


class TestSignUp:
    def test_per_client(self, db, settings):
        settings.SIGNUP_RATE_PER_CLIENT = (3, 3600)
        settings.SIGNUP_RATE_PER_ADDRESS = HIGH
        for i in range(3):
            assert sign_up(f"user{i}@example.com", ip="10.0.0.1").status_code == 302
        response = sign_up("user9@example.com", ip="10.0.0.1")
        assert response.status_code == 429
        assert "Too many attempts" in response.content.decode()
        assert User.objects.count() == 3
        assert sign_up("user9@example.com", ip="10.0.0.2").status_code == 302  # another client

    def test_per_address(self, db, settings):
        settings.SIGNUP_RATE_PER_CLIENT = HIGH
        settings.SIGNUP_RATE_PER_ADDRESS = (2, 3600)
        assert sign_up("wang@example.com", ip="10.0.0.1", password="123").status_code == 200  # weak password
        assert sign_up("Wang@Example.com", ip="10.0.0.2", password="123").status_code == 200
        assert sign_up("wang@example.com", ip="10.0.0.3").status_code == 429
        assert not User.objects.exists()
        assert sign_up("li@example.com", ip="10.0.0.3").status_code == 302

    def test_message_is_translated(self, db, settings):
        settings.SIGNUP_RATE_PER_CLIENT = (1, 3600)
        sign_up("a@example.com")
        with translation.override("zh-hans"):
            client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
            response = client.post(reverse("signup"), {"email": "b@example.com"}, REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 429
        assert "尝试次数过多" in response.content.decode() and "请最多等待 60 分钟" in response.content.decode()


class TestClientAddress:
    def test_without_proxies_the_forwarded_header_is_ignored(self, rf, settings):
        settings.PROXY_COUNT = 0
        request = rf.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
        assert throttle.client_ip(request) == "10.0.0.1"

    def test_behind_one_proxy_the_last_forwarded_address_counts(self, rf, settings):
        settings.PROXY_COUNT = 1
        request = rf.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
        assert throttle.client_ip(request) == "1.2.3.4"  # the client cannot forge the proxy's entry

    def test_the_log_in_lockout_sees_the_same_address(self, rf, settings):
        from axes.helpers import get_client_ip_address

        settings.PROXY_COUNT = 1
        request = rf.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
        assert get_client_ip_address(request) == "1.2.3.4"


@pytest.mark.parametrize("raw, expected", [("5/hour", (5, 3600)), ("1/second", (1, 1)), ("30/Minute", (30, 60)),
                                           ("2/day", (2, 86400))])
def test_rate_settings_parse(raw, expected):
    assert Env({"RATE": raw}).rate("RATE", "1/hour") == expected


@pytest.mark.parametrize("raw", ["5", "0/hour", "-1/hour", "five/hour", "5/week", "5/", "/hour", "5.5/hour",
                                 "²/hour", "٥/hour"])
def test_bad_rate_settings_stop_start_up_naming_the_variable(raw):
    with pytest.raises(ImproperlyConfigured, match="SIGNUP_RATE_PER_CLIENT"):
        Env({"SIGNUP_RATE_PER_CLIENT": raw}).rate("SIGNUP_RATE_PER_CLIENT", "20/hour")


@pytest.mark.redis
def test_counters_live_in_redis_and_hold_no_raw_address(client, db, settings):
    import redis
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(caches["default"], RedisCache)
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = (1, 3600)
    reset(client, "probe@example.com", ip="10.9.9.9")
    connection = redis.Redis.from_url(settings.REDIS_URL)
    keys = [key.decode() for key in connection.keys("*throttle:password_reset:*")]
    assert len(keys) == 2  # one per client, one per address
    assert not any("probe" in key or "10.9.9.9" in key for key in keys)
    assert reset(Client(), "probe@example.com", ip="10.0.0.2").status_code == 429
