"""Reporting a national ID card lost over HTTP: only a valid card, by the citizen or a parent of a
minor; it stops being valid at once, and its renewal is then open whatever the expiry, the lost
version kept as lost. Refusals match eligibility and change no table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, text, update

from hub.notifications.models import NotificationRow
from sectors.civil_affairs.models import IdCardRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import change, fresh_key, kept, newest_notice, notices_since
from tests.services.tables import changed, every_row
from tests.services.test_eligibility import asked, codes

REPORT = """mutation($input: ReportLostIdCardInput!) { reportLostIdCard(input: $input) {
  __typename ... on IdCardReportedLost { card { version status } } ... on Refusal { code } } }"""
RENEW = """mutation($input: RenewIdCardInput!) { renewIdCard(input: $input) {
  __typename ... on IdCardRenewed { card { version status } } ... on Refusal { code blockers { code } } } }"""
CARDS = """query($id: ID!) { person(id: $id) { civilAffairs { idCards { version status } } } }"""

CIVIL = officer("civil_affairs")


async def holder_far_from_expiry(api: Api) -> tuple[str, int]:
    """A citizen whose valid card has more than 180 days to run and who owes no traffic fine."""
    async with api.hub.db.connect() as connection:
        return tuple(  # type: ignore[return-value]
            (
                await connection.execute(
                    text(
                        "SELECT c.person_id, c.version FROM civil_affairs_id_cards c WHERE c.status = 'valid' "
                        "AND c.expires_on > :far AND c.version = (SELECT max(version) FROM civil_affairs_id_cards "
                        "WHERE person_id = c.person_id) AND c.person_id NOT IN (SELECT person_id FROM "
                        "traffic_violations WHERE status = 'unpaid') ORDER BY c.person_id LIMIT 1"
                    ),
                    {"far": TODAY + dt.timedelta(days=200)},
                )
            ).one()
        )


async def test_a_lost_card_stops_being_valid_and_is_replaced_at_once(api: Api) -> None:
    holder, version = await holder_far_from_expiry(api)
    assert codes(await asked(api, "RENEW_ID_CARD", holder, individual(holder))) == [
        ("civil_affairs", "TOO_EARLY_TO_RENEW")
    ]
    try:
        lost = await api.query(REPORT, {"input": {"personId": holder}}, as_=individual(holder))
        assert lost["data"]["reportLostIdCard"] == {
            "__typename": "IdCardReportedLost",
            "card": {"version": version, "status": "LOST"},
        }
        assert codes(await asked(api, "REPORT_LOST_ID_CARD", holder, CIVIL)) == [("civil_affairs", "ID_CARD_NOT_VALID")]
        renewed = await api.query(RENEW, {"input": {"personId": holder}}, as_=individual(holder))
        assert renewed["data"]["renewIdCard"]["card"] == {"version": version + 1, "status": "VALID"}, renewed
        cards = (await api.query(CARDS, {"id": holder}, as_=CIVIL))["data"]["person"]["civilAffairs"]["idCards"]
        assert cards[:2] == [{"version": version + 1, "status": "VALID"}, {"version": version, "status": "LOST"}]
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(
                delete(IdCardRow).where(IdCardRow.person_id == holder, IdCardRow.version > version)
            )
            await connection.execute(
                update(IdCardRow)
                .where(IdCardRow.person_id == holder, IdCardRow.version == version)
                .values(status="valid")
            )
            await connection.commit()


async def test_no_card_or_an_expired_one_cannot_be_reported_as_eligibility_says(api: Api) -> None:
    assert codes(await asked(api, "REPORT_LOST_ID_CARD", PERSONA["absconding_worker"], CIVIL)) == [
        ("civil_affairs", "NO_ID_CARD")
    ]
    # A parent asks for their minor child, who holds no card yet.
    assert codes(await asked(api, "REPORT_LOST_ID_CARD", PERSONA["minor_child"], individual("family_head"))) == [
        ("civil_affairs", "NO_ID_CARD")
    ]
    async with api.hub.db.connect() as connection:
        expired = (
            await connection.execute(
                select(IdCardRow.person_id).where(IdCardRow.status == "expired").order_by(IdCardRow.person_id).limit(1)
            )
        ).scalar_one()
    # Only a card's latest version is ever expired (the earlier ones are replaced).
    assert codes(await asked(api, "REPORT_LOST_ID_CARD", expired, CIVIL)) == [("civil_affairs", "ID_CARD_NOT_VALID")]


async def test_nobody_else_may_report_a_card_lost(api: Api) -> None:
    holder, _ = await holder_far_from_expiry(api)
    before = await every_row(api)
    for caller in (individual("sponsor"), officer("traffic")):
        answer = await api.query(REPORT, {"input": {"personId": holder}}, as_=caller)
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert changed(before, await every_row(api)) == []


REPORTED = """mutation($input: ReportLostIdCardInput!) { reportLostIdCard(input: $input) {
  __typename ... on IdCardReportedLost { card { version status issuedOn { gregorian } expiresOn { gregorian } } }
  ... on Refusal { code } } }"""


async def test_a_report_marks_the_holders_latest_card_lost_alone_and_tells_them(api: Api) -> None:
    holder, version = await holder_far_from_expiry(api)
    async with kept(api, holder, IdCardRow, NotificationRow):
        before, last = await every_row(api), await newest_notice(api)
        lost = await api.query(REPORTED, {"input": {"personId": holder}}, as_=individual(holder))
        after = await every_row(api)
        # A card row: (person, version, issued, expires, status); no other holder's, no earlier version.
        [latest] = [row for row in before["civil_affairs_id_cards"] if row[:2] == (holder, version)]
        assert lost["data"]["reportLostIdCard"] == {
            "__typename": "IdCardReportedLost",
            "card": {
                "version": version,
                "status": "LOST",
                "issuedOn": {"gregorian": latest[2].isoformat()},
                "expiresOn": {"gregorian": latest[3].isoformat()},
            },
        }
        assert changed(before, after) == ["civil_affairs_id_cards", "notifications_inbox"]
        cards_before, cards_after = set(before["civil_affairs_id_cards"]), set(after["civil_affairs_id_cards"])
        assert (cards_before - cards_after, cards_after - cards_before) == ({latest}, {(*latest[:4], "lost")})
        assert await notices_since(api, last) == [
            (
                holder,
                "civil_affairs",
                "service_completed",
                "Your national ID card is recorded as lost and is no longer valid; renew it for a new one.",
                "سُجلت بطاقة هويتك الوطنية مفقودة ولم تعد سارية؛ جددها لتصدر لك بطاقة جديدة.",
            )
        ]


async def test_a_report_leaves_another_holders_card_of_the_same_version_as_it_was(api: Api) -> None:
    holder, version = await holder_far_from_expiry(api)
    latest = select(IdCardRow.person_id).group_by(IdCardRow.person_id).having(func.max(IdCardRow.version) == version)
    other = (await api.hub.db.fetch(latest.where(IdCardRow.person_id != holder).order_by(IdCardRow.person_id)))[0][0]
    theirs = select(IdCardRow.__table__).where(IdCardRow.person_id == other)
    async with kept(api, holder, IdCardRow, NotificationRow), kept(api, other, IdCardRow):
        # Valid whatever an earlier test left: a card already lost would hide a report that reaches it.
        await change(
            api,
            update(IdCardRow).where(IdCardRow.person_id == other, IdCardRow.version == version).values(status="valid"),
        )
        untouched = await api.hub.db.fetch(theirs)
        lost = await api.query(REPORT, {"input": {"personId": holder}}, as_=individual(holder))
        assert lost["data"]["reportLostIdCard"]["card"] == {"version": version, "status": "LOST"}, lost
        assert await api.hub.db.fetch(theirs) == untouched


async def test_a_report_sent_again_with_its_key_is_answered_again_and_told_once(api: Api) -> None:
    holder, version = await holder_far_from_expiry(api)
    async with kept(api, holder, IdCardRow, NotificationRow):
        last = await newest_notice(api)
        keyed = {"input": {"personId": holder, "idempotencyKey": fresh_key("lost-card-report-sent-twice")}}
        first, again = [(await api.query(REPORT, keyed, as_=individual(holder)))["data"] for _ in range(2)]
        assert first["reportLostIdCard"]["card"] == {"version": version, "status": "LOST"} and again == first
        assert len(await notices_since(api, last)) == 1


async def test_a_malformed_id_is_named_by_a_report(api: Api) -> None:
    answer = await api.query(REPORT, {"input": {"personId": "1234"}}, as_=CIVIL)
    extensions = answer["errors"][0]["extensions"]
    assert (extensions["code"], extensions["argument"]) == ("INVALID_ID", "input.personId")
