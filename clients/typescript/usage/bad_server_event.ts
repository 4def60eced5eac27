// expect: TS2345
// Must not compile: `project:created` is a server-only event, front ends cannot send it.
import { track } from "../events";

export const sent = track("https://example.test/analytics", "project:created", {});
