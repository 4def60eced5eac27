"""Passes mypy --strict: how a webhook receiver uses events.py."""

import json

from events import NotificationPayload, ProjectCreated, ProjectCreatedV1, ProjectCreatedV2, WebhookDelivery


def failed_run_number(body: str) -> int | None:
    """The failed run's number, narrowing the delivered event on `type`."""
    delivery: WebhookDelivery = json.loads(body)
    event: NotificationPayload = delivery["event"]
    if event["type"] == "project:one-off-job:pipeline-run:failed":
        return event["project"]["job"]["pipeline_run"].get("number")
    return None


created: ProjectCreated = {
    "uuid": "0b8f2f1e-7c4a-4a7e-9d2b-2f1e0b8f7c4a",
    "type": "project:created",
    "version": 2,
    "timestamp": "2026-01-01T00:00:00Z",
    "project": {"uuid": "5d0c1f6a-3b2e-4c8d-9a7f-6e5d4c3b2a1f", "name": "demo"},
}

# The current version is also reachable by its versioned name.
created_v2: ProjectCreatedV2 = created

# An older version keeps its type, read from its published schema.
created_v1: ProjectCreatedV1 = {
    "uuid": "0b8f2f1e-7c4a-4a7e-9d2b-2f1e0b8f7c4a",
    "type": "project:created",
    "version": 1,
    "timestamp": "2026-01-01T00:00:00Z",
    "project": {"uuid": "5d0c1f6a-3b2e-4c8d-9a7f-6e5d4c3b2a1f", "name": "demo"},
}
