"""Page tokens: round trip, and forged tokens are INVALID_ARGUMENT naming the field."""

import uuid
from datetime import UTC, datetime

import grpc
import pytest
from trademaster.service.paging import PageTokenError, decode_page_token, encode_page_token

pytestmark = pytest.mark.unit


def test_keyset_round_trips_through_the_parsers() -> None:
    created, ident = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), uuid.uuid4()

    token = encode_page_token(created.isoformat(), ident)

    assert decode_page_token(token, datetime.fromisoformat, uuid.UUID) == (created, ident)


@pytest.mark.parametrize(
    "token",
    ["garbage", encode_page_token("x", "y"), encode_page_token("2026-01-01"), "%%%"],
)
def test_forged_tokens_are_invalid_argument_on_the_field(token: str) -> None:
    with pytest.raises(PageTokenError) as caught:
        decode_page_token(token, datetime.fromisoformat, uuid.UUID, field="trades_page_token")

    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.reason == "INVALID_PAGE_TOKEN"
    assert caught.value.field_violations()[0][0] == "trades_page_token"
