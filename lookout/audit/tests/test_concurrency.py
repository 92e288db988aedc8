import pytest

from lookout.audit.models import AuditEntry
from lookout.audit.services import record
from lookout.audit.testing import audit_triggers_suspended, run_writers  # noqa: F401
from lookout.audit.verify import verify_chain

THREADS = 4
EACH = 15


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
@pytest.mark.commitment("C4.4")
def test_concurrent_writers_still_form_one_valid_chain():
    def write(number: int) -> None:
        for n in range(EACH):
            record(actor=None, action="test.concurrent", detail={"writer": number, "n": n})

    errors = run_writers(THREADS, write)

    assert errors == []
    result = verify_chain()
    assert (result.ok, result.checked) == (True, THREADS * EACH)
    # each writer's connection appended to a lane of its own (so none waited for another's
    # commits), and every lane is numbered 1, 2, 3, ... without a hole
    lanes = {lane for lane in AuditEntry.objects.values_list("lane", flat=True)}
    assert len(lanes) == THREADS
    for lane in lanes:
        places = AuditEntry.objects.filter(lane=lane).order_by("lane_seq")
        assert list(places.values_list("lane_seq", flat=True)) == list(range(1, EACH + 1))
