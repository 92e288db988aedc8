// Choosing the destination country shows that country's address form at once: the address is
// then checked against the rules of the country chosen, not the one shown before. Without
// JavaScript the "Use this country" button does the same.
document.addEventListener("change", function (event) {
  var pick = event.target;
  if (pick && pick.id === "country-pick" && pick.form) {
    pick.form.requestSubmit ? pick.form.requestSubmit() : pick.form.submit();
  }
});
