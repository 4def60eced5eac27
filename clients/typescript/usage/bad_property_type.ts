// expect: TS2322
// Must not compile: `title` of `alert:shown` is a string.
import { track } from "../events";

export const sent = track("https://example.test/analytics", "alert:shown", { title: 42 });
