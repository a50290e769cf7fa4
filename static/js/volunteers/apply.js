// Apply form: show only the teams of the chosen community; show a certificate date for ticked skills.
const form = document.getElementById("apply-form");

function filterTeams() {
  const community = form.querySelector("#id_community");
  const team = form.querySelector("#id_team");
  if (!community || !team) return;
  const chosen = community.value;
  for (const option of team.options) {
    if (!option.value) continue;
    const visible = !chosen || option.dataset.community === chosen;
    option.hidden = !visible;
    option.disabled = !visible;
    if (!visible && option.selected) team.value = "";
  }
}

function toggleSkill(item) {
  const box = item.querySelector("input[type=checkbox]");
  const until = item.querySelector(".until");
  item.classList.toggle("checked", box.checked);
  if (until) until.hidden = !box.checked;
}

if (form) {
  form.querySelector("#id_community")?.addEventListener("change", filterTeams);
  for (const item of form.querySelectorAll(".vol-skill")) {
    item.querySelector("input[type=checkbox]").addEventListener("change", () => toggleSkill(item));
  }
  filterTeams();
  form.addEventListener("submit", () => {
    const button = form.querySelector("#apply-submit");
    if (button) setTimeout(() => { button.disabled = true; }, 0);
  });
}
