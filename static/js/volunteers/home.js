// A volunteer's home: the duty switch stays live (approval, duty changed elsewhere) on the socket
// the task panel next to it (static/js/hazards/tasks.js, loaded first) already holds.
import { setupDuty } from "./duty.js";

const duty = setupDuty();
const live = (window.GovernTasks && window.GovernTasks.live) || (window.GovernLive && window.GovernLive.connect({}));
if (duty && live) {
  live.on("volunteer.status_changed", (data) => duty.setApproved(data.status === "approved"));
  live.on("volunteer.duty_changed", (data) => duty.setOnDuty(data.on_duty));
}
