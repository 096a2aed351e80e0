# Run by the fault suite through `manage.py shell` against its throwaway database: the people,
# their API tokens and the agreements each fault test starts from. Prints one line of JSON.
import json

from agreements.choices import State
from partners.models import User
from partners.services import api_token_create
from tests import factories
from workflow.models import CoordinationRound, OutboxMessage, RenderJob
from workflow.notifications import notify

cast = factories.demo_cast(password="faults-password-1")
po, reviewer = cast.program_office, cast.reviewer

approvals = []
for index in range(20):
    agreement = factories.AgreementFactory(
        state=State.RAD_REVIEW, cast=cast, user=po, title=f"Parallel approval {index:02d}", partners=("GBR",)
    )
    factories.concur_all(agreement, cast.coordinators)
    assert CoordinationRound.objects.current_for(agreement) is not None
    approvals.append(agreement.pk)

renders = []
for index in range(10):
    agreement = factories.AgreementFactory(
        state=State.SSOI_DRAFTING, cast=cast, user=po, title=f"Killed render {index:02d}", partners=("FRA",)
    )
    factories.fill_ssoi(agreement, po)
    renders.append(agreement.reference)

outage = factories.AgreementFactory(user=po, title="Broker outage summaries", partners=("CAN",))

# Setup's own side effects (the SSOI renders of submit_rad) are not under test.
RenderJob.objects.all().delete()
OutboxMessage.objects.all().delete()

people = list(User.objects.filter(is_active=True).exclude(email="").order_by("pk"))
notify(users=people, kind="faults", message="Fault suite digest item", dedupe_key="faults:digest")

print(
    json.dumps(
        {
            "po_token": api_token_create(user=po, name="faults")[1],
            "reviewer_token": api_token_create(user=reviewer, name="faults")[1],
            "po_username": po.username,
            "approvals": approvals,
            "renders": renders,
            "outage_reference": outage.reference,
            "digest_recipients": sorted(u.email for u in people),
        }
    )
)
