"""What the record services announce, for the apps above them to act on.

The agreements app does not import the workflow app: a DDL request or decision is sent here, in
the service's transaction, and the workflow app's receivers (``workflow.receivers``, connected in
``WorkflowConfig.ready``) write the audit event and the notifications. ``send`` (not
``send_robust``) lets a receiver's error roll the whole change back, as a direct call would.
"""

from django.dispatch import Signal

# Sent with agreement=, ddl= (the saved DdlDecision) and user= (who asked / who decided).
ddl_review_requested = Signal()
ddl_decided = Signal()
