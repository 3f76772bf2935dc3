// Focus on the review form when it opens (its first field in error, else the reason), so a
// keyboard user starts where the work is. Tab moves on freely: nothing traps focus here.
(function () {
  var form = document.getElementById("review-form");
  if (!form) return;
  var target = form.querySelector(".errors select, .errors textarea, .errors input")
    || form.querySelector("textarea[name=reason]");
  if (target) target.focus({ preventScroll: false });
})();
