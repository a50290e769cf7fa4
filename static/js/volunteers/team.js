// Team page (leaders and dispatchers): review members' manual minutes in place, live.
import { connectLive, setupRecords } from "./records.js";

const onRecordEvent = setupRecords();
function onEvent(type, data) {
  if (onRecordEvent) onRecordEvent(type, data);
}
connectLive(onEvent);
