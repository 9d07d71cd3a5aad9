// Tiny DOM helpers shared by the page scripts.
window.demo = window.demo || {};
window.demo.$ = function (selector) {
  return document.querySelector(selector);
}
