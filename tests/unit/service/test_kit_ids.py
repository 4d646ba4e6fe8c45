import uuid

import pytest
from trademaster.service.errors import InvalidArgument
from trademaster.service.ids import parse_uuid

pytestmark = pytest.mark.unit


def test_parse_uuid_returns_the_uuid() -> None:
    value = uuid.uuid4()

    assert parse_uuid(str(value), "job_id") == value


def test_parse_uuid_names_the_field_and_value_when_malformed() -> None:
    with pytest.raises(InvalidArgument, match="job_id must be a UUID, was 'abc'") as caught:
        parse_uuid("abc", "job_id")

    assert caught.value.reason == "INVALID_ID"
    assert caught.value.field_violations() == [("job_id", "must be a UUID, was 'abc'")]
