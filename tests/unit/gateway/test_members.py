"""The members read model: one row per member, kept current by every family of events that changes one."""

from __future__ import annotations

from datetime import date

from services.gateway.readmodels import members
from services.membership.contract.events import MemberRegistered, OutflowRegistered
from services.membership.contract.events.common import Contact
from services.membership.contract.events.development import Converted, ProbationaryAdmitted, ProbationCancelled
from services.membership.contract.events.members import MemberDied, MembershipSuspended, PersonalDataErased
from services.membership.contract.events.mobility import (
    CertificateInspected,
    CertificateIssued,
    InflowRegistered,
    MemberReturned,
    ReportedToHost,
)
from services.membership.contract.events.personal import SealedPersonalData
from services.membership.contract.events.transfers import TransferReceived, TransferRequested
from tests.unit.gateway.builders import Q, assigned, envelope, event, row, target


def test_a_registered_member_becomes_a_row_with_their_contact_as_json() -> None:
    ops = members.apply(Q, envelope(5), event(MemberRegistered, member_id="m-1", formal_org_id="b-1",
                                              joined_on=date(2020, 7, 1)))
    assert [target(op) for op in ops] == ["members_view"]
    inserted = row(ops[0])
    assert (inserted["member_id"], inserted["formal_org_id"], inserted["joined_on"], inserted["position"]) == (
        "m-1", "b-1", date(2020, 7, 1), 5)
    assert inserted["contact"].startswith('{"phone"')


def test_an_outflow_marks_the_member_away_and_keeps_where_they_went() -> None:
    ops = members.apply(Q, envelope(6), event(OutflowRegistered, member_id="m-1", destination="Shenzhen"))
    sets = assigned(ops[0])
    assert (sets["member_id"], sets["away"], sets["position"]) == ("m-1", "true", 6)
    assert '"destination":"Shenzhen"' in sets["outflow"]


def test_a_member_who_comes_back_is_no_longer_away() -> None:
    ops = members.apply(Q, envelope(), event(MemberReturned, member_id="m-1"))
    assert assigned(ops[0])["away"] is False


def test_a_received_transfer_moves_the_member_to_the_receiving_organisation() -> None:
    ops = members.apply(Q, envelope(), event(TransferReceived, member_id="m-1", to_org_id="b-2"))
    assert [target(op) for op in ops] == ["members_view"]
    assert assigned(ops[0])["formal_org_id"] == "b-2"


def test_a_transfer_request_does_not_touch_the_member_row() -> None:
    assert members.apply(Q, envelope(), event(TransferRequested, member_id="m-1")) == []


def test_standing_changes_set_the_status() -> None:
    suspended = members.apply(Q, envelope(), event(MembershipSuspended, member_id="m-1"))
    died = members.apply(Q, envelope(), event(MemberDied, member_id="m-1"))
    assert assigned(suspended[0])["status"] == "suspended"
    assert assigned(died[0])["status"] == "deceased"


def test_an_inflowing_member_is_registered_under_their_home_organisation_and_their_host() -> None:
    inflow = event(InflowRegistered, member_id="m-9", host_org_id="host-1")
    inserted = row(members.apply(Q, envelope(), inflow)[0])
    assert (inserted["formal_org_id"], inserted["host_org_id"]) == (inflow.home_org.org_id, "host-1")


def test_a_certificate_is_kept_until_it_is_inspected() -> None:
    issued = members.apply(Q, envelope(), event(CertificateIssued, member_id="m-1", certificate_number="C-7"))
    inspected = members.apply(Q, envelope(), event(CertificateInspected, member_id="m-1"))
    assert '"certificate_number":"C-7"' in assigned(issued[0])["certificate"]
    assert assigned(inspected[0])["certificate"] is None


def test_an_admitted_applicant_becomes_a_probationary_member_copied_from_their_case() -> None:
    ops = members.apply(Q, envelope(9), event(ProbationaryAdmitted, person_id="p-1", org_id="b-1",
                                              vote_on=date(2024, 5, 2)))
    sql, args = ops[0]
    assert target(ops[0]) == "members_view"
    assert f"FROM {Q}.development_view WHERE person_id = $1" in sql and "'probationary'" in sql
    assert args == ("p-1", "b-1", date(2024, 5, 2), 9)


def test_conversion_makes_a_full_member_and_cancellation_removes_them() -> None:
    converted = members.apply(Q, envelope(), event(Converted, person_id="p-1"))
    cancelled = members.apply(Q, envelope(), event(ProbationCancelled, person_id="p-1"))
    assert assigned(converted[0])["status"] == "full"
    assert assigned(cancelled[0])["status"] == "removed"


SEALED = SealedPersonalData(key_id="k-1", nonce="bm9uY2U", ciphertext="c2VjcmV0LXBob25lLTEzODAwMTM4MDAw")


def test_a_registered_member_is_kept_with_the_masked_number_and_phone_and_never_the_envelope() -> None:
    ops = members.apply(Q, envelope(5), event(
        MemberRegistered, member_id="m-1", national_id_masked="440**************7",
        contact_masked=Contact(phone="*******0000"), personal=SEALED))
    inserted = row(ops[0])
    assert inserted["national_id"] == "440**************7"
    assert inserted["contact"] == '{"phone":"*******0000","address":null,"wechat":null}'
    assert SEALED.ciphertext not in repr(ops)


def test_an_outflow_keeps_the_masked_contact_and_not_the_sealed_one() -> None:
    ops = members.apply(Q, envelope(6), event(OutflowRegistered, member_id="m-1", destination="Shenzhen",
                                              contact_masked=Contact(phone="*******1234"), personal=SEALED))
    outflow = assigned(ops[0])["outflow"]
    assert '"contact":{"phone":"*******1234"' in outflow
    assert "personal" not in outflow and SEALED.ciphertext not in outflow


def test_an_erased_person_keeps_their_row_with_nothing_personal_in_it() -> None:
    ops = members.apply(Q, envelope(9), event(PersonalDataErased, member_id="m-1", erased_on=date(2026, 12, 1)))
    [(sql, args)] = ops
    assert target(ops[0]) == "members_view"
    assert "national_id = ''" in sql and "contact = '{}'::jsonb" in sql and "outflow - 'contact'" in sql
    assert args == ("m-1", members.ERASED_NAME, date(2026, 12, 1), 9)


def test_a_member_who_reports_to_a_host_organisation_is_reached_by_it() -> None:
    ops = members.apply(Q, envelope(8), event(ReportedToHost, member_id="m-1", host_org_id="host-7"))
    assert assigned(ops[0]) == {"member_id": "m-1", "position": 8, "host_org_id": "host-7"}
