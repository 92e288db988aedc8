// On a narrow screen the filter panel starts folded, so the products, not the form, fill the
// first screen; its "Filter" summary opens it. Wide screens (and no JavaScript) keep it open.
if (window.matchMedia("(max-width: 800px)").matches) {
  document.querySelectorAll("details.filter-panel").forEach(function (panel) {
    panel.open = false;
  });
}
