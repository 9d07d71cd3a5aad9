// Formats a byte count for people.
window.demo.formatBytes = function (n) {
  var units = ["B", "kB", "MB"];
  var i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n = n / 1000;
    i += 1;
  }
  return n.toFixed(i ? 1 : 0) + " " + units[i];
};
