// The worklist refreshes itself every minute (htmx, hx-trigger on #worklist-live), except while
// someone is in the middle of something in it: focus inside the list, a cancel form opened, or
// a note typed. A refresh then would throw away what they were doing.
window.worklistIdle = function () {
  var list = document.getElementById("worklist-live");
  if (!list) return false;
  if (list.contains(document.activeElement)) return false;
  if (list.querySelector("details[open]")) return false;
  var typed = list.querySelectorAll("textarea, input[type=text]");
  for (var i = 0; i < typed.length; i++) {
    if (typed[i].value) return false;
  }
  return true;
};
