// A browser that blocks every cookie can store no cookie choice, and the shop sets none and
// loads nothing from others without one: the banner would only come back on every page. It is
// hidden before the page is drawn (consent.css); the footer's "Cookie settings" still explains.
// Chromium's navigator.cookieEnabled stays true when cookies are blocked in its settings, so
// try one: written and removed at once, before any request could carry it.
(function () {
  // (listed in the cookie inventory, lookout/consent/cookies.py; the self-audit reads this line)
  document.cookie = "lookout_cookie_check=1; path=/; SameSite=Strict; max-age=5";
  var kept = document.cookie.indexOf("lookout_cookie_check=1") !== -1;
  document.cookie = "lookout_cookie_check=1; path=/; SameSite=Strict; max-age=0";
  if (!kept) {
    document.documentElement.classList.add("cookies-blocked");
  }
})();
