"""Struct round trips keep integers integers (typed configs and clients see what was sent)."""

import pytest
from google.protobuf import struct_pb2
from trademaster.service.structs import struct_to_dict

pytestmark = pytest.mark.unit


def test_integral_numbers_come_back_as_ints_and_fractions_stay_floats() -> None:
    struct = struct_pb2.Struct()
    sent = {"env": {"window": 10, "fee_rate": 0.001}, "hidden_sizes": [64, 64], "on": True}
    struct.update(sent)

    result = struct_to_dict(struct)

    assert result == sent
    assert isinstance(result["env"]["window"], int)
    assert isinstance(result["hidden_sizes"][0], int)
    assert isinstance(result["env"]["fee_rate"], float)
