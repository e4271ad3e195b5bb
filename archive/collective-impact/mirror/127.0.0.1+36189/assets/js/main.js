/* Progressive enhancement only: on small screens, fold the main menu behind a button.
   Without this script every link stays visible and usable. */
(function () {
  "use strict";

  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("hovedmenu");
  if (!toggle || !nav || !window.matchMedia) {
    return;
  }

  document.documentElement.classList.add("js");
  var small = window.matchMedia("(max-width: 48rem)");

  function setOpen(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.setAttribute("data-collapsed", open ? "false" : "true");
  }

  function update() {
    toggle.hidden = !small.matches;
    setOpen(!small.matches);
  }

  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });

  if (small.addEventListener) {
    small.addEventListener("change", update);
  }
  update();
})();
