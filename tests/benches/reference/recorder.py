"""The reference's way of recording an event, for the recording bench: SQLAlchemy models
with single-table inheritance (one `events` table, the type as discriminator, each layer's
columns declared on its subclass), the event and one delivery per subscriber (two
notification payloads and one telemetry payload, computed by the models), one commit per
event, SQLite in WAL mode with `synchronous = NORMAL`.

    python recorder.py DATABASE_FILE EVENTS

Prints the events recorded per second (the best of three runs) and nothing else.
"""

import datetime
import hashlib
import hmac
import json
import sys
import time
import uuid

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text, create_engine, event
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()
TELEMETRY_KEY = b"bench key"


def anonymized(value):
    return hmac.new(TELEMETRY_KEY, str(value).encode(), hashlib.sha256).hexdigest()


class Event(Base):
    __tablename__ = "events"
    uuid = Column(String(36), primary_key=True)
    type = Column(String(150), nullable=False)
    timestamp = Column(DateTime(timezone=True), nullable=False)
    __mapper_args__ = {"polymorphic_on": type, "polymorphic_identity": "event"}

    def to_notification_payload(self):
        return {"uuid": self.uuid, "type": self.type, "version": 1, "timestamp": self.timestamp.isoformat()}

    def to_telemetry_payload(self):
        return {"event_properties": {"uuid": self.uuid, "type": self.type, "version": 1, "timestamp": self.timestamp.isoformat()},
                "derived_properties": {}}


class ProjectEvent(Event):
    project_uuid = Column(String(36))
    project_name = Column(Text)
    __mapper_args__ = {"polymorphic_identity": "project"}

    def to_notification_payload(self):
        payload = super().to_notification_payload()
        payload["project"] = {"uuid": self.project_uuid, "name": self.project_name}
        return payload

    def to_telemetry_payload(self):
        payload = super().to_telemetry_payload()
        payload["event_properties"]["project"] = {"uuid": self.project_uuid}
        return payload


class JobEvent(ProjectEvent):
    job_uuid = Column(String(36))
    job_name = Column(Text)
    job_status = Column(String(15))
    pipeline_name = Column(Text)
    __mapper_args__ = {"polymorphic_identity": "project:one-off-job"}

    def to_notification_payload(self):
        payload = super().to_notification_payload()
        payload["project"]["job"] = {"uuid": self.job_uuid, "name": self.job_name,
                                     "status": self.job_status, "pipeline_name": self.pipeline_name}
        return payload

    def to_telemetry_payload(self):
        payload = super().to_telemetry_payload()
        payload["event_properties"]["project"]["job"] = {
            "uuid": self.job_uuid, "status": self.job_status, "pipeline_name": anonymized(self.pipeline_name)}
        return payload


class PipelineRunEvent(JobEvent):
    pipeline_run_uuid = Column(String(36))
    pipeline_run_status = Column(String(15))
    pipeline_run_number = Column(Integer)
    pipeline_run_parameters = Column(JSON)
    __mapper_args__ = {"polymorphic_identity": "project:one-off-job:pipeline-run"}

    def to_notification_payload(self):
        payload = super().to_notification_payload()
        payload["project"]["job"]["pipeline_run"] = {
            "uuid": self.pipeline_run_uuid, "status": self.pipeline_run_status,
            "number": self.pipeline_run_number, "parameters": self.pipeline_run_parameters}
        return payload

    def to_telemetry_payload(self):
        payload = super().to_telemetry_payload()
        payload["event_properties"]["project"]["job"]["pipeline_run"] = {
            "uuid": self.pipeline_run_uuid, "status": self.pipeline_run_status, "number": self.pipeline_run_number}
        payload["derived_properties"]["parameters_count"] = len(self.pipeline_run_parameters)
        return payload


class PipelineRunFailedEvent(PipelineRunEvent):
    __mapper_args__ = {"polymorphic_identity": "project:one-off-job:pipeline-run:failed"}


class Delivery(Base):
    __tablename__ = "deliveries"
    uuid = Column(String(36), primary_key=True)
    event_uuid = Column(String(36), ForeignKey("events.uuid"), nullable=False)
    subscriber_uuid = Column(String(36), nullable=False)
    payload = Column(Text, nullable=False)
    status = Column(String(15), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


def record(session, subscribers):
    now = datetime.datetime.now(datetime.timezone.utc)
    event = PipelineRunFailedEvent(
        uuid=str(uuid.uuid4()), timestamp=now,
        project_uuid=str(uuid.uuid4()), project_name="Weather forecasts",
        job_uuid=str(uuid.uuid4()), job_name="Nightly", job_status="STARTED", pipeline_name="train",
        pipeline_run_uuid=str(uuid.uuid4()), pipeline_run_status="FAILURE", pipeline_run_number=2,
        pipeline_run_parameters={"epochs": 10, "rate": 0.01},
    )
    session.add(event)
    for i, subscriber in enumerate(subscribers):
        payload = event.to_telemetry_payload() if i == 2 else event.to_notification_payload()
        session.add(Delivery(uuid=str(uuid.uuid4()), event_uuid=event.uuid, subscriber_uuid=subscriber,
                             payload=json.dumps(payload), next_attempt_at=now, created_at=now))
    session.commit()


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def pragmas(connection, _):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    Base.metadata.create_all(engine)
    subscribers = [str(uuid.uuid4()) for _ in range(3)]
    best = 0.0
    with Session(engine) as session:
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(count):
                record(session, subscribers)
            best = max(best, count / (time.perf_counter() - start))
    print(f"{best:.0f}")


if __name__ == "__main__":
    main()
