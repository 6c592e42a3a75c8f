"""Registering a newborn touches the child and both parents: the registration is audited for each
of them, in their own access log; a refused one for neither the other parent nor anyone else."""

from __future__ import annotations

from tests.conftest import Api, individual
from tests.sectors.civil_affairs.test_newborn import HEAD, REGISTER, _forget, newborn, wife_of
from tests.sectors.parties import assert_each_sees_it, assert_none_sees_it, audited_writes, logs, writes

REGISTERED = "registerNewborn"


async def test_the_child_and_both_parents_see_the_registration(api: Api) -> None:
    wife, _ = await wife_of(api, HEAD)
    for parent, other, data in ((HEAD, wife, newborn(HEAD, motherId=wife)), (wife, HEAD, newborn(wife))):
        before = await logs(api, [parent, other], REGISTERED)
        answer = await api.query(REGISTER, data, as_=individual(parent))
        child = answer["data"][REGISTERED]["nationalId"]
        try:
            actor = individual(parent).actor
            await assert_each_sees_it(api, before, REGISTERED, actor, {parent: "self", other: "party"})
            await assert_each_sees_it(api, {child: []}, REGISTERED, actor, {child: "party"})
        finally:
            await _forget(api, child)


async def test_a_refused_registration_is_audited_for_no_other_parent(api: Api) -> None:
    wife, _ = await wife_of(api, HEAD)
    before, audited = await logs(api, [wife], REGISTERED), await audited_writes(api)
    mine = await writes(api, HEAD, REGISTERED)
    late = await api.query(REGISTER, newborn(HEAD, days_old=31, motherId=wife), as_=individual(HEAD))
    assert late["data"][REGISTERED]["code"] == "REGISTRATION_WINDOW_CLOSED", late
    await assert_none_sees_it(api, before, REGISTERED)
    assert await audited_writes(api) == audited
    attempt = await writes(api, HEAD, REGISTERED)
    assert len(attempt) == len(mine) + 1 and attempt[0]["outcome"] == "REGISTRATION_WINDOW_CLOSED"
