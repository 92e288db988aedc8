/* The Django admin, made whole for assistive technology (issue 22; lookout/templates/admin/).
   The "filter" icon that the admin's two-box selector (filter_horizontal) draws after the page
   loads carries its hint as an aria-label on a bare <span>, which has no role to name: it is an
   image of a magnifier with that hint as its name. This load listener is added after the
   selector's own (it is at the end of the body), so it runs once the boxes are drawn. */
"use strict";
window.addEventListener("load", function () {
  document.querySelectorAll(".search-label-icon[aria-label]:not([role])").forEach(function (icon) {
    icon.setAttribute("role", "img");
  });
});
