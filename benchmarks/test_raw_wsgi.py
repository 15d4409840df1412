"""The raw floor of the load test (raw_wsgi.py) authenticates and writes values as Jianfu does:
otherwise its throughput would be the floor of other work."""

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.serializers.json import DjangoJSONEncoder

from jianfu.api.pagination import _encode
from jianfu.core.crypto import sm3_hex

sys.path.insert(0, str(Path(__file__).resolve().parent))
import raw_wsgi


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch):
    monkeypatch.setattr(raw_wsgi, "SECRET_KEY", settings.SECRET_KEY)


def _signed_session(data: dict) -> str:
    return SessionStore().encode(data)


def test_floor_reads_a_session_django_signed():
    data = {SESSION_KEY: "7", HASH_SESSION_KEY: "abc", "jianfu_last_seen": 1.5}
    assert raw_wsgi._session_data(_signed_session(data)) == data


def test_floor_reads_a_compressed_session():
    # Django compresses a session's payload when that makes it shorter.
    data = {SESSION_KEY: "7", "note": "社区" * 200}
    signed = _signed_session(data)
    assert signed.startswith(".")
    assert raw_wsgi._session_data(signed) == data


def test_floor_refuses_a_tampered_session():
    signed = _signed_session({SESSION_KEY: "7"})
    payload, rest = signed.split(":", 1)
    assert raw_wsgi._session_data(payload[:-2] + "xx:" + rest) is None


@pytest.mark.django_db
def test_floor_computes_the_session_hash_of_the_user(django_user_model):
    user = django_user_model.objects.create_user(username="community_officer", password=None)
    computed = raw_wsgi._salted_hmac(
        "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", user.password
    ).hexdigest()
    assert computed == user.get_session_auth_hash()


def test_floor_hashes_tokens_as_jianfu():
    assert raw_wsgi._sm3_hex("jf_secret") == sm3_hex("jf_secret")


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 8, 30, 5, 123456, tzinfo=dt.UTC),
    ],
)
def test_floor_writes_datetimes_as_the_api_does(moment):
    assert json.dumps(raw_wsgi.iso(moment)) == json.dumps(moment, cls=DjangoJSONEncoder)


def test_floor_reads_sqlite_datetimes_as_utc():
    database = raw_wsgi.Database("unused.sqlite3")
    read = database.when("2026-03-01 08:30:05.123456")
    assert read == dt.datetime(2026, 3, 1, 8, 30, 5, 123456, tzinfo=dt.UTC)
    assert database.stamp(read) == "2026-03-01 08:30:05.123456"


def test_floor_cursors_are_the_api_cursors():
    assert raw_wsgi.cursor_encode(12345) == _encode(12345)
    assert raw_wsgi.cursor_decode(_encode(12345)) == 12345


def test_floor_ancestors_are_jianfu_ancestors():
    from jianfu.org.selectors import ancestor_codes

    for code in ("510104001002", "510104001000", "510104000000", "510100000000"):
        assert raw_wsgi._ancestor_codes(code) == ancestor_codes(code)
