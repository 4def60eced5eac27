# expect: [typeddict-unknown-key]
"""Must fail mypy --strict: `project` has no `title` (only the fields of its layer)."""

from events import ProjectCreated

created: ProjectCreated = {
    "uuid": "0b8f2f1e-7c4a-4a7e-9d2b-2f1e0b8f7c4a",
    "type": "project:created",
    "version": 2,
    "timestamp": "2026-01-01T00:00:00Z",
    "project": {"uuid": "5d0c1f6a-3b2e-4c8d-9a7f-6e5d4c3b2a1f", "name": "demo", "title": "x"},
}
