"""Read-only shares of training jobs over real gRPC, PostgreSQL and Ray: the owner shares, the
user it is shared with reads it (get, metrics, list with shared_with_me) but cannot pause or
cancel it (PERMISSION_DENIED READ_ONLY_SHARE), withdrawing takes effect at once, and everyone
else still gets NOT_FOUND."""

from __future__ import annotations

import uuid

import grpc
import pytest
from trademaster.api.trainer.v1 import trainer_pb2 as pb
from trademaster.service.errors import error_details

from .conftest import State, TrainerHarness, token

pytestmark = pytest.mark.integration


def _md(subject: str, role: str = "researcher") -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token(subject, role)}")]


async def _error(call) -> grpc.aio.AioRpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def test_a_shared_job_is_read_only_for_its_users_until_unshared(
    queue_only: TrainerHarness,
) -> None:
    alice, rita, vic, bob = (str(uuid.uuid4()) for _ in range(4))
    t = queue_only.trainer
    job = await queue_only.create(alice)
    for user in (rita, vic):
        share = await t.ShareTrainingJob(
            pb.ShareTrainingJobRequest(job_id=job.job_id, user_id=user), metadata=_md(alice)
        )
        assert (share.share.resource_id, share.share.user_id) == (job.job_id, user)
        assert share.share.created_by == alice
    again = await t.ShareTrainingJob(
        pb.ShareTrainingJobRequest(job_id=job.job_id, user_id=rita), metadata=_md(alice)
    )
    listed = await t.ListTrainingJobShares(
        pb.ListTrainingJobSharesRequest(job_id=job.job_id), metadata=_md(alice)
    )
    assert again.share.create_time == listed.shares[0].create_time
    assert [s.user_id for s in listed.shares] == [rita, vic]

    for user, role in ((rita, "researcher"), (vic, "viewer")):
        got = await t.GetTrainingJob(
            pb.GetTrainingJobRequest(job_id=job.job_id), metadata=_md(user, role)
        )
        assert got.job.job_id == job.job_id
        await t.ListJobMetrics(
            pb.ListJobMetricsRequest(job_id=job.job_id), metadata=_md(user, role)
        )
        shared = await t.ListTrainingJobs(
            pb.ListTrainingJobsRequest(shared_with_me=True), metadata=_md(user, role)
        )
        assert [j.job_id for j in shared.jobs] == [job.job_id]
        own = await t.ListTrainingJobs(pb.ListTrainingJobsRequest(), metadata=_md(user, role))
        assert list(own.jobs) == []

    cancel = await _error(
        t.CancelTrainingJob(pb.CancelTrainingJobRequest(job_id=job.job_id), metadata=_md(rita))
    )
    pause = await _error(
        t.PauseTrainingJob(pb.PauseTrainingJobRequest(job_id=job.job_id), metadata=_md(rita))
    )
    reshare = await _error(
        t.ShareTrainingJob(
            pb.ShareTrainingJobRequest(job_id=job.job_id, user_id=bob), metadata=_md(rita)
        )
    )
    viewer_cancel = await _error(
        t.CancelTrainingJob(
            pb.CancelTrainingJobRequest(job_id=job.job_id), metadata=_md(vic, "viewer")
        )
    )
    assert [e.code() for e in (cancel, pause, reshare)] == [grpc.StatusCode.PERMISSION_DENIED] * 3
    assert error_details(cancel).reason == "READ_ONLY_SHARE"
    assert viewer_cancel.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_details(viewer_cancel).reason == "MISSING_ROLE"
    assert (await queue_only.get(alice, job.job_id)).state == State.QUEUED

    outsider = await _error(
        t.GetTrainingJob(pb.GetTrainingJobRequest(job_id=job.job_id), metadata=_md(bob))
    )
    outsider_cancel = await _error(
        t.CancelTrainingJob(pb.CancelTrainingJobRequest(job_id=job.job_id), metadata=_md(bob))
    )
    nothing = await t.ListTrainingJobs(
        pb.ListTrainingJobsRequest(shared_with_me=True), metadata=_md(bob)
    )
    assert outsider.code() == outsider_cancel.code() == grpc.StatusCode.NOT_FOUND
    assert list(nothing.jobs) == []

    await t.UnshareTrainingJob(
        pb.UnshareTrainingJobRequest(job_id=job.job_id, user_id=rita), metadata=_md(alice)
    )
    gone = await _error(
        t.GetTrainingJob(pb.GetTrainingJobRequest(job_id=job.job_id), metadata=_md(rita))
    )
    gone_cancel = await _error(
        t.CancelTrainingJob(pb.CancelTrainingJobRequest(job_id=job.job_id), metadata=_md(rita))
    )
    unshared = await t.ListTrainingJobs(
        pb.ListTrainingJobsRequest(shared_with_me=True), metadata=_md(rita)
    )
    twice = await _error(
        t.UnshareTrainingJob(
            pb.UnshareTrainingJobRequest(job_id=job.job_id, user_id=rita), metadata=_md(alice)
        )
    )
    assert gone.code() == gone_cancel.code() == grpc.StatusCode.NOT_FOUND
    assert list(unshared.jobs) == []
    assert error_details(twice).reason == "SHARE_NOT_FOUND"
    await t.CancelTrainingJob(pb.CancelTrainingJobRequest(job_id=job.job_id), metadata=_md(alice))


async def test_share_inputs_are_checked_and_only_the_owner_shares(
    queue_only: TrainerHarness,
) -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    t = queue_only.trainer
    job = await queue_only.create(alice)
    bad_user = await _error(
        t.ShareTrainingJob(
            pb.ShareTrainingJobRequest(job_id=job.job_id, user_id="nope"), metadata=_md(alice)
        )
    )
    self_share = await _error(
        t.ShareTrainingJob(
            pb.ShareTrainingJobRequest(job_id=job.job_id, user_id=alice), metadata=_md(alice)
        )
    )
    bad_job = await _error(
        t.ListTrainingJobShares(pb.ListTrainingJobSharesRequest(job_id="x"), metadata=_md(alice))
    )
    foreign = await _error(
        t.ListTrainingJobShares(
            pb.ListTrainingJobSharesRequest(job_id=job.job_id), metadata=_md(bob)
        )
    )
    viewer = await _error(
        t.ShareTrainingJob(
            pb.ShareTrainingJobRequest(job_id=job.job_id, user_id=bob),
            metadata=_md(alice, "viewer"),
        )
    )

    assert [e.code() for e in (bad_user, self_share, bad_job)] == [
        grpc.StatusCode.INVALID_ARGUMENT
    ] * 3
    assert "user_id" in bad_user.details() and "job_id" in bad_job.details()
    assert foreign.code() == grpc.StatusCode.NOT_FOUND
    assert viewer.code() == grpc.StatusCode.PERMISSION_DENIED
    await t.CancelTrainingJob(pb.CancelTrainingJobRequest(job_id=job.job_id), metadata=_md(alice))
