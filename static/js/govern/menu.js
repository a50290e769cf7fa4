// The top-bar menu is a <details> (it opens and closes without this script); this closes it on
// Escape, on a tap outside it, and when focus leaves it, as people expect of a menu.
const menu = document.getElementById("site-menu");
if (menu) {
  const close = (focusButton) => {
    if (!menu.open) return;
    menu.open = false;
    if (focusButton) menu.querySelector("summary").focus();
  };
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") close(menu.contains(document.activeElement)); });
  document.addEventListener("click", (event) => { if (!menu.contains(event.target)) close(false); });
  menu.addEventListener("focusout", (event) => { if (event.relatedTarget && !menu.contains(event.relatedTarget)) close(false); });
}
