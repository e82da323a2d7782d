// The quick scan's only script of its own: say so when a tapped answer could not be saved.
document.addEventListener("htmx:sendError", notSaved);
document.addEventListener("htmx:responseError", notSaved);
function notSaved(event) {
  var form = event.target.closest("form[data-not-saved]");
  var status = document.getElementById("status");
  if (form && status) {
    status.textContent = form.getAttribute("data-not-saved");
    status.className = "status error";
  }
}
