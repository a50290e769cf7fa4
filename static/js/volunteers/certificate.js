// The certificate page's print button (inline handlers are refused by the CSP).
const button = document.getElementById("print-certificate");
if (button) button.addEventListener("click", () => window.print());
