// Compiles: how a front end and a webhook receiver use events.ts.
import { track } from "../events";
import type {
  NotificationPayload,
  ProjectCreatedTelemetry,
  ProjectCreatedV1,
  TelemetryPayload,
  WebhookDelivery,
} from "../events";

export function trackView(relayUrl: string): Promise<Response> {
  return track(relayUrl, "view:loaded", { name: "/pipeline" });
}

export function trackAlert(relayUrl: string): Promise<Response> {
  // Optional properties may be left out or null.
  void track(relayUrl, "confirm:shown", { title: "Delete?", content: null });
  return track(relayUrl, "alert:shown", { title: "Saved" }, { keepalive: true });
}

/** The failed run's number, narrowing the delivered event on `type`. */
export function failedRunNumber(body: string): number | null {
  const delivery = JSON.parse(body) as WebhookDelivery;
  const event: NotificationPayload = delivery.event;
  switch (event.type) {
    case "project:one-off-job:pipeline-run:failed":
      return event.project.job.pipeline_run.number ?? null;
    case "project:cron-job:run:pipeline-run:failed":
      return event.project.job.run.pipeline_run.number_in_run ?? null;
    default:
      return null;
  }
}

/** Whether a telemetry payload is `project:created`'s (its type is in `event_properties`). */
function isProjectCreated(payload: TelemetryPayload): payload is ProjectCreatedTelemetry {
  return payload.event_properties.type === "project:created";
}

/** What a telemetry payload says: a value computed for analytics, in `derived_properties`. */
export function projectsCount(payload: TelemetryPayload): number | null {
  if (isProjectCreated(payload)) {
    return payload.derived_properties.project.projects_count;
  }
  return null;
}

/** A receiver that also accepts version 1 of `project:created`, by its versioned name. */
export function createdName(body: string): string | null {
  const event = JSON.parse(body).event as NotificationPayload | ProjectCreatedV1;
  if (event.type === "project:created" && event.version === 1) {
    return event.project.name;
  }
  return null;
}
