// The console's only script: the print button of the year-end summary (pages work without it; Ctrl+P prints).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
});
